"""Mutant: kl_categorical averages over the batch as well, returning one number instead of one per row."""

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """Correct closed form."""
    diff = mu1 - mu2
    return 0.5 * (logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + diff * diff * torch.exp(-logvar2) - 1.0).sum(dim=-1)


def kl_categorical(p, q):
    """Wrong reduction: a scalar mean of the per-row divergences."""
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1).mean()

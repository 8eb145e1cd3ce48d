"""Mutant: kl_categorical computes KL(q || p)."""

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """Correct closed form."""
    diff = mu1 - mu2
    return 0.5 * (logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + diff * diff * torch.exp(-logvar2) - 1.0).sum(dim=-1)


def kl_categorical(p, q):
    """Wrong direction: sum q log(q / p)."""
    return (torch.xlogy(q, q) - torch.xlogy(q, p)).sum(dim=-1)

"""Mutant: the Gaussian KL computes KL(q || p): the arguments' roles are swapped inside the formula."""

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """Wrong: the expectation is taken under the second distribution."""
    diff = mu2 - mu1
    return 0.5 * (logvar1 - logvar2 + torch.exp(logvar2 - logvar1) + diff * diff * torch.exp(-logvar1) - 1.0).sum(dim=-1)


def kl_categorical(p, q):
    """Correct: zero-safe KL(p || q)."""
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)

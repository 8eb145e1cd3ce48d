"""Mutant: an epsilon inside the logs: no nan, but p > 0 where q = 0 gives a large finite number, not +inf."""

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """Correct closed form."""
    diff = mu1 - mu2
    return 0.5 * (logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + diff * diff * torch.exp(-logvar2) - 1.0).sum(dim=-1)


def kl_categorical(p, q):
    """Wrong: log(q + eps) hides the infinite divergence (and shifts every value slightly)."""
    eps = 1e-12
    return (p * (torch.log(p + eps) - torch.log(q + eps))).sum(dim=-1)

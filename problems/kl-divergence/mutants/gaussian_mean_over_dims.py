"""Mutant: the Gaussian KL is averaged over the latent dimensions instead of summed."""

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """Wrong reduction: mean over the last dim."""
    diff = mu1 - mu2
    return 0.5 * (logvar2 - logvar1 + torch.exp(logvar1 - logvar2) + diff * diff * torch.exp(-logvar2) - 1.0).mean(dim=-1)


def kl_categorical(p, q):
    """Correct: zero-safe KL(p || q)."""
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)

"""Mutant: var vs std: exp(0.5 * logvar), the standard deviation, is used where the variance belongs."""

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """Wrong: sigma1 / sigma2 and (mu1 - mu2)^2 / sigma2 instead of variance ratios."""
    std1, std2 = torch.exp(0.5 * logvar1), torch.exp(0.5 * logvar2)
    return 0.5 * (logvar2 - logvar1 + std1 / std2 + (mu1 - mu2) ** 2 / std2 - 1.0).sum(dim=-1)


def kl_categorical(p, q):
    """Correct: zero-safe KL(p || q)."""
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)

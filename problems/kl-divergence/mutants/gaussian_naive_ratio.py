"""Mutant: the variance ratio is exp(logvar1) / exp(logvar2): inf / inf = nan once exp overflows float32."""

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """Right formula, unstable evaluation."""
    var1, var2 = logvar1.exp(), logvar2.exp()
    return 0.5 * (logvar2 - logvar1 + var1 / var2 + (mu1 - mu2) ** 2 / var2 - 1.0).sum(dim=-1)


def kl_categorical(p, q):
    """Correct: zero-safe KL(p || q)."""
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)

"""KL divergences: fill in both functions. See the statement for the exact formulas, shapes and reductions."""

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """KL(N(mu1, diag(exp(logvar1))) || N(mu2, diag(exp(logvar2)))), summed over the last dim -> shape [...]."""
    raise NotImplementedError


def kl_categorical(p, q):
    """KL(p || q) for probability vectors along the last dim, summed over it -> shape [...]."""
    raise NotImplementedError

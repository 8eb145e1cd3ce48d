"""Alternative: the Gaussian KL written with log-std and squared scaled differences; categorical via log-ratios and torch.where."""

import math

import torch


def kl_diag_gaussian(mu1, logvar1, mu2, logvar2):
    """KL = sum(log s2 - log s1 + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2), each ratio formed in log space."""
    log_std_ratio = 0.5 * (logvar1 - logvar2)
    scaled = (mu1 - mu2) * torch.exp(-0.5 * logvar2)
    per_dim = -log_std_ratio + 0.5 * torch.exp(2 * log_std_ratio) + 0.5 * scaled.pow(2) - 0.5
    return per_dim.sum(dim=-1)


def kl_categorical(p, q):
    """p * log(p / q), with the infinite and zero cases set explicitly after the fact."""
    ratio_log = torch.log(p) - torch.log(q)
    terms = p * ratio_log
    terms = torch.where((q == 0) & (p > 0), torch.full_like(terms, math.inf), terms)
    terms = torch.where(p == 0, torch.zeros_like(terms), terms)
    return terms.sum(dim=-1)

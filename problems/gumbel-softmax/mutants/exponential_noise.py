"""Mutant: -log(u): exponential noise instead of Gumbel."""

import torch


def sample_gumbel(shape, eps=1e-10):
    """Standard Gumbel noise -log(-log(u)), u ~ Uniform(0, 1) from torch.rand, finite everywhere."""
    u = torch.rand(shape)
    return -torch.log(u + eps)


def gumbel_softmax(logits, tau=1.0, hard=False, dim=-1, gumbels=None):
    """softmax((logits + gumbels) / tau) over dim; with hard=True the one-hot argmax, with the soft gradient."""
    if gumbels is None:
        gumbels = sample_gumbel(logits.shape).to(logits.dtype)
    y = torch.softmax((logits + gumbels) / tau, dim=dim)
    if not hard:
        return y
    index = y.argmax(dim=dim, keepdim=True)
    y_hard = torch.zeros_like(y).scatter_(dim, index, 1.0)
    return y_hard - y.detach() + y

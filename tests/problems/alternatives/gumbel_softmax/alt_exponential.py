"""Alternative: Gumbel noise as -log of exponential draws, a log-softmax, and one_hot with movedim for any dim."""

import torch
import torch.nn.functional as F


def sample_gumbel(shape, eps=1e-10):
    exponential = torch.empty(shape).exponential_()
    return -torch.log(exponential.clamp_min(eps))


def gumbel_softmax(logits, tau=1.0, hard=False, dim=-1, gumbels=None):
    noise = sample_gumbel(tuple(logits.shape)).to(logits.dtype) if gumbels is None else gumbels
    y = F.log_softmax((logits + noise) / tau, dim=dim).exp()
    if hard:
        moved = y.movedim(dim, -1)
        one_hot = F.one_hot(moved.argmax(-1), moved.shape[-1]).to(y.dtype).movedim(-1, dim)
        return y + (one_hot - y).detach()
    return y

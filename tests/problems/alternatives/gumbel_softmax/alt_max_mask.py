"""Alternative: clamped uniforms, the hard sample as a mask of the row maximum."""

import torch


def sample_gumbel(shape, eps=1e-10):
    u = torch.rand(*shape).clamp(eps, 1.0 - eps)
    return -(-u.log()).log()


def gumbel_softmax(logits, tau=1.0, hard=False, dim=-1, gumbels=None):
    if gumbels is None:
        gumbels = sample_gumbel(logits.shape).type_as(logits)
    scores = (logits + gumbels) / tau
    y = torch.exp(scores - scores.logsumexp(dim=dim, keepdim=True))
    if not hard:
        return y
    mask = (y == y.amax(dim=dim, keepdim=True)).type_as(y)
    return (mask - y).detach() + y

"""Mutant: no bonus token when every draft is accepted."""

import torch


def sample_index(probs, u):
    """The first index whose cumulative probability exceeds u."""
    cdf = torch.cumsum(probs, dim=0)
    above = torch.nonzero(cdf > u)
    if above.numel():
        return int(above[0])
    return int(torch.nonzero(probs > 0)[-1])


def residual(p, q):
    """max(p - q, 0), normalised."""
    r = torch.clamp(p - q, min=0)
    return r / r.sum()


def speculative_step(draft_tokens, draft_probs, target_probs, u_accept, u_sample):
    """Accept draft tokens while u < p / q; on a rejection sample the residual; a bonus token if all pass."""
    out = []
    for i in range(len(draft_tokens)):
        x = int(draft_tokens[i])
        p, q = target_probs[i], draft_probs[i]
        if float(u_accept[i]) < float(p[x] / q[x]):
            out.append(x)
            continue
        out.append(sample_index(residual(p, q), u_sample))
        return out
    return out

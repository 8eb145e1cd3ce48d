"""Alternative: inverse CDF through searchsorted; the acceptance as min(1, p / q)."""

import torch


def sample_index(probs, u):
    cdf = probs.cumsum(0)
    j = int(torch.searchsorted(cdf, torch.tensor([u], dtype=cdf.dtype), right=True)[0])
    if j >= probs.numel():
        j = int(probs.nonzero().max())
    return j


def residual(p, q):
    diff = torch.where(p > q, p - q, torch.zeros_like(p))
    return diff / diff.sum()


def speculative_step(draft_tokens, draft_probs, target_probs, u_accept, u_sample):
    emitted = []
    for i, token in enumerate(draft_tokens.tolist()):
        accept_prob = min(1.0, (target_probs[i, token] / draft_probs[i, token]).item())
        if u_accept[i].item() < accept_prob:
            emitted.append(token)
        else:
            emitted.append(sample_index(residual(target_probs[i], draft_probs[i]), u_sample))
            break
    else:
        emitted.append(sample_index(target_probs[-1], u_sample))
    return emitted

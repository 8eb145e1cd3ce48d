"""Alternative: a running log-sum-exp per query, merged with each block's logsumexp."""

import math

import torch


def online_attention(q, k, v, block_size, causal=False):
    t, s, d = q.shape[2], k.shape[2], q.shape[3]
    lse = torch.full(q.shape[:3] + (1,), -math.inf, dtype=q.dtype)
    out = torch.zeros_like(q)
    for start in range(0, s, block_size):
        end = min(start + block_size, s)
        scores = torch.einsum("bhtd,bhsd->bhts", q, k[:, :, start:end]) / math.sqrt(d)
        if causal:
            blocked = torch.arange(start, end)[None, :] > torch.arange(t)[:, None]
            scores = scores.masked_fill(blocked, -math.inf)
        block_lse = torch.logsumexp(scores, dim=-1, keepdim=True)
        # A query that sees no key of this block (causal) has block_lse = -inf: it contributes nothing.
        finite_lse = torch.where(torch.isinf(block_lse), torch.zeros_like(block_lse), block_lse)
        block_out = torch.exp(scores - finite_lse) @ v[:, :, start:end]
        new_lse = torch.logaddexp(lse, block_lse)
        out = torch.exp(lse - new_lse) * out + torch.exp(block_lse - new_lse) * block_out
        lse = new_lse
    return out

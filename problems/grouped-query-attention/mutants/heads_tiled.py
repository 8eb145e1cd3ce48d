"""Mutant: kv heads tiled (0, 1, 0, 1, ...) instead of repeated consecutively (0, 0, 1, 1, ...)."""

import math

import torch


def repeat_kv(x, n_rep):
    """Each kv head repeated n_rep times consecutively along dim 1."""
    if n_rep == 1:
        return x
    b, h, t, d = x.shape
    return x.repeat(1, n_rep, 1, 1)


def gqa_attention(q, k, v, past_k=None, past_v=None):
    """Causal attention of q over the cache plus k, v; returns the output and the grown cache."""
    if past_k is not None:
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
    n_rep = q.shape[1] // k.shape[1]
    keys, values = repeat_kv(k, n_rep), repeat_kv(v, n_rep)
    t, total = q.shape[2], k.shape[2]
    past = total - t
    scores = q @ keys.transpose(-2, -1) / math.sqrt(q.shape[-1])
    positions = torch.arange(t)[:, None] + past
    mask = torch.arange(total)[None, :] <= positions
    scores = scores.masked_fill(~mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ values, k, v

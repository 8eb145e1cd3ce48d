"""Alternative: queries grouped per kv head, einsum without materialising repeated keys."""

import math

import torch


def repeat_kv(x, n_rep):
    b, h, t, d = x.shape
    return x.unsqueeze(2).repeat(1, 1, n_rep, 1, 1).view(b, h * n_rep, t, d)


def gqa_attention(q, k, v, past_k=None, past_v=None):
    if past_k is not None:
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
    b, hq, t, d = q.shape
    hkv, s = k.shape[1], k.shape[2]
    grouped = q.view(b, hkv, hq // hkv, t, d)
    scores = torch.einsum("bgrtd,bgsd->bgrts", grouped, k) / math.sqrt(d)
    query_pos = torch.arange(s - t, s).view(t, 1)
    key_pos = torch.arange(s).view(1, s)
    scores = scores.masked_fill(key_pos > query_pos, float("-inf"))
    weights = scores.softmax(dim=-1)
    out = torch.einsum("bgrts,bgsd->bgrtd", weights, v).reshape(b, hq, t, d)
    return out, k, v

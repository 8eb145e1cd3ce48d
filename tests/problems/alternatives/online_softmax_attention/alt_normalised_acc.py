"""Alternative: keeps the output normalised after every block (the FlashAttention-1 formulation)."""

import math

import torch


def online_attention(q, k, v, block_size, causal=False):
    t, s = q.shape[2], k.shape[2]
    out = torch.zeros_like(q)
    row_max = torch.full(q.shape[:-1] + (1,), -math.inf, dtype=q.dtype)
    row_sum = torch.zeros(q.shape[:-1] + (1,), dtype=q.dtype)
    query_pos = torch.arange(t).unsqueeze(1)
    for j in range(0, s, block_size):
        kb, vb = k[..., j : j + block_size, :], v[..., j : j + block_size, :]
        sc = torch.matmul(q, kb.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        if causal:
            key_pos = torch.arange(j, j + kb.shape[-2]).unsqueeze(0)
            sc = sc.masked_fill(key_pos > query_pos, -math.inf)
        block_max = sc.max(dim=-1, keepdim=True).values
        new_max = torch.maximum(row_max, block_max)
        alpha = torch.exp(row_max - new_max)
        p = torch.exp(sc - new_max)
        new_sum = alpha * row_sum + p.sum(-1, keepdim=True)
        out = (out * alpha * row_sum + p @ vb) / new_sum
        row_max, row_sum = new_max, new_sum
    return out

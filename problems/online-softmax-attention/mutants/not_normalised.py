"""Mutant: the running output is returned without dividing by the normaliser."""

import math

import torch


def online_attention(q, k, v, block_size, causal=False):
    """softmax(q k^T / sqrt(D)) v, one block of keys at a time."""
    b, h, t, d = q.shape
    s_len = k.shape[2]
    scale = 1.0 / math.sqrt(d)
    m = torch.full((b, h, t, 1), float("-inf"), dtype=q.dtype)
    l = torch.zeros((b, h, t, 1), dtype=q.dtype)
    acc = torch.zeros_like(q)
    rows = torch.arange(t)[:, None]
    for start in range(0, s_len, block_size):
        k_blk, v_blk = k[:, :, start : start + block_size], v[:, :, start : start + block_size]
        scores = q @ k_blk.transpose(-2, -1) * scale
        if causal:
            cols = torch.arange(start, start + k_blk.shape[2])[None, :]
            scores = scores.masked_fill(cols > rows, float("-inf"))
        m_new = torch.maximum(m, scores.amax(dim=-1, keepdim=True))
        # Rows with no visible key yet keep m = -inf: their correction and probabilities are 0, not nan.
        safe = torch.where(torch.isinf(m_new), torch.zeros_like(m_new), m_new)
        p = torch.exp(scores - safe)
        correction = torch.exp(m - safe)
        l = l * correction + p.sum(dim=-1, keepdim=True)
        acc = acc * correction + p @ v_blk
        m = m_new
    return acc

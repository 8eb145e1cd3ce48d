"""A different but correct solution: one head at a time with einsum, a large negative number (not -inf)
for masked scores, and the heads concatenated in order."""

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    """Loops over heads; masked scores get -1e9, which the softmax turns into exact zeros."""

    def __init__(self, d_model, n_heads):
        """The four required projections."""
        super().__init__()
        self.n_heads = n_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x, key_padding_mask=None):
        """x [B, T, D] -> [B, T, D]."""
        length, d_model = x.shape[1], x.shape[2]
        d_head = d_model // self.n_heads
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        positions = torch.arange(length)
        allowed = (positions[None, :] <= positions[:, None]).unsqueeze(0)  # [1, Tq, Tk]
        if key_padding_mask is not None:
            allowed = allowed & ~key_padding_mask.unsqueeze(1)
        outs = []
        for h in range(self.n_heads):
            part = slice(h * d_head, (h + 1) * d_head)
            scores = torch.einsum("bqd,bkd->bqk", q[..., part], k[..., part]) * d_head**-0.5
            scores = torch.where(allowed, scores, torch.tensor(-1e9, dtype=scores.dtype))
            outs.append(torch.einsum("bqk,bkd->bqd", scores.softmax(dim=-1), v[..., part]))
        return self.out_proj(torch.cat(outs, dim=-1))

"""Mutant: correct values, but computed with F.scaled_dot_product_attention, which the statement forbids."""

import math

import torch
from torch import nn


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t attends to positions <= t (and not to padding)."""

    def __init__(self, d_model, n_heads):
        """Four d_model x d_model projections with bias: queries, keys, values, output."""
        super().__init__()
        if d_model % n_heads:
            raise ValueError("d_model must be divisible by n_heads")
        self.d_model, self.n_heads, self.d_head = d_model, n_heads, d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def _heads(self, x):
        """[B, T, d_model] -> [B, n_heads, T, d_head]: head h owns features h*d_head:(h+1)*d_head."""
        batch, length, _ = x.shape
        return x.view(batch, length, self.n_heads, self.d_head).transpose(1, 2)

    def forward(self, x, key_padding_mask=None):
        """x [B, T, d_model], key_padding_mask bool [B, T] (True = padding) -> [B, T, d_model]."""
        batch, length, _ = x.shape
        q, k, v = self._heads(self.q_proj(x)), self._heads(self.k_proj(x)), self._heads(self.v_proj(x))
        allowed = torch.ones(length, length, dtype=torch.bool).tril()
        if key_padding_mask is not None:
            allowed = allowed & ~key_padding_mask[:, None, None, :]
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        out = out.transpose(1, 2).reshape(batch, length, self.d_model)
        return self.out_proj(out)

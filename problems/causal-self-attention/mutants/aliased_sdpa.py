"""Mutant: imports scaled_dot_product_attention under another name at the top of the file, then calls it (correct values)."""

import math

import torch
from torch import nn
from torch.nn.functional import scaled_dot_product_attention as attend


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
        if key_padding_mask is None:
            out = attend(q, k, v, is_causal=True)
        else:
            allowed = torch.ones(length, length, dtype=torch.bool).tril() & ~key_padding_mask[:, None, None, :]
            out = attend(q, k, v, attn_mask=allowed)
        out = out.transpose(1, 2).reshape(batch, length, self.d_model)
        return self.out_proj(out)

"""Mutant: runs F.multi_head_attention_forward with the four projections' weights (correct values), which the statement forbids."""

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
        seq_first = x.transpose(0, 1)
        out, _ = torch.nn.functional.multi_head_attention_forward(
            seq_first, seq_first, seq_first, self.d_model, self.n_heads,
            None, torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            None, None, False, 0.0, self.out_proj.weight, self.out_proj.bias,
            training=False, key_padding_mask=key_padding_mask, need_weights=False,
            attn_mask=torch.ones(length, length, dtype=torch.bool).triu(1),
            use_separate_proj_weight=True, q_proj_weight=self.q_proj.weight,
            k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight,
        )
        return out.transpose(0, 1)

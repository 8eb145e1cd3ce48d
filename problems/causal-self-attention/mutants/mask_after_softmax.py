"""Mutant: the masks zero the attention weights after the softmax, so the rows no longer sum to 1."""

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
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)  # [B, H, T, T]
        # The mask goes on the scores, before the softmax, so the weights of each row still sum to 1.
        future = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
        weights = torch.softmax(scores, dim=-1).masked_fill(future, 0.0)
        if key_padding_mask is not None:
            weights = weights.masked_fill(key_padding_mask[:, None, None, :], 0.0)
        out = (weights @ v).transpose(1, 2).reshape(batch, length, self.d_model)
        return self.out_proj(out)

"""A different but correct solution: the three input projections applied as one packed F.linear, a
causal mask kept in a buffer and sliced, an additive float mask, and baddbmm with the scale folded in."""

import math

import torch
import torch.nn.functional as F
from torch import nn


class CausalSelfAttention(nn.Module):
    """Packs q/k/v weights at call time (the parameters stay the four required Linears)."""

    def __init__(self, d_model, n_heads, max_len=256):
        """Projections plus a boolean upper-triangular buffer of future positions."""
        super().__init__()
        self.h = n_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.register_buffer("future", torch.triu(torch.ones(max_len, max_len, dtype=torch.bool), 1), persistent=False)

    def forward(self, x, key_padding_mask=None):
        """x [B, T, D] -> [B, T, D]."""
        b, t, d = x.shape
        dh = d // self.h
        weight = torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight])
        bias = torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias])
        q, k, v = F.linear(x, weight, bias).split(d, dim=-1)
        # [B * H, T, dh]
        q, k, v = (z.reshape(b, t, self.h, dh).permute(0, 2, 1, 3).reshape(b * self.h, t, dh) for z in (q, k, v))
        additive = torch.zeros(b, 1, t, t, dtype=x.dtype).masked_fill(self.future[:t, :t], float("-inf"))
        if key_padding_mask is not None:
            additive = additive.masked_fill(key_padding_mask.view(b, 1, 1, t), float("-inf"))
        additive = additive.expand(b, self.h, t, t).reshape(b * self.h, t, t)
        scores = torch.baddbmm(additive, q, k.transpose(1, 2), beta=1.0, alpha=1.0 / math.sqrt(dh))
        out = torch.bmm(torch.softmax(scores, dim=-1), v)
        out = out.view(b, self.h, t, dh).permute(0, 2, 1, 3).reshape(b, t, d)
        return self.out_proj(out)

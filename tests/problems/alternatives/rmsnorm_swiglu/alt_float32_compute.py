"""Alternative: everything normalised in float32 (also float64 inputs), weight applied in float32, cast at the end."""

import math

import torch
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.dim = dim
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        h = x.to(torch.float32)
        rms = torch.sqrt(torch.mean(h * h, dim=-1, keepdim=True) + self.eps)
        return ((h / rms) * self.weight.to(torch.float32)).to(x.dtype)


class SwiGLU(nn.Module):
    def __init__(self, dim, hidden_dim):
        super().__init__()
        self.gate = nn.Linear(dim, hidden_dim, bias=False)
        self.up = nn.Linear(dim, hidden_dim, bias=False)
        self.down = nn.Linear(hidden_dim, dim, bias=False)

    def forward(self, x):
        g = torch.nn.functional.linear(x, self.gate.weight)
        swish = g * torch.sigmoid(g)
        return torch.nn.functional.linear(swish * torch.nn.functional.linear(x, self.up.weight), self.down.weight)


def swiglu_hidden_dim(dim, multiple_of=256, ffn_dim_multiplier=None):
    hidden = int(8 * dim / 3)
    if ffn_dim_multiplier:
        hidden = int(hidden * ffn_dim_multiplier)
    return int(math.ceil(hidden / multiple_of)) * multiple_of

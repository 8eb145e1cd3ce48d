"""Alternative: RMS from the vector norm, float64 inside for every dtype; SwiGLU through einsum."""

import torch
from torch import nn


def _rms_normalise(x, eps):
    d = x.shape[-1]
    norm = torch.linalg.vector_norm(x, ord=2, dim=-1, keepdim=True)
    return x / torch.sqrt(norm.pow(2) / d + eps)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = float(eps)
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        normed = _rms_normalise(x.double(), self.eps).to(x.dtype)
        return normed * self.weight


class SwiGLU(nn.Module):
    def __init__(self, dim, hidden_dim):
        super().__init__()
        self.gate = nn.Linear(dim, hidden_dim, bias=False)
        self.up = nn.Linear(dim, hidden_dim, bias=False)
        self.down = nn.Linear(hidden_dim, dim, bias=False)

    def forward(self, x):
        gate = torch.einsum("...d,hd->...h", x, self.gate.weight)
        up = torch.einsum("...d,hd->...h", x, self.up.weight)
        return torch.einsum("...h,dh->...d", torch.nn.functional.silu(gate) * up, self.down.weight)


def swiglu_hidden_dim(dim, multiple_of=256, ffn_dim_multiplier=None):
    hidden = (2 * 4 * dim) // 3
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    remainder = hidden % multiple_of
    return hidden if remainder == 0 else hidden + multiple_of - remainder

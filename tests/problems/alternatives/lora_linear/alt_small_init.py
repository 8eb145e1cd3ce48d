"""Alternative: einsum for the low-rank path, A with a small Gaussian init (std 0.02), merge via deepcopy."""

import copy

import torch
from torch import nn


class LoRALinear(nn.Module):
    """y = base(x) + scaling * einsum(x, A, B)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        """Freeze each base tensor; A small random, B zero."""
        super().__init__()
        self.base = base
        self.base.weight.requires_grad = False
        if self.base.bias is not None:
            self.base.bias.requires_grad = False
        self.scaling = float(alpha) / float(rank)
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features).normal_(0.0, 0.02))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x):
        """Low-rank path through the rank-sized bottleneck."""
        low = torch.einsum("...i,ri->...r", x, self.lora_A)
        return self.base(x) + self.scaling * torch.einsum("...r,or->...o", low, self.lora_B)

    def merge(self):
        """Deep-copy the base layer and add the update to the copy's weight."""
        merged = copy.deepcopy(self.base)
        with torch.no_grad():
            merged.weight += self.scaling * torch.einsum("or,ri->oi", self.lora_B, self.lora_A)
        merged.requires_grad_(False)
        return merged

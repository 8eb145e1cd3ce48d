"""Mutant: merge() adds the update into base.weight in place and returns the base: the LoRALinear then counts the update twice."""

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """y = base(x) + (alpha / rank) * x @ A.T @ B.T, with base frozen, A [rank, in] random and B [out, rank] zero."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        """Wrap `base` (kept as a frozen submodule) and add the low-rank factors."""
        super().__init__()
        self.base = base
        self.rank = rank
        self.alpha = alpha
        self.scaling = alpha / rank
        for parameter in self.base.parameters():
            parameter.requires_grad_(False)
        weight = base.weight
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features, dtype=weight.dtype, device=weight.device))
        # A random (as nn.Linear initialises its weight), B zero: the update B @ A starts at exactly 0.
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank, dtype=weight.dtype, device=weight.device))

    def forward(self, x):
        """The frozen layer's output plus the scaled low-rank path; x is [..., in_features]."""
        return self.base(x) + self.scaling * ((x @ self.lora_A.T) @ self.lora_B.T)

    @torch.no_grad()
    def merge(self) -> nn.Linear:
        """A new plain nn.Linear with weight W + scaling * B @ A and the base's bias; self is left unchanged."""
        base = self.base
        base.weight.add_(self.scaling * (self.lora_B @ self.lora_A))
        return base

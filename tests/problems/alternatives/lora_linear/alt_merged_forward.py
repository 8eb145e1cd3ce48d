"""Alternative: the forward pass applies the merged weight W + s * B @ A with F.linear; A is Gaussian."""

import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    """Keeps the base frozen; the effective weight is recomputed each call."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        """Freeze the base module as a whole; A ~ N(0, 1/rank^2) as in the LoRA paper's random Gaussian, B = 0."""
        super().__init__()
        base.requires_grad_(False)
        self.base = base
        self.scaling = alpha / rank
        self.lora_A = nn.Parameter(torch.randn(rank, base.in_features) / rank)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))

    def delta(self):
        """The scaled low-rank update, [out_features, in_features]."""
        return self.scaling * self.lora_B @ self.lora_A

    def forward(self, x):
        """One linear map with the merged weight."""
        return F.linear(x, self.base.weight + self.delta(), self.base.bias)

    def merge(self):
        """A detached copy of the merged layer."""
        merged = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None)
        with torch.no_grad():
            merged.weight.copy_(self.base.weight + self.delta())
            if self.base.bias is not None:
                merged.bias.copy_(self.base.bias)
        return merged

"""LoRA linear layer: fill in every method. See the statement for the attribute names, shapes and rules."""

import torch
from torch import nn


class LoRALinear(nn.Module):
    """y = base(x) + (alpha / rank) * x @ lora_A.T @ lora_B.T, with the base frozen."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        """Keep `base` as self.base (frozen); create lora_A [rank, in] (random) and lora_B [out, rank] (zeros)."""
        super().__init__()
        # TODO: self.base, self.scaling, self.lora_A, self.lora_B
        raise NotImplementedError

    def forward(self, x):
        """x: [..., in_features] -> [..., out_features]."""
        raise NotImplementedError

    def merge(self) -> nn.Linear:
        """A new nn.Linear with weight W + scaling * B @ A and the base's bias; self is unchanged."""
        raise NotImplementedError

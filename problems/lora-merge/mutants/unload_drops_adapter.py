"""Mutant: merge_and_unload copies the base weight without the active adapter."""

import math

import torch
from torch import nn


class Adapter(nn.Module):
    """One LoRA adapter: lora_A [rank, in], lora_B [out, rank], scaling alpha / rank."""

    def __init__(self, in_features, out_features, rank, alpha):
        super().__init__()
        self.lora_A = nn.Parameter(torch.empty(rank, in_features))
        self.lora_B = nn.Parameter(torch.zeros(out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / rank

    def delta(self):
        """The weight change scaling * B @ A."""
        return self.scaling * self.lora_B @ self.lora_A


class MultiLoRALinear(nn.Module):
    """A frozen nn.Linear with named LoRA adapters, one of them active."""

    def __init__(self, base):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.adapters = nn.ModuleDict()
        self.active = None
        self.merged = False

    def add_adapter(self, name, rank, alpha):
        self.adapters[name] = Adapter(self.base.in_features, self.base.out_features, rank, alpha).to(self.base.weight.dtype)

    def set_active(self, name):
        self.unmerge()
        self.active = name

    def merge(self):
        if self.merged or self.active is None:
            return
        with torch.no_grad():
            self.base.weight += self.adapters[self.active].delta()
        self.merged = True

    def unmerge(self):
        if not self.merged:
            return
        with torch.no_grad():
            self.base.weight -= self.adapters[self.active].delta()
        self.merged = False

    def forward(self, x):
        out = self.base(x)
        if self.active is None or self.merged:
            return out
        adapter = self.adapters[self.active]
        return out + adapter.scaling * (x @ adapter.lora_A.T) @ adapter.lora_B.T


def merge_and_unload(model):
    """Every MultiLoRALinear of model replaced by a plain nn.Linear holding its merged weight."""
    for name, child in list(model.named_children()):
        if isinstance(child, MultiLoRALinear):
            base = child.base
            plain = nn.Linear(base.in_features, base.out_features, bias=base.bias is not None).to(base.weight.dtype)
            with torch.no_grad():
                weight = base.weight.clone()
                plain.weight.copy_(weight)
                if base.bias is not None:
                    plain.bias.copy_(base.bias)
            setattr(model, name, plain)
        else:
            merge_and_unload(child)
    return model

"""Alternative: einsum for the low-rank path; unloading with an explicit stack of modules."""

import torch
from torch import nn


class LoRA(nn.Module):
    def __init__(self, in_features, out_features, rank, alpha, dtype):
        super().__init__()
        self.lora_A = nn.Parameter(torch.nn.init.normal_(torch.empty(rank, in_features, dtype=dtype), std=0.02))
        self.lora_B = nn.Parameter(torch.zeros(out_features, rank, dtype=dtype))
        self.scaling = alpha / rank


class MultiLoRALinear(nn.Module):
    def __init__(self, base):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.adapters = nn.ModuleDict()
        self.active = None
        self.is_merged = False

    def add_adapter(self, name, rank, alpha):
        self.adapters[name] = LoRA(self.base.in_features, self.base.out_features, rank, alpha, self.base.weight.dtype)

    def _weight_delta(self):
        lora = self.adapters[self.active]
        return torch.einsum("or,ri->oi", lora.lora_B, lora.lora_A) * lora.scaling

    def set_active(self, name):
        if self.is_merged:
            self.unmerge()
        self.active = name

    @torch.no_grad()
    def merge(self):
        if self.active is None or self.is_merged:
            return
        self.base.weight.add_(self._weight_delta())
        self.is_merged = True

    @torch.no_grad()
    def unmerge(self):
        if self.is_merged:
            self.base.weight.sub_(self._weight_delta())
            self.is_merged = False

    def forward(self, x):
        out = self.base(x)
        if self.active is None or self.is_merged:
            return out
        lora = self.adapters[self.active]
        low = torch.einsum("...i,ri->...r", x, lora.lora_A)
        return out + lora.scaling * torch.einsum("...r,or->...o", low, lora.lora_B)


def merge_and_unload(model):
    stack = [model]
    while stack:
        parent = stack.pop()
        for name, child in list(parent.named_children()):
            if isinstance(child, MultiLoRALinear):
                child.merge()
                plain = nn.Linear(child.base.in_features, child.base.out_features, bias=child.base.bias is not None)
                plain = plain.to(child.base.weight.dtype)
                with torch.no_grad():
                    plain.weight.copy_(child.base.weight)
                    if child.base.bias is not None:
                        plain.bias.copy_(child.base.bias)
                setattr(parent, name, plain)
            else:
                stack.append(child)
    return model

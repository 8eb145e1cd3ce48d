"""Alternative: tracks which adapter is merged by name; unloads through named_modules and the parent's setattr."""

import torch
from torch import nn


class _Pair(nn.Module):
    def __init__(self, rank, in_features, out_features, scale):
        super().__init__()
        self.register_parameter("lora_A", nn.Parameter(torch.randn(rank, in_features) * 0.01))
        self.register_parameter("lora_B", nn.Parameter(torch.zeros(out_features, rank)))
        self.scale = scale


class MultiLoRALinear(nn.Module):
    def __init__(self, base):
        super().__init__()
        base.weight.requires_grad = False
        if base.bias is not None:
            base.bias.requires_grad = False
        self.base = base
        self.adapters = nn.ModuleDict()
        self.active = None
        self.merged_name = None

    def add_adapter(self, name, rank, alpha):
        pair = _Pair(rank, self.base.in_features, self.base.out_features, alpha / rank)
        self.adapters[name] = pair.to(dtype=self.base.weight.dtype)

    def _delta(self, name):
        pair = self.adapters[name]
        return pair.scale * torch.mm(pair.lora_B, pair.lora_A)

    def set_active(self, name):
        if self.merged_name is not None:
            self.unmerge()
        self.active = name

    def merge(self):
        if self.active is not None and self.merged_name is None:
            self.base.weight.data.add_(self._delta(self.active).detach())
            self.merged_name = self.active

    def unmerge(self):
        if self.merged_name is not None:
            self.base.weight.data.sub_(self._delta(self.merged_name).detach())
            self.merged_name = None

    def forward(self, x):
        y = self.base(x)
        if self.active is not None and self.merged_name is None:
            pair = self.adapters[self.active]
            y = y + pair.scale * nn.functional.linear(nn.functional.linear(x, pair.lora_A), pair.lora_B)
        return y


def merge_and_unload(model):
    targets = [(name, module) for name, module in model.named_modules() if isinstance(module, MultiLoRALinear)]
    for name, module in targets:
        module.merge()
        base = module.base
        linear = nn.Linear(base.in_features, base.out_features, bias=base.bias is not None, dtype=base.weight.dtype)
        linear.weight.data.copy_(base.weight.data)
        if base.bias is not None:
            linear.bias.data.copy_(base.bias.data)
        parent_name, _, child_name = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child_name, linear)
    return model

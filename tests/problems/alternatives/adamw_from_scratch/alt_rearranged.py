"""Alternative: torch's own rearrangement (step size lr / bias1, denominator sqrt(v) / sqrt(bias2) + eps)."""

import math

import torch
from torch.optim import Optimizer


class AdamW(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if lr < 0 or eps < 0:
            raise ValueError("lr and eps must be non-negative")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if len(state) == 0:
                        state["step"] = torch.tensor(0.0, dtype=torch.float64)
                        state["m"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                        state["v"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["step"] += 1
                    t = state["step"].item()
                    p.mul_(1 - group["lr"] * group["weight_decay"])
                    state["m"].lerp_(p.grad, 1 - beta1)
                    state["v"].mul_(beta2).addcmul_(p.grad, p.grad.conj(), value=1 - beta2)
                    bias1 = 1 - beta1**t
                    bias2 = 1 - beta2**t
                    denom = (state["v"].sqrt() / math.sqrt(bias2)).add_(group["eps"])
                    p.addcdiv_(state["m"], denom, value=-group["lr"] / bias1)
        return loss

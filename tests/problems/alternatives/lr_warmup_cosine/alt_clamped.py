"""Alternative: progress clamped to [0, 1] with numpy-style min/max, one lambda per parameter group."""

import math

import torch


def warmup_cosine_multiplier(step, warmup_steps, total_steps, min_lr_ratio=0.0):
    step = float(step)
    if step < warmup_steps:
        return step / warmup_steps
    span = max(total_steps - warmup_steps, 1)
    progress = min(max((step - warmup_steps) / span, 0.0), 1.0)
    if step >= total_steps:
        progress = 1.0
    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
    return (1.0 - min_lr_ratio) * cosine + min_lr_ratio


class _Schedule:
    def __init__(self, warmup_steps, total_steps, min_lr_ratio):
        self.args = (warmup_steps, total_steps, min_lr_ratio)

    def __call__(self, step):
        return warmup_cosine_multiplier(step, *self.args)


def warmup_cosine(optimizer, warmup_steps, total_steps, min_lr_ratio=0.0):
    schedules = [_Schedule(warmup_steps, total_steps, min_lr_ratio) for _ in optimizer.param_groups]
    return torch.optim.lr_scheduler.LambdaLR(optimizer, schedules)

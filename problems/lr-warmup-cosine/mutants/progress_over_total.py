"""Mutant: progress measured over total_steps instead of the steps after warmup."""

import math
from functools import partial

import torch


def warmup_cosine_multiplier(step, warmup_steps, total_steps, min_lr_ratio=0.0):
    """The learning-rate multiplier at `step`: linear warmup from 0, then cosine down to min_lr_ratio."""
    if step < warmup_steps:
        return float(step) / float(warmup_steps)
    if step >= total_steps:
        return float(min_lr_ratio)
    progress = (step - warmup_steps) / total_steps
    return float(min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def warmup_cosine(optimizer, warmup_steps, total_steps, min_lr_ratio=0.0):
    """A LambdaLR on `optimizer` that follows warmup_cosine_multiplier."""
    schedule = partial(
        warmup_cosine_multiplier, warmup_steps=warmup_steps, total_steps=total_steps, min_lr_ratio=min_lr_ratio
    )
    return torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)

"""Mutant: warmup times cosine in one expression, dividing by zero when there is no warmup or no decay."""

import math
from functools import partial

import torch


def warmup_cosine_multiplier(step, warmup_steps, total_steps, min_lr_ratio=0.0):
    """Wrong at the edges: warmup and cosine multiplied, with no guard for warmup_steps = 0 or = total_steps."""
    warm = min(1.0, step / warmup_steps)
    progress = min(1.0, max(0.0, (step - warmup_steps) / (total_steps - warmup_steps)))
    return warm * (min_lr_ratio + (1.0 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress)))


def warmup_cosine(optimizer, warmup_steps, total_steps, min_lr_ratio=0.0):
    """A LambdaLR on `optimizer` that follows warmup_cosine_multiplier."""
    schedule = partial(
        warmup_cosine_multiplier, warmup_steps=warmup_steps, total_steps=total_steps, min_lr_ratio=min_lr_ratio
    )
    return torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)

"""Alternative: the phases as separate helpers, the scheduler through a closure."""

import math

import torch


def _warmup(step, warmup_steps):
    return step / warmup_steps


def _cosine(progress, floor):
    return floor + (1 - floor) * (1 + math.cos(math.pi * progress)) / 2


def warmup_cosine_multiplier(step, warmup_steps, total_steps, min_lr_ratio=0.0):
    if warmup_steps > 0 and step < warmup_steps:
        return float(_warmup(step, warmup_steps))
    decay_steps = total_steps - warmup_steps
    if decay_steps <= 0 or step >= total_steps:
        return float(min_lr_ratio)
    return float(_cosine((step - warmup_steps) / decay_steps, min_lr_ratio))


def warmup_cosine(optimizer, warmup_steps, total_steps, min_lr_ratio=0.0):
    def lr_lambda(step):
        return warmup_cosine_multiplier(step, warmup_steps, total_steps, min_lr_ratio)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=lr_lambda)

"""Warmup + cosine learning-rate schedule: fill in both functions. See the statement for the exact rule."""

import math

import torch


def warmup_cosine_multiplier(step, warmup_steps, total_steps, min_lr_ratio=0.0):
    """The learning-rate multiplier at `step`: linear warmup from 0, then cosine down to min_lr_ratio."""
    raise NotImplementedError


def warmup_cosine(optimizer, warmup_steps, total_steps, min_lr_ratio=0.0):
    """A LambdaLR on `optimizer` that follows warmup_cosine_multiplier."""
    raise NotImplementedError

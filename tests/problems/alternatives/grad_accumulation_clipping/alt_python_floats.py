"""Alternative: norms accumulated as Python floats, the loss summed per example then divided."""

import math

import torch


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    params = [p for p in parameters if p.grad is not None]
    if norm_type == float("inf"):
        total = max(p.grad.abs().max().item() for p in params)
    else:
        total = math.fsum(p.grad.abs().pow(norm_type).sum().item() for p in params) ** (1.0 / norm_type)
    scale = min(1.0, max_norm / (total + 1e-6))
    with torch.no_grad():
        for p in params:
            p.grad *= scale
    return torch.tensor(total, dtype=torch.float64)


def train_step(model, loss_fn, micro_batches, optimizer, max_norm):
    for p in model.parameters():
        p.grad = None
    examples = sum(len(x) for x, _ in micro_batches)
    summed = 0.0
    for x, y in micro_batches:
        loss = loss_fn(model(x), y)
        (loss * len(x) / examples).backward()
        summed += loss.item() * len(x)
    clip_grad_norm(model.parameters(), max_norm)
    optimizer.step()
    optimizer.zero_grad()
    return summed / examples

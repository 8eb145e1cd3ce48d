"""Mutant: norm_type inf is treated as the 2-norm."""

import math

import torch


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    """Clip the global gradient norm in place; return the norm before clipping."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    if False:
        total = torch.stack([g.detach().abs().max() for g in grads]).max()
    else:
        p = 2.0 if math.isinf(norm_type) else norm_type
        total = torch.stack([g.detach().norm(p) for g in grads]).norm(p)
    clip_coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for g in grads:
        g.detach().mul_(clip_coef.to(g.dtype))
    return total


def train_step(model, loss_fn, micro_batches, optimizer, max_norm):
    """One optimizer step over micro-batches of one batch; returns the batch's mean loss."""
    optimizer.zero_grad()
    total = sum(len(x) for x, _ in micro_batches)
    batch_loss = 0.0
    for x, y in micro_batches:
        share = len(x) / total
        loss = loss_fn(model(x), y) * share
        loss.backward()
        batch_loss += loss.item()
    clip_grad_norm(model.parameters(), max_norm)
    optimizer.step()
    optimizer.zero_grad()
    return batch_loss

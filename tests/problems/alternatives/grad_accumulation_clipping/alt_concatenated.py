"""Alternative: the global norm of all gradients concatenated, vector_norm for every norm type."""

import torch


def clip_grad_norm(parameters, max_norm, norm_type=2.0):
    grads = [p.grad for p in parameters if p.grad is not None]
    flat = torch.cat([g.detach().reshape(-1) for g in grads])
    total = torch.linalg.vector_norm(flat, ord=norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g.mul_(coef)
    return total


def train_step(model, loss_fn, micro_batches, optimizer, max_norm):
    optimizer.zero_grad(set_to_none=True)
    n = sum(x.shape[0] for x, _ in micro_batches)
    running = torch.zeros((), dtype=torch.float64)
    for x, y in micro_batches:
        weight = x.shape[0] / n
        loss = loss_fn(model(x), y)
        (loss * weight).backward()
        running += loss.detach() * weight
    clip_grad_norm(list(model.parameters()), max_norm)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return running.item()

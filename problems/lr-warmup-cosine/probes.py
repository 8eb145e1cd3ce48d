"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing.
"""

import torch


def multipliers(sol, steps, warmup_steps, total_steps, min_lr_ratio):
    """warmup_cosine_multiplier at each step, as returned (types kept)."""
    return [sol.warmup_cosine_multiplier(step, warmup_steps, total_steps, min_lr_ratio) for step in steps]


def multiplier_types(sol):
    """The type names of a few multipliers and of the scheduler."""
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = sol.warmup_cosine(optimizer, 3, 10, 0.1)
    return {
        "multipliers": [type(sol.warmup_cosine_multiplier(s, 3, 10, 0.1)).__name__ for s in (0, 2, 3, 7, 10, 12)],
        "is_lambda_lr": isinstance(scheduler, torch.optim.lr_scheduler.LambdaLR),
    }


def schedule(sol, base_lrs, steps, warmup_steps, total_steps, min_lr_ratio):
    """Each group's lr before each optimizer step, and get_last_lr() after each scheduler step."""
    torch.manual_seed(0)
    layers = [torch.nn.Linear(3, 3) for _ in base_lrs]
    optimizer = torch.optim.SGD([{"params": layer.parameters(), "lr": lr} for layer, lr in zip(layers, base_lrs)])
    scheduler = sol.warmup_cosine(optimizer, warmup_steps, total_steps, min_lr_ratio)
    seen, last = [], []
    x = torch.randn(4, 3)
    for _ in range(steps):
        seen.append([group["lr"] for group in optimizer.param_groups])
        optimizer.zero_grad()
        sum(layer(x).pow(2).mean() for layer in layers).backward()
        optimizer.step()
        scheduler.step()
        last.append([float(lr) for lr in scheduler.get_last_lr()])
    return {"seen": seen, "last": last}

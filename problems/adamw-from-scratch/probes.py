"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing: the
checks choose the initial parameters and every gradient, and compare the parameters returned.
"""

import torch


def _optimizer(sol, params, groups):
    return sol.AdamW(
        [
            {
                "params": [params[i] for i in group["indices"]],
                "lr": group["lr"],
                "betas": tuple(group["betas"]),
                "eps": group["eps"],
                "weight_decay": group["weight_decay"],
            }
            for group in groups
        ]
    )


def run(sol, inits, groups, grads, lr_changes, record_every):
    """Step an AdamW over parameters starting at `inits`, writing grads[step][i] (None: no gradient) before
    each step; lr_changes holds [step, group, lr] applied to param_groups before that step. Returns the
    parameters after every `record_every`-th step."""
    params = [torch.nn.Parameter(t.clone()) for t in inits]
    optimizer = _optimizer(sol, params, groups)
    snapshots = []
    for step, step_grads in enumerate(grads):
        for change_step, group, lr in lr_changes:
            if change_step == step:
                optimizer.param_groups[group]["lr"] = lr
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else g.clone()
        optimizer.step()
        if (step + 1) % record_every == 0:
            snapshots.append([p.detach().clone() for p in params])
    return snapshots


def interface(sol):
    """What the optimizer is and what its step does to a parameter and a closure."""
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64))
    before = p.detach().clone()
    storage = p.data_ptr()
    optimizer = sol.AdamW([p], lr=0.1)
    is_optimizer = isinstance(optimizer, torch.optim.Optimizer)

    def closure():
        optimizer.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    returned = optimizer.step(closure)
    return {
        "is_optimizer": is_optimizer,
        "changed": not torch.equal(p.detach(), before),
        "in_place": p.data_ptr() == storage,
        "returned_loss": float(returned) if isinstance(returned, torch.Tensor) else returned,
        "no_closure_returns": optimizer.step() if p.grad is not None else "no grad",
    }


def without_torch_adam(sol, inits, groups, grads):
    """`run` with torch's Adam and AdamW (classes and functional forms) made to raise while it steps."""
    import torch.optim.adam as adam_module
    import torch.optim.adamw as adamw_module

    def refuse(*args, **kwargs):
        raise RuntimeError("torch's Adam/AdamW was called")

    patched = [
        (torch.optim.Adam, "step"),
        (torch.optim.AdamW, "step"),
        (adam_module, "adam"),
        (adamw_module, "adamw"),
    ]
    for name in ("_fused_adam_", "_fused_adamw_"):
        if hasattr(torch, name):
            patched.append((torch, name))
    saved = [(owner, attr, getattr(owner, attr)) for owner, attr in patched if hasattr(owner, attr)]
    for owner, attr, _ in saved:
        setattr(owner, attr, refuse)
    try:
        return run(sol, inits, groups, grads, [], len(grads))
    finally:
        for owner, attr, original in saved:
            setattr(owner, attr, original)

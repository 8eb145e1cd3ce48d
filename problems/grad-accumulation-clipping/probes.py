"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the model's
weights, the data and the stale gradients are the check's.
"""

import torch
from torch import nn


def _parameters(grads):
    params = []
    for g in grads:
        shape = g.shape if g is not None else (2,)
        p = nn.Parameter(torch.zeros(shape, dtype=torch.float64))
        p.grad = None if g is None else g.clone()
        params.append(p)
    return params


def clip(sol, grads, max_norm, norm_type):
    """clip_grad_norm over parameters holding `grads` (None: no gradient): the returned norm and the gradients."""
    params = _parameters(grads)
    total = sol.clip_grad_norm(iter(params), max_norm, norm_type)
    return {"total": total, "grads": [p.grad for p in params]}


def interface(sol):
    """The type names of what each function returns."""
    params = _parameters([torch.ones(3, dtype=torch.float64)])
    total = sol.clip_grad_norm(params, 1.0)
    model = nn.Linear(2, 1).double()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = [(torch.ones(2, 2, dtype=torch.float64), torch.zeros(2, 1, dtype=torch.float64))]
    loss = sol.train_step(model, nn.functional.mse_loss, batches, optimizer, 1.0)
    return {"total": type(total).__name__, "total_dim": total.dim() if isinstance(total, torch.Tensor) else None, "loss": type(loss).__name__}


class _Recording(torch.optim.SGD):
    """SGD that keeps the gradients it steps with."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.seen = []

    def step(self, closure=None):
        self.seen.append([None if p.grad is None else p.grad.detach().clone() for g in self.param_groups for p in g["params"]])
        return super().step(closure)


def model_of(weights):
    """An MLP 4 -> 8 -> 2 (tanh) in float64 holding `weights` in parameter order."""
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(w)
    return model


def step(sol, weights, micro_batches, max_norm, stale):
    """train_step on the MLP with a recording SGD (lr 0.1); stale: gradients of ones present before the call."""
    model = model_of(weights)
    if stale:
        for p in model.parameters():
            p.grad = torch.ones_like(p)
    optimizer = _Recording(model.parameters(), lr=0.1)
    loss = sol.train_step(model, nn.functional.mse_loss, [tuple(b) for b in micro_batches], optimizer, max_norm)
    return {
        "loss": float(loss),
        "seen": optimizer.seen,
        "after": [p.detach().clone() for p in model.parameters()],
        "grads_after": [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()],
    }

"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing; the
experts are linear maps built here from the check's matrices, counting their calls.
"""

import torch
from torch import nn


def route(sol, logits, k, capacity_factor):
    """route as returned: [index, gates, aux_loss]."""
    with torch.no_grad():
        return list(sol.route(logits, k, capacity_factor))


class Expert(nn.Module):
    """x @ W.T, counting calls."""

    def __init__(self, weight):
        super().__init__()
        self.weight = weight
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return x @ self.weight.T


def combine(sol, x, weights, index, gates):
    """combine with linear experts: the output and how often each expert was called."""
    experts = [Expert(w) for w in weights]
    with torch.no_grad():
        out = sol.combine(x, experts, index, gates)
    return {"out": out, "calls": [e.calls for e in experts]}

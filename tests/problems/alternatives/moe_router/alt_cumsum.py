"""Alternative: capacity through a cumulative count over choice-major one-hot assignments."""

import math

import torch
import torch.nn.functional as F


def route(logits, k, capacity_factor=None):
    n, e = logits.shape
    probs = logits.softmax(-1)
    top, index = probs.topk(k, dim=-1)
    gates = top / top.sum(-1, keepdim=True)
    one_hot = F.one_hot(index, e).to(probs.dtype)  # [N, k, E]
    f = one_hot.sum(dim=(0, 1)) / (n * k)
    aux_loss = e * torch.dot(f, probs.mean(0))
    if capacity_factor is not None:
        capacity = math.ceil(capacity_factor * n * k / e)
        choice_major = one_hot.transpose(0, 1).reshape(n * k, e)
        position = torch.cumsum(choice_major, dim=0) * choice_major
        kept = (position <= capacity).all(dim=-1).reshape(k, n).T
        gates = gates * kept.to(gates.dtype)
    return index, gates, aux_loss


def combine(x, experts, index, gates):
    out = torch.zeros_like(x)
    for e, expert in enumerate(experts):
        weight = (gates * (index == e).to(gates.dtype)).sum(-1)
        rows = weight != 0
        if rows.any():
            out[rows] += weight[rows, None] * expert(x[rows])
    return out

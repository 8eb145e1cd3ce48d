"""Mutant: combine calls the experts token by token (slow, and a contract break)."""

import math

import torch


def route(logits, k, capacity_factor=None):
    """(index [N, k], gates [N, k], aux_loss) for router logits [N, E]."""
    n, e = logits.shape
    probs = torch.softmax(logits, dim=-1)
    top, index = torch.topk(probs, k, dim=-1)
    gates = top / top.sum(dim=-1, keepdim=True)
    counts = torch.bincount(index.reshape(-1), minlength=e).to(probs.dtype)
    aux_loss = e * ((counts / (n * k)) * probs.mean(dim=0)).sum()
    if capacity_factor is not None:
        capacity = math.ceil(capacity_factor * n * k / e)
        used = [0] * e
        gates = gates.clone()
        for choice in range(k):
            for token in range(n):
                expert = int(index[token, choice])
                if used[expert] < capacity:
                    used[expert] += 1
                else:
                    gates[token, choice] = 0.0
    return index, gates, aux_loss


def combine(x, experts, index, gates):
    """The gate-weighted sum of each token's experts' outputs, each expert run once on its tokens."""
    rows = []
    for n in range(x.shape[0]):
        rows.append(sum(gates[n, j] * experts[int(index[n, j])](x[n : n + 1])[0] for j in range(index.shape[1])))
    return torch.stack(rows)

"""Mutant: capacity is filled token by token (both of a token's choices before the next token)."""

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
        for token in range(n):
            for choice in range(k):
                expert = int(index[token, choice])
                if used[expert] < capacity:
                    used[expert] += 1
                else:
                    gates[token, choice] = 0.0
    return index, gates, aux_loss


def combine(x, experts, index, gates):
    """The gate-weighted sum of each token's experts' outputs, each expert run once on its tokens."""
    out = torch.zeros_like(x)
    for e, expert in enumerate(experts):
        token, choice = torch.nonzero(index == e, as_tuple=True)
        if token.numel() == 0:
            continue
        out.index_add_(0, token, gates[token, choice, None] * expert(x[token]))
    return out

"""Alternative: the gates as a softmax over the top-k logits; capacity with a counter per expert."""

import math
from collections import Counter

import torch


def route(logits, k, capacity_factor=None):
    n, e = logits.shape
    probs = torch.softmax(logits, dim=1)
    top_logits, index = torch.topk(logits, k, dim=1)
    gates = torch.softmax(top_logits, dim=1)
    load = torch.zeros(e, dtype=probs.dtype).scatter_add_(0, index.flatten(), torch.ones(n * k, dtype=probs.dtype))
    aux_loss = e * (load / (n * k) * probs.mean(0)).sum()
    if capacity_factor is not None:
        limit = math.ceil(capacity_factor * n * k / e)
        taken = Counter()
        keep = torch.ones_like(gates)
        for j in range(k):
            for t in range(n):
                expert = index[t, j].item()
                taken[expert] += 1
                if taken[expert] > limit:
                    keep[t, j] = 0
        gates = gates * keep
    return index, gates, aux_loss


def combine(x, experts, index, gates):
    y = x.new_zeros(x.shape)
    for e in range(len(experts)):
        hits = (index == e).nonzero()
        if len(hits) == 0:
            continue
        tokens, slots = hits[:, 0], hits[:, 1]
        y.index_add_(0, tokens, experts[e](x[tokens]) * gates[tokens, slots].unsqueeze(-1))
    return y

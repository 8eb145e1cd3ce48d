"""A different but correct solution: filters as plain loops over rows (Python floats), and a sampler with
its own vectorised float64 filters and inverse-CDF draws."""

import math

import torch


def apply_temperature(logits, temperature):
    """Divide a copy in place (bit-identical to logits / t)."""
    out = logits.clone()
    out /= temperature
    return out


def top_k_filter(logits, k):
    """Row by row: find the k-th largest with Python's sorted()."""
    out = logits.clone()
    for b in range(logits.shape[0]):
        row = logits[b].tolist()
        if k < len(row):
            kth = sorted(row, reverse=True)[k - 1]
            for j, value in enumerate(row):
                if value < kth:
                    out[b, j] = -math.inf
    return out


def top_p_filter(logits, p):
    """Row by row: walk down distinct values, keeping each group while the mass before it is < p."""
    out = logits.clone()
    if p >= 1:
        return out
    for b in range(logits.shape[0]):
        row = logits[b].double()
        probs = torch.softmax(row, dim=0).tolist()
        values = row.tolist()
        mass_before, keep_values = 0.0, set()
        for value in sorted(set(values), reverse=True):
            if mass_before >= p:
                break
            keep_values.add(value)
            mass_before += sum(q for q, v in zip(probs, values) if v == value)
        for j, value in enumerate(values):
            if value not in keep_values:
                out[b, j] = -math.inf
    return out


def _keep_top_k(scores, k):
    """Vectorised top-k mask: values at or above the k-th largest."""
    if k >= scores.shape[-1]:
        return torch.ones_like(scores, dtype=torch.bool)
    return scores >= scores.sort(dim=-1, descending=True).values[:, k - 1 : k]


def _keep_top_p(scores, p):
    """Vectorised top-p mask from the descending sort: a position stays while the mass before it is < p;
    the smallest value that stays is a threshold, so ties with it stay too."""
    values, _ = scores.sort(dim=-1, descending=True)
    probs = torch.softmax(values, dim=-1)
    before = torch.cat([torch.zeros_like(probs[:, :1]), probs.cumsum(-1)[:, :-1]], dim=-1)
    count = (before < p).sum(-1, keepdim=True).clamp(min=1)
    return scores >= values.gather(-1, count - 1)


def sample(logits, temperature=1.0, top_k=0, top_p=1.0, generator=None):
    """Inverse CDF: one uniform per row, searched in the cumulative distribution."""
    if temperature == 0:
        return logits.max(dim=-1).indices
    scores = logits.double() / temperature
    if top_k:
        scores = scores.masked_fill(~_keep_top_k(scores, top_k), -math.inf)
    if top_p < 1:
        scores = scores.masked_fill(~_keep_top_p(scores, top_p), -math.inf)
    probs = torch.softmax(scores, dim=-1)
    cdf = probs.cumsum(dim=-1)
    u = torch.rand(probs.shape[0], 1, generator=generator, dtype=torch.float64) * cdf[:, -1:]
    ids = torch.searchsorted(cdf, u, right=True).squeeze(-1)
    # u can equal the total only through rounding: fall back to the last token of positive probability.
    last_positive = (probs > 0).long().cumsum(-1).argmax(-1)
    return torch.minimum(ids, last_positive)

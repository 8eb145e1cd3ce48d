"""A different but correct solution: the rules computed literally (pairwise masses) and Gumbel-max sampling."""

import torch


def apply_temperature(logits, temperature):
    """Scale by 1 / temperature."""
    return torch.div(logits, temperature)


def top_k_filter(logits, k):
    """Threshold at the k-th largest value taken from a full descending sort."""
    k = min(k, logits.shape[-1])
    kth = logits.sort(dim=-1, descending=True).values[:, k - 1 : k]
    return torch.where(logits >= kth, logits, torch.full_like(logits, float("-inf")))


def top_p_filter(logits, p):
    """The definition itself: mass of the strictly larger logits, for every token at once."""
    if p >= 1:
        return logits.clone()
    probs = torch.softmax(logits.double(), dim=-1)
    larger = logits.unsqueeze(1) > logits.unsqueeze(2)  # [B, j, i]: i strictly above j
    mass_above = (larger.double() * probs.unsqueeze(1)).sum(-1)
    return torch.where(mass_above < p, logits, torch.full_like(logits, float("-inf")))


def sample(logits, temperature=1.0, top_k=0, top_p=1.0, generator=None):
    """Gumbel-max: argmax(scores + Gumbel noise) is a draw from softmax(scores)."""
    if temperature == 0:
        return torch.argmax(logits, dim=-1)
    scores = apply_temperature(logits, temperature)
    if top_k > 0:
        scores = top_k_filter(scores, top_k)
    if top_p < 1:
        scores = top_p_filter(scores, top_p)
    u = torch.rand(scores.shape, generator=generator, dtype=torch.float64).clamp(1e-12, 1 - 1e-12)
    gumbel = -torch.log(-torch.log(u))
    return torch.argmax(scores.double() + gumbel, dim=-1)

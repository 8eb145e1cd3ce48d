"""Mutant: sample filters the raw logits and applies the temperature after the softmax (probs ** (1 / T)), so top-p sees the wrong distribution."""

import torch


def apply_temperature(logits, temperature):
    """logits [B, V] / temperature (temperature > 0), as a new tensor."""
    if temperature <= 0:
        raise ValueError("temperature must be positive; use sample(..., temperature=0) for greedy decoding")
    return logits / temperature


def top_k_filter(logits, k):
    """Set to -inf every logit below the k-th largest of its row; ties with the k-th largest are kept."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if k >= logits.shape[-1]:
        return logits.clone()
    # The k-th largest value of each row; comparing against it (not keeping topk's indices) keeps ties.
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits, p):
    """Keep, in each row, every token whose strictly more likely tokens hold less than p of the mass."""
    if p >= 1.0:
        return logits.clone()
    probs = torch.softmax(logits.double(), dim=-1)
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    sorted_probs = probs.gather(-1, order)
    # Mass of the tokens before each position in the sorted order (exclusive cumulative sum).
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    keep_sorted = mass_before < p
    keep_sorted[..., 0] = True  # the most likely token always stays
    # The smallest kept logit is the threshold: every logit tied with it stays too, whatever the sort order.
    threshold = sorted_logits.masked_fill(~keep_sorted, float("inf")).min(dim=-1, keepdim=True).values
    return logits.masked_fill(logits < threshold, float("-inf"))


def sample(logits, temperature=1.0, top_k=0, top_p=1.0, generator=None):
    """One token id per row of logits [B, V]: temperature, then top-k, then top-p, then a draw."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    scores = logits
    if top_k and top_k > 0:
        scores = top_k_filter(scores, top_k)
    if top_p < 1.0:
        scores = top_p_filter(scores, top_p)
    probs = torch.softmax(scores, dim=-1) ** (1.0 / temperature)
    probs = probs / probs.sum(dim=-1, keepdim=True)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)

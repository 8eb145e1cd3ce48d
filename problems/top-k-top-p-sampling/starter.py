"""Sampling utilities: fill in every function. See the statement for the exact rules."""

import torch


def apply_temperature(logits, temperature):
    """logits [B, V] divided by temperature (> 0), as a new tensor."""
    raise NotImplementedError


def top_k_filter(logits, k):
    """Set to -inf every logit below the k-th largest of its row (ties with it are kept)."""
    raise NotImplementedError


def top_p_filter(logits, p):
    """Nucleus filter: keep each token whose strictly more likely tokens hold less than p of the mass."""
    raise NotImplementedError


def sample(logits, temperature=1.0, top_k=0, top_p=1.0, generator=None):
    """One token id per row: temperature, then top-k, then top-p, then a draw with `generator`."""
    raise NotImplementedError

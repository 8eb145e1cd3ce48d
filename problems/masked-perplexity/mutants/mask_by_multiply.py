"""Mutant: padding is removed by multiplying by the mask after a log-softmax over raw logits: NaN * 0 is NaN."""

import math

import torch


def token_nll(logits, targets, pad_id):
    """-log p(target) in nats for every position [B, T]; exactly 0 where targets == pad_id."""
    real = targets != pad_id
    # Padded positions may hold any logits (even NaN) and any target id (even -100): neutralise both
    # before the log-softmax, and select with where() (0 * NaN would still be NaN).
    safe_logits = logits
    safe_targets = torch.where(real, targets, torch.zeros_like(targets))
    log_probs = torch.log_softmax(safe_logits, dim=-1)  # stable, unlike log(softmax(...))
    nll = -log_probs.gather(-1, safe_targets.unsqueeze(-1)).squeeze(-1)
    return nll * real


def sequence_perplexity(logits, targets, pad_id):
    """exp(mean NLL over the real tokens of each row) [B]; NaN for a row with no real token."""
    nll = token_nll(logits, targets, pad_id)
    count = (targets != pad_id).sum(dim=1)
    # 0 / 0 = NaN for an all-padding row, as the statement asks.
    return torch.exp(nll.sum(dim=1) / count)


def _corpus_mean_nll(logits, targets, pad_id):
    """Total NLL over every real token of the batch divided by their number (NaN when there are none)."""
    nll = token_nll(logits, targets, pad_id)
    return nll.sum() / (targets != pad_id).sum()


def corpus_perplexity(logits, targets, pad_id):
    """exp(total NLL / total real tokens): every real token weighs the same, whatever its row's length."""
    return torch.exp(_corpus_mean_nll(logits, targets, pad_id))


def bits_per_token(logits, targets, pad_id):
    """Mean NLL over the real tokens in bits (log base 2)."""
    return _corpus_mean_nll(logits, targets, pad_id) / math.log(2.0)

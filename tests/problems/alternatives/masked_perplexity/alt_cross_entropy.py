"""A different but correct solution: F.cross_entropy with ignore_index (it never reads ignored positions),
sums in float64."""

import math

import torch.nn.functional as F


def token_nll(logits, targets, pad_id):
    """cross_entropy wants the class axis second: [B, V, T]."""
    return F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=pad_id, reduction="none")


def sequence_perplexity(logits, targets, pad_id):
    """Per-row mean over real tokens, exponentiated (NaN for empty rows)."""
    nll = token_nll(logits, targets, pad_id).double()
    n = targets.ne(pad_id).sum(1).double()
    return (nll.sum(1) / n).exp()


def corpus_perplexity(logits, targets, pad_id):
    """exp of the token-weighted mean."""
    nll = token_nll(logits, targets, pad_id).double()
    return (nll.sum() / targets.ne(pad_id).sum()).exp()


def bits_per_token(logits, targets, pad_id):
    """Token-weighted mean in bits."""
    nll = token_nll(logits, targets, pad_id).double()
    return nll.sum() / targets.ne(pad_id).sum() / math.log(2)

"""A different but correct solution: only the real positions are selected (boolean indexing), each NLL is
logsumexp(logits) - logits[target], rows are summed back with index_add, and the corpus figures are
returned as Python floats."""

import math

import torch


def _real_nll(logits, targets, pad_id):
    """(row index, NLL) of every real token, in float64."""
    real = targets != pad_id
    rows = real.nonzero()[:, 0]
    chosen = logits[real].double()  # [N, V]: padded rows never enter the computation
    target = targets[real]
    nll = torch.logsumexp(chosen, dim=-1) - chosen.gather(1, target[:, None]).squeeze(1)
    return rows, nll, real


def token_nll(logits, targets, pad_id):
    """Scatter the real NLLs into a zero [B, T] tensor."""
    rows, nll, real = _real_nll(logits, targets, pad_id)
    out = torch.zeros(targets.shape, dtype=torch.float64)
    out[real] = nll
    return out


def sequence_perplexity(logits, targets, pad_id):
    """Row sums by index_add; an empty row divides 0 by 0 and gives NaN."""
    rows, nll, real = _real_nll(logits, targets, pad_id)
    sums = torch.zeros(targets.shape[0], dtype=torch.float64).index_add(0, rows, nll)
    return torch.exp(sums / real.sum(dim=1))


def corpus_perplexity(logits, targets, pad_id):
    """A Python float; NaN without any real token."""
    _, nll, _ = _real_nll(logits, targets, pad_id)
    return math.exp(nll.mean().item()) if nll.numel() else float("nan")


def bits_per_token(logits, targets, pad_id):
    """A Python float; NaN without any real token."""
    _, nll, _ = _real_nll(logits, targets, pad_id)
    return nll.mean().item() / math.log(2) if nll.numel() else float("nan")

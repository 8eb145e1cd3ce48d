"""Hidden checks for masked-perplexity. References are computed here, in float64, never in the candidate's process."""

import math

import torch

from judge.harness import expect

VOCAB = 11
ALL = ["token_nll", "sequence_perplexity", "corpus_perplexity", "bits_per_token"]
TOL = {"rtol": 1e-5, "atol": 1e-5}


def gen(seed):
    """A CPU generator for the check's own inputs."""
    return torch.Generator().manual_seed(seed)


def make_batch(lengths_or_masks, seed, pad_id, scale=2.0):
    """float32 logits [B, T, V] and targets [B, T]: real targets in [1, V), pad_id where the row's mask is False.

    Each row is given as a length (right padding) or as an explicit list of 0/1 (1 = real token).
    """
    g = gen(seed)
    width = max(len(r) if isinstance(r, list) else r for r in lengths_or_masks)
    logits = torch.randn(len(lengths_or_masks), width, VOCAB, generator=g) * scale
    targets = torch.randint(1, VOCAB, (len(lengths_or_masks), width), generator=g)
    for b, row in enumerate(lengths_or_masks):
        real = torch.tensor(row, dtype=torch.bool) if isinstance(row, list) else torch.arange(width) < row
        targets[b, ~real] = pad_id
    return logits, targets


def reference(logits, targets, pad_id):
    """float64 references: token NLL [B, T], sequence perplexity [B], corpus perplexity, bits per token."""
    real = targets != pad_id
    safe_logits = torch.where(real.unsqueeze(-1), logits.double(), torch.zeros((), dtype=torch.float64))
    log_probs = torch.log_softmax(safe_logits, dim=-1)
    picked = log_probs.gather(-1, torch.where(real, targets, 0).unsqueeze(-1)).squeeze(-1)
    nll = torch.where(real, -picked, torch.zeros((), dtype=torch.float64))
    count = real.sum(dim=1)
    sequence = torch.exp(nll.sum(dim=1) / count)
    mean = nll.sum() / real.sum()
    return {"token_nll": nll, "sequence_perplexity": sequence, "corpus_perplexity": float(torch.exp(mean)), "bits_per_token": float(mean / math.log(2.0)), "real": real}


def call(candidate, logits, targets, pad_id, names=ALL):
    """The submission's outputs for `names` on one batch."""
    result = candidate.call("evaluate", logits, targets, pad_id, names)
    assert isinstance(result, dict), "the probe returned no results"
    return result


def compare(result, ref, shape, names=ALL, tol=TOL, context=""):
    """Every named output against the reference; NaN exactly where the reference is NaN."""
    batch, length = shape
    for name in names:
        label = f"{name}{context}"
        if name == "token_nll":
            out = expect.floating(result[name], label, (batch, length))
            expect.close(out, ref[name], label, **tol)
            assert bool((out[~ref["real"]] == 0).all()), f"{label} must be exactly 0 at padded positions"
        elif name == "sequence_perplexity":
            out = expect.floating(result[name], label, (batch,))
            empty = torch.isnan(ref[name])
            assert bool(torch.isnan(out[empty]).all()), f"{label} must be NaN for a row with no real token"
            expect.close(out[~empty], ref[name][~empty], label, **tol)
        else:
            value = expect.scalar(result[name], label)
            if math.isnan(ref[name]):
                assert math.isnan(value), f"{label} must be NaN when the batch holds no real token"
            else:
                expect.close_scalar(value, ref[name], label, **tol)


ROWS = [9, 5, 2, [0, 0, 1, 1, 1, 0, 1, 1, 0], 7]


def test_sequence_perplexity_values(candidate):
    """Rows of 9, 5, 2, 5 (scattered) and 7 real tokens; the mean is over each row's real tokens only."""
    logits, targets = make_batch(ROWS, seed=1, pad_id=0)
    compare(call(candidate, logits, targets, 0, ["sequence_perplexity"]), reference(logits, targets, 0), targets.shape, ["sequence_perplexity"])


def test_corpus_perplexity_values(candidate):
    """Token-weighted over the batch: a row of 12 real tokens weighs 12 times a row of 1."""
    logits, targets = make_batch([12, 1, 3], seed=2, pad_id=0)
    logits[1] *= 4.0  # the short row is much harder to predict: weighting by rows would show
    ref = reference(logits, targets, 0)
    compare(call(candidate, logits, targets, 0, ["corpus_perplexity"]), ref, targets.shape, ["corpus_perplexity"])
    logits, targets = make_batch(ROWS, seed=3, pad_id=0)
    compare(call(candidate, logits, targets, 0, ["corpus_perplexity"]), reference(logits, targets, 0), targets.shape, ["corpus_perplexity"])


def test_bits_per_token(candidate):
    """Mean NLL over real tokens in bits: nats / ln 2."""
    for seed in (4, 5):
        logits, targets = make_batch(ROWS, seed=seed, pad_id=0)
        compare(call(candidate, logits, targets, 0, ["bits_per_token"]), reference(logits, targets, 0), targets.shape, ["bits_per_token"])


def test_all_padding_rows(candidate):
    """A row with no real token: its perplexity is NaN, its NLL row is 0, and the corpus figures ignore it;
    a batch with no real token at all gives NaN corpus perplexity and bits per token."""
    logits, targets = make_batch([6, 0, 3], seed=6, pad_id=0)
    compare(call(candidate, logits, targets, 0), reference(logits, targets, 0), targets.shape)
    logits, targets = make_batch([[0, 0, 0, 0], [0, 0, 0, 0]], seed=7, pad_id=0)
    compare(call(candidate, logits, targets, 0), reference(logits, targets, 0), targets.shape, context=" (no real token at all)")


def test_pad_id_outside_vocab(candidate):
    """pad_id may be -100 or vocab_size: padded targets are never used as indices."""
    for pad_id in (-100, VOCAB):
        logits, targets = make_batch(ROWS, seed=8, pad_id=pad_id)
        compare(call(candidate, logits, targets, pad_id), reference(logits, targets, pad_id), targets.shape, context=f" with pad_id={pad_id}")


def test_padding_garbage_ignored(candidate):
    """Logits at padded positions hold NaN, +-inf and 1e30: the results are those of clean logits."""
    logits, targets = make_batch(ROWS, seed=9, pad_id=0)
    ref = reference(logits, targets, 0)
    dirty = logits.clone()
    padded = (targets == 0).nonzero().tolist()
    garbage = [float("nan"), float("inf"), float("-inf"), 1e30]
    for i, (b, t) in enumerate(padded):
        dirty[b, t, i % VOCAB] = garbage[i % len(garbage)]
        dirty[b, t, (i + 3) % VOCAB] = garbage[(i + 1) % len(garbage)]
    compare(call(candidate, dirty, targets, 0), ref, targets.shape, context=" with NaN or inf logits at padded positions")


def test_large_logits_stable(candidate):
    """Logits of magnitude ~100: token NLLs of hundreds of nats stay finite and exact (a log-softmax, not log(softmax))."""
    logits, targets = make_batch(ROWS, seed=10, pad_id=0, scale=100.0)
    ref = reference(logits, targets, 0)
    compare(call(candidate, logits, targets, 0, ["token_nll", "bits_per_token"]), ref, targets.shape, ["token_nll", "bits_per_token"], tol={"rtol": 1e-5, "atol": 1e-3}, context=" for large logits")

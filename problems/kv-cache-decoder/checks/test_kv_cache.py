"""Hidden checks for kv-cache-decoder. The architecture is free, so the checks compare the submission's
cached and uncached computations with each other (in float64 on this side), never with a fixed model."""

import torch

from judge.harness import expect

VOCAB = 13
CONFIGS = [
    {"d_model": 32, "n_heads": 4, "n_layers": 2},
    {"d_model": 24, "n_heads": 2, "n_layers": 3},
    {"d_model": 16, "n_heads": 1, "n_layers": 1},
]
TOL = {"rtol": 1e-4, "atol": 1e-4}


def gen(seed):
    """A CPU generator for the check's own inputs."""
    return torch.Generator().manual_seed(seed)


def tokens(shape, seed):
    """Random token ids."""
    return torch.randint(0, VOCAB, shape, generator=gen(seed))


def cache_tensors(cache, config, batch, length, name):
    """Assert the stated layout: a list of n_layers (k, v) pairs, each [B, n_heads, length, d_head]."""
    n_layers, n_heads = config["n_layers"], config["n_heads"]
    shape = (batch, n_heads, length, config["d_model"] // n_heads)
    assert isinstance(cache, list) and len(cache) == n_layers, f"{name} must be a list with one (k, v) pair per layer"
    out = []
    for pair in cache:
        assert isinstance(pair, list) and len(pair) == 2, f"{name}: each layer's entry must be a (k, v) pair"
        out.append(tuple(expect.floating(t, f"{name}: k and v", shape) for t in pair))
    return out


def run_chunked(candidate, config, x, cuts):
    """The probe's full call and chunk calls, shapes checked."""
    result = candidate.call("chunked", VOCAB, config, x, cuts)
    batch, length = x.shape
    full = expect.floating(result["full_logits"], "logits without a cache", (batch, length, VOCAB))
    full_cache = cache_tensors(result["full_cache"], config, batch, length, "the cache of a call without a cache")
    steps = result["steps"]
    assert isinstance(steps, list) and len(steps) == len(cuts) + 1, "one result per chunk"
    return full, full_cache, steps


def test_cache_growth(candidate):
    """Chunks of 5, 3 and 1 tokens: the cache grows along dim 2 to 5, 8, 9 positions, keeps the old
    positions as they were, and the cache given to a call is left unmodified."""
    config = CONFIGS[0]
    x = tokens((2, 9), seed=1)
    _, _, steps = run_chunked(candidate, config, x, [5, 8])
    previous = None
    for step, length in zip(steps, (5, 8, 9)):
        cache = cache_tensors(step["cache"], config, 2, length, f"the cache after {length} tokens")
        if previous is not None:
            for (k, v), (old_k, old_v) in zip(cache, previous):
                expect.close(k[:, :, : old_k.shape[2]], old_k, "cached keys of earlier positions", rtol=0, atol=1e-6)
                expect.close(v[:, :, : old_v.shape[2]], old_v, "cached values of earlier positions", rtol=0, atol=1e-6)
            before = cache_tensors(step["given_before"], config, 2, previous[0][0].shape[2], "the cache given")
            after = cache_tensors(step["given_after"], config, 2, previous[0][0].shape[2], "the cache given, after the call")
            for pair_before, pair_after in zip(before, after):
                for a, b in zip(pair_before, pair_after):
                    assert torch.equal(a, b), "forward modified the cache it was given"
        previous = cache


def test_incremental_equals_full(candidate):
    """Decoding token by token with the cache gives the logits and the cache of one call on the whole sequence."""
    x = tokens((2, 10), seed=2)
    for config in CONFIGS:
        full, full_cache, steps = run_chunked(candidate, config, x, list(range(1, 10)))
        pieces = [expect.floating(step["logits"], "logits of a one-token call", (2, 1, VOCAB)) for step in steps]
        expect.close(torch.cat(pieces, dim=1), full, f"token-by-token logits vs full logits ({config})", **TOL)
        last = cache_tensors(steps[-1]["cache"], config, 2, 10, "the cache after the last token")
        for (k, v), (full_k, full_v) in zip(last, full_cache):
            expect.close(k, full_k, "keys cached token by token vs keys of the full call", **TOL)
            expect.close(v, full_v, "values cached token by token vs values of the full call", **TOL)


def test_chunked_equals_full(candidate):
    """A prompt of 4 tokens then chunks of 3, 2 and 3 tokens give the full-sequence logits."""
    x = tokens((3, 12), seed=3)
    for config in CONFIGS[:2]:
        full, _, steps = run_chunked(candidate, config, x, [4, 7, 9])
        sizes = [4, 3, 2, 3]
        pieces = [expect.floating(step["logits"], "logits of a chunk", (3, size, VOCAB)) for step, size in zip(steps, sizes)]
        expect.close(torch.cat(pieces, dim=1), full, f"logits fed in chunks with the cache vs full logits ({config})", **TOL)


def test_causal(candidate):
    """Changing tokens after position t leaves the logits up to t unchanged; changing the token at t changes them at t."""
    x = tokens((2, 10), seed=4)
    later = x.clone()
    later[:, 6:] = (x[:, 6:] + 1 + tokens((2, 4), seed=5) % (VOCAB - 1)) % VOCAB
    current = x.clone()
    current[:, 5] = (x[:, 5] + 4) % VOCAB
    base, (after_later, after_current) = candidate.call("causal", VOCAB, CONFIGS[0], x, [later, current])
    base = expect.floating(base, "logits", (2, 10, VOCAB))
    after_later = expect.floating(after_later, "logits", (2, 10, VOCAB))
    after_current = expect.floating(after_current, "logits", (2, 10, VOCAB))
    expect.close(after_later[:, :6], base[:, :6], "logits at positions 0..5 after changing tokens 6..9", rtol=0, atol=1e-5)
    expect.close(after_current[:, :5], base[:, :5], "logits at positions 0..4 after changing token 5", rtol=0, atol=1e-5)
    assert float((after_current[:, 5] - base[:, 5]).abs().max()) > 1e-4, "the logits at position t do not depend on the token at t"


def test_cache_is_read(candidate):
    """The cached values are used: shifting them (first or last layer) changes the next logits."""
    config = CONFIGS[1]
    prefix, following = tokens((2, 6), seed=6), tokens((2, 2), seed=7)
    for layer in (0, config["n_layers"] - 1):
        base, shifted = candidate.call("cache_read", VOCAB, config, prefix, following, layer)
        base = expect.floating(base, "logits with the cache", (2, 2, VOCAB))
        shifted = expect.floating(shifted, "logits with altered cached values", (2, 2, VOCAB))
        assert float((base - shifted).abs().max()) > 1e-3, "the logits do not depend on the cached values: the cache is not read"


def run_generate(candidate, prompt, n):
    """ids [B, n] and the model's logits over prompt + ids, and the recorded calls."""
    result = candidate.call("generate", VOCAB, CONFIGS[0], prompt, n)
    batch, length = prompt.shape
    ids = expect.tensor(result["ids"], "greedy_generate(model, prompt, n)", (batch, n), torch.int64)
    assert bool(((ids >= 0) & (ids < VOCAB)).all()), "greedy_generate must return ids in [0, vocab_size)"
    logits = expect.floating(result["logits"], "the model's logits", (batch, length + n, VOCAB))
    return ids, logits, result["calls"]


def test_greedy_generate(candidate):
    """Each new id is the argmax of the model's logits at the position before it."""
    prompt = tokens((3, 4), seed=8)
    ids, logits, _ = run_generate(candidate, prompt, 8)
    for i in range(8):
        rows = logits[:, 3 + i]
        chosen = rows.gather(1, ids[:, i : i + 1]).squeeze(1)
        assert bool((chosen >= rows.max(dim=1).values - 1e-4).all()), "a generated id is not the argmax of the model's logits"


def test_generate_uses_cache(candidate):
    """The prompt is run once without a cache; then each call feeds one new token with the cache so far."""
    prompt = tokens((2, 5), seed=9)
    _, _, calls = run_generate(candidate, prompt, 6)
    assert isinstance(calls, list) and calls, "greedy_generate never called the model"
    assert calls[0] == {"tokens": 5, "cache_length": None}, "the first call must run the whole prompt without a cache"
    later = calls[1:]
    assert len(later) in (5, 6), "after the prompt, greedy_generate must call the model once per new token (n - 1 or n calls)"
    for i, call in enumerate(later):
        assert call == {"tokens": 1, "cache_length": 5 + i}, "after the prompt, each call must feed one token with the cache returned by the previous call"

"""Probes: run inside the candidate's process, drive the submission, return plain data.

Every probe is `probe(solution_module, *inputs)`. They hold no expected values and assert nothing: the
checks compare the submission's cached and uncached outputs with each other.
"""

import torch
from torch import nn


def _model(sol, vocab_size, kwargs):
    """A fresh TinyDecoder in eval mode."""
    model = sol.TinyDecoder(vocab_size, **kwargs)
    model.eval()
    return model


def _copy(cache):
    """A deep copy of a cache (a list of (k, v) pairs), to see later whether it was modified."""
    return [[t.detach().clone() for t in pair] for pair in cache]


def forward(sol, vocab_size, kwargs, tokens):
    """Logits and cache of one call without a cache."""
    model = _model(sol, vocab_size, kwargs)
    with torch.no_grad():
        return model(tokens)


def chunked(sol, vocab_size, kwargs, tokens, cuts):
    """The full-sequence call, then the same sequence fed in chunks (cut at `cuts`) with the cache carried.

    For each chunk call: its logits, the cache it returned, and the cache it was given, copied before the
    call and as it was after the call.
    """
    model = _model(sol, vocab_size, kwargs)
    steps = []
    with torch.no_grad():
        full_logits, full_cache = model(tokens)
        cache, start = None, 0
        for end in list(cuts) + [tokens.shape[1]]:
            given_before = None if cache is None else _copy(cache)
            logits, new_cache = model(tokens[:, start:end], cache)
            steps.append({"logits": logits, "cache": new_cache, "given_before": given_before, "given_after": cache})
            cache, start = new_cache, end
    return {"full_logits": full_logits, "full_cache": full_cache, "steps": steps}


def causal(sol, vocab_size, kwargs, tokens, variants):
    """Logits (no cache) for `tokens` and for each variant, from one model."""
    model = _model(sol, vocab_size, kwargs)
    with torch.no_grad():
        return model(tokens)[0], [model(v)[0] for v in variants]


def cache_read(sol, vocab_size, kwargs, prefix, next_tokens, layer):
    """Logits for next_tokens after prefix with the true cache, and with that cache's values at `layer` shifted by 1."""
    model = _model(sol, vocab_size, kwargs)
    with torch.no_grad():
        _, cache = model(prefix)
        base, _ = model(next_tokens, cache)
        altered = [list(pair) for pair in cache]
        altered[layer] = [altered[layer][0], altered[layer][1] + 1.0]
        shifted, _ = model(next_tokens, altered)
    return base, shifted


class Recorder(nn.Module):
    """Wraps the model; records, for each call, the number of new tokens and the length of the cache given."""

    def __init__(self, inner):
        """Register the wrapped model as a submodule."""
        super().__init__()
        self.inner = inner
        self.calls = []

    def forward(self, tokens, cache=None):
        """Record the call, then run the wrapped model."""
        cache_length = None if cache is None else int(cache[0][0].shape[2])
        self.calls.append({"tokens": int(tokens.shape[1]), "cache_length": cache_length})
        return self.inner(tokens, cache)


def generate(sol, vocab_size, kwargs, prompt, n):
    """greedy_generate on a recorded model; the ids, the calls, and the model's own logits over prompt + ids
    in one call without a cache (computed afterwards)."""
    model = Recorder(_model(sol, vocab_size, kwargs))
    ids = sol.greedy_generate(model, prompt, n)
    logits = None
    if isinstance(ids, torch.Tensor) and ids.dim() == 2 and ids.dtype == torch.long and ids.shape[0] == prompt.shape[0]:
        with torch.no_grad():
            logits, _ = model.inner(torch.cat([prompt, ids.clamp(0, vocab_size - 1)], dim=1))
    return {"ids": ids, "calls": model.calls, "logits": logits}

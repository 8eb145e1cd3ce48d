"""Public check: run it yourself with `judge grade kv-cache-decoder your_file.py`."""

import torch

from judge.harness import expect


def test_forward_shapes(candidate):
    """logits [B, T, V]; the cache is a list of n_layers (k, v), each [B, n_heads, T, d_model // n_heads]."""
    for (batch, length), config in (((2, 7), {}), ((1, 1), {"d_model": 16, "n_heads": 2, "n_layers": 1})):
        x = torch.randint(0, 11, (batch, length), generator=torch.Generator().manual_seed(length))
        logits, cache = candidate.call("forward", 11, config, x)
        logits = expect.floating(logits, "logits", (batch, length, 11))
        expect.finite(logits, "logits")
        d_model, n_heads, n_layers = config.get("d_model", 32), config.get("n_heads", 4), config.get("n_layers", 2)
        assert isinstance(cache, list) and len(cache) == n_layers, "the cache must be a list with one (k, v) pair per layer"
        for pair in cache:
            assert isinstance(pair, list) and len(pair) == 2, "each layer's cache entry must be a (k, v) pair"
            for t in pair:
                expect.floating(t, "cached k and v", (batch, n_heads, length, d_model // n_heads))

"""Public checks: run them yourself with `judge grade lstm-text-generation your_file.py`."""

import torch

from judge.harness import expect


def gen(seed):
    """A CPU generator for the check's own inputs."""
    return torch.Generator().manual_seed(seed)


def test_forward_shapes(candidate):
    """Logits are float [B, T, V]; the returned state can be passed back."""
    for kwargs in ({}, {"embedding_dim": 8, "hidden_size": 16, "num_layers": 2}):
        for batch, first, second in ((3, 7, 4), (1, 1, 1)):
            x = torch.randint(0, 11, (batch, first), generator=gen(1))
            more = torch.randint(0, 11, (batch, second), generator=gen(2))
            logits, more_logits = candidate.call("forward", 11, kwargs, x, more)
            logits = expect.floating(logits, "logits", (batch, first, 11))
            more_logits = expect.floating(more_logits, "logits of a call given the returned state", (batch, second, 11))
            expect.finite(logits, "logits")
            expect.finite(more_logits, "logits of a call given the returned state")


def test_generate_new_ids(candidate):
    """generate returns only the n new ids as int64 [n] in range."""
    cases = ((torch.randint(0, 13, (5,), generator=gen(3)), 20, 1.0), (torch.tensor([4]), 1, 0.7), (torch.tensor([2, 9]), 6, 0.0))
    for prompt, n, temperature in cases:
        (result,) = candidate.call("generate", 13, {"embedding_dim": 16, "hidden_size": 32}, prompt, n, temperature, [3])
        ids = expect.tensor(result["ids"], f"generate(model, prompt, {n})", (n,), torch.int64)
        assert bool(((ids >= 0) & (ids < 13)).all()), "generated ids must lie in [0, vocab_size)"
        assert not result["requires_grad"], "the returned ids must not require gradients"

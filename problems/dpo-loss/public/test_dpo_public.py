"""Public check: run it yourself with `judge grade dpo-loss your_file.py`."""

import torch

from judge.harness import expect


def test_shapes(candidate):
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 7, 11, generator=g)
    labels = torch.randint(0, 11, (3, 7), generator=g)
    mask = torch.zeros(3, 7, dtype=torch.bool)
    mask[:, 3:] = True
    out = expect.floating(candidate.call("logprobs", logits, labels, mask), "sequence_logprobs", (3,))
    expect.finite(out, "sequence_logprobs")
    assert bool((out <= 0).all()), "log-probabilities are never positive"
    pc, pr, rc, rr = (torch.randn(3, generator=g) - 20 for _ in range(4))
    value, chosen, rejected = candidate.call("loss", pc, pr, rc, rr, 0.1, "sigmoid", 0.0)
    expect.floating(value, "the loss", ())
    expect.floating(chosen, "chosen rewards", (3,))
    expect.floating(rejected, "rejected rewards", (3,))

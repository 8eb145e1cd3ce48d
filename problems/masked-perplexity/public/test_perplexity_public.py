"""Public check: run it yourself with `judge grade masked-perplexity your_file.py`."""

import torch

from judge.harness import expect


def test_token_nll_values(candidate):
    """token_nll is [B, T]: -log_softmax(logits)[target] at real positions, exactly 0 at padded ones (pad_id 0)."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 4, 5, generator=g)
    targets = torch.tensor([[3, 1, 4, 0], [2, 0, 0, 0]])
    result = candidate.call("evaluate", logits, targets, 0, ["token_nll"])
    nll = expect.floating(result["token_nll"], "token_nll", (2, 4))
    log_probs = torch.log_softmax(logits.double(), dim=-1)
    real = targets != 0
    expected = -log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    expect.close(nll[real], expected[real], "token_nll at real positions", rtol=1e-5, atol=1e-5)
    assert bool((nll[~real] == 0).all()), "token_nll must be exactly 0 at padded positions"

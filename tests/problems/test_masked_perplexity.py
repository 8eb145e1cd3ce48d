"""masked-perplexity: the large-logit check's inputs really hold targets that log(softmax(...)) cannot
score in float32."""

import torch

from tests.problems.support import load_checks


def test_large_logit_inputs_underflow_a_naive_softmax():
    checks = load_checks("masked-perplexity", "test_perplexity.py")
    logits, targets = checks.make_batch(checks.ROWS, seed=10, pad_id=0, scale=100.0)
    real = targets != 0
    probs = torch.softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    assert bool((probs[real] == 0).any())
    assert float(checks.reference(logits, targets, 0)["token_nll"].max()) > 200

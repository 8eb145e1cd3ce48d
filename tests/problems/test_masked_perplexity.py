"""masked-perplexity: alternative correct solutions get full marks, and the large-logit check's inputs
really hold targets that log(softmax(...)) cannot score in float32."""

import importlib.util
from pathlib import Path

import pytest
import torch

from tests.conftest import PROBLEMS

ALTERNATIVES = sorted((Path(__file__).parent / "alternatives" / "masked_perplexity").glob("alt_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("path", ALTERNATIVES, ids=lambda p: p.stem)
def test_alternative_solution_gets_full_marks(grade, path):
    result = grade("masked-perplexity", path)
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if c.points < c.max_points]
    assert result.verdict == "accepted"


def test_there_are_at_least_two_alternatives():
    assert len(ALTERNATIVES) >= 2


def test_large_logit_inputs_underflow_a_naive_softmax():
    path = PROBLEMS / "masked-perplexity" / "checks" / "test_perplexity.py"
    spec = importlib.util.spec_from_file_location("masked_perplexity_checks", path)
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    logits, targets = checks.make_batch(checks.ROWS, seed=10, pad_id=0, scale=100.0)
    real = targets != 0
    probs = torch.softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    assert bool((probs[real] == 0).any())
    assert float(checks.reference(logits, targets, 0)["token_nll"].max()) > 200

"""top-k-top-p-sampling: alternative correct solutions get full marks, and the checks' inputs keep the
promise of the statement (no token within 0.01 of the top-p boundary)."""

import importlib.util
from pathlib import Path

import pytest
import torch

from tests.conftest import PROBLEMS

ALTERNATIVES = sorted((Path(__file__).parent / "alternatives" / "top_k_top_p_sampling").glob("alt_*.py"))


def load_checks():
    """The hidden checks module, imported here only to read its inputs and references."""
    path = PROBLEMS / "top-k-top-p-sampling" / "checks" / "test_sampling.py"
    spec = importlib.util.spec_from_file_location("top_k_top_p_checks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def boundary_margin(logits, p):
    """Smallest distance between p and any finite token's mass of strictly larger tokens."""
    logits = logits.double()
    probs = torch.softmax(logits, dim=-1)
    mass_above = ((logits.unsqueeze(-2) > logits.unsqueeze(-1)) * probs.unsqueeze(-2)).sum(-1)
    return float((mass_above[torch.isfinite(logits)] - p).abs().min())


@pytest.mark.slow
@pytest.mark.parametrize("path", ALTERNATIVES, ids=lambda p: p.stem)
def test_alternative_solution_gets_full_marks(grade, path):
    result = grade("top-k-top-p-sampling", path)
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if c.points < c.max_points]
    assert result.verdict == "accepted"


def test_there_are_at_least_two_alternatives():
    assert len(ALTERNATIVES) >= 2


def test_inputs_stay_away_from_the_top_p_boundary():
    checks = load_checks()
    logits = checks.from_probs(checks.NUCLEUS_ROWS, seed=3)
    for p in checks.NUCLEUS_PS:
        if p < 1:
            assert boundary_margin(logits, p) >= 0.01 - 1e-9, p
    rows = torch.tensor(checks.SAMPLE_ROWS).double()
    for temperature, top_k, top_p in checks.SETTINGS:
        if top_p < 1:
            scores = rows / temperature
            if top_k:
                scores = scores.masked_fill(~checks.ref_top_k_keep(scores, top_k), float("-inf"))
            assert boundary_margin(scores, top_p) >= 0.01, (temperature, top_k, top_p)

"""top-k-top-p-sampling: the hidden checks' inputs keep the promise of the statement (no token within 0.01
of the top-p boundary)."""

import torch

from tests.problems.support import load_checks


def boundary_margin(logits, p):
    """Smallest distance between p and any finite token's mass of strictly larger tokens."""
    logits = logits.double()
    probs = torch.softmax(logits, dim=-1)
    mass_above = ((logits.unsqueeze(-2) > logits.unsqueeze(-1)) * probs.unsqueeze(-2)).sum(-1)
    return float((mass_above[torch.isfinite(logits)] - p).abs().min())


def test_inputs_stay_away_from_the_top_p_boundary():
    checks = load_checks("top-k-top-p-sampling", "test_sampling.py")
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

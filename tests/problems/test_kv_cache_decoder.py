"""kv-cache-decoder: alternative correct solutions get full marks; the checks are fair to any architecture
(learned, sinusoidal or rotary positions; fused or hand-written attention)."""

from pathlib import Path

import pytest

ALTERNATIVES = sorted((Path(__file__).parent / "alternatives" / "kv_cache_decoder").glob("alt_*.py"))


@pytest.mark.slow
@pytest.mark.parametrize("path", ALTERNATIVES, ids=lambda p: p.stem)
def test_alternative_solution_gets_full_marks(grade, path):
    result = grade("kv-cache-decoder", path)
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if c.points < c.max_points]
    assert result.verdict == "accepted"


def test_there_are_at_least_two_alternatives():
    assert len(ALTERNATIVES) >= 2

"""beam-search: alternative correct solutions get full marks, and the small-beam inputs have no near-ties
at a pruning boundary (so float32 rounding cannot change which beams survive)."""

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import PROBLEMS

ALTERNATIVES = sorted((Path(__file__).parent / "alternatives" / "beam_search").glob("alt_*.py"))


def load_checks():
    """The hidden checks module, imported here only to reuse its references."""
    path = PROBLEMS / "beam-search" / "checks" / "test_beam.py"
    spec = importlib.util.spec_from_file_location("beam_search_checks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("path", ALTERNATIVES, ids=lambda p: p.stem)
def test_alternative_solution_gets_full_marks(grade, path):
    result = grade("beam-search", path)
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if c.points < c.max_points]
    assert result.verdict == "accepted"


def test_there_are_at_least_two_alternatives():
    assert len(ALTERNATIVES) >= 2


def test_pruning_boundaries_are_clear():
    checks = load_checks()
    configs = [
        (vocab, bos, eos, max_len, beam, alpha, seed, bias)
        for vocab, bos, eos, max_len, beam, alpha, seed, bias in checks.SMALL
    ]
    configs += [
        (6, 1, 4, max_len, beam, 0.5, seed, bias) for beam, max_len, bias, seed in ((3, 6, 1.5, 31), (4, 5, 0.5, 32))
    ]
    for vocab, bos, eos, max_len, beam, alpha, seed, bias in configs:
        table = checks.make_table(vocab, seed, eos, eos_bias=bias)
        _, gaps = checks.stated_algorithm(table, bos, eos, beam, max_len, alpha)
        assert min(gaps) > 1e-3, (vocab, beam, seed)


def test_brute_force_matches_the_stated_algorithm_when_nothing_is_pruned():
    checks = load_checks()
    for vocab, bos, eos, max_len, beam, seed in checks.EXHAUSTIVE:
        table = checks.make_table(vocab, seed, eos, eos_bias=0.5)
        for alpha in (0.0, 0.6):
            stated, gaps = checks.stated_algorithm(table, bos, eos, beam, max_len, alpha)
            brute = checks.brute_force(table, bos, eos, max_len, alpha, beam)
            assert not gaps
            assert [round(s, 9) for _, s in stated] == [round(s, 9) for _, s in brute]

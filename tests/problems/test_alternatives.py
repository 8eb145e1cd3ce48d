"""Every code problem has at least two alternative correct solutions, and each gets full marks: the hidden
checks are fair to any architecture or implementation that keeps the statement's interface."""

import pytest

from tests.problems.support import alternatives, code_problems

CODE_PROBLEMS = code_problems()
CASES = [(slug, path) for slug in CODE_PROBLEMS for path in alternatives(slug)]


@pytest.mark.slow
@pytest.mark.parametrize(("slug", "path"), CASES, ids=[f"{slug}/{path.stem}" for slug, path in CASES])
def test_alternative_solution_gets_full_marks(grade, slug, path):
    """Each alternative scores full marks and is accepted."""
    result = grade(slug, path)
    assert result.score == result.max_score, [(c.id, c.message) for c in result.checks if c.points < c.max_points]
    assert result.verdict == "accepted"


@pytest.mark.parametrize("slug", CODE_PROBLEMS)
def test_there_are_at_least_two_alternatives(slug):
    """Fairness needs at least two architectures other than the reference."""
    assert len(alternatives(slug)) >= 2

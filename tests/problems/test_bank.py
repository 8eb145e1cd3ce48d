"""`judge problems validate --all`, as a test: every problem in the bank tells its mutants from its reference."""

import re

import pytest

from judge.bank.loader import ProblemBank, find_packages
from judge.bank.validation import validate_problem
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings
from tests.conftest import PROBLEMS
from tests.problems.support import alternatives

SLUGS = sorted(find_packages([PROBLEMS]))
SEED_PROBLEMS = {"lstm-text-generation", "dcgan-mnist", "vae-mnist", "audio-vae", "aigc-concepts"}


def test_the_seed_problems_are_in_the_bank():
    assert SEED_PROBLEMS <= set(SLUGS)


def test_seed_code_problems_have_at_least_five_mutants_and_two_alternatives():
    bank = ProblemBank(Settings(problems={"dirs": [PROBLEMS]}))
    for slug in SEED_PROBLEMS - {"aigc-concepts"}:
        problem = bank.get(slug)
        assert len(problem.mutants) >= 5, slug
        assert len(alternatives(slug)) >= 2, slug


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_problem_validates(slug, settings):
    bank = ProblemBank(settings)
    report = validate_problem(bank.get(slug), settings, ProcessSandbox(settings), bank.hidden_paths())
    plain = [re.sub(r"\[/?[a-z ]+\]", "", line) for line in report.lines]
    assert report.ok, "\n".join(plain)

"""Shared fixtures: settings on the repository's problem bank, and a one-call grader."""

from __future__ import annotations

from pathlib import Path

import pytest

from judge.bank.loader import ProblemBank
from judge.grading import CheckCallback, grade_submission
from judge.result import GradeResult
from judge.sandbox.base import Sandbox
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings

REPO = Path(__file__).resolve().parent.parent
PROBLEMS = REPO / "problems"


def grade_ref(
    ref: str, source: bytes, settings: Settings, sandbox: Sandbox, on_check: CheckCallback | None = None
) -> GradeResult:
    """Grade `source` against the problem `ref` (a slug or a directory) of the bank on `settings`."""
    bank = ProblemBank(settings)
    return grade_submission(bank.get(ref), source, settings, sandbox, bank.hidden_paths(), on_check=on_check)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the repository's problems, with a throwaway data directory."""
    return Settings(problems={"dirs": [PROBLEMS]}, storage={"data_dir": tmp_path_factory.mktemp("judge-data")})


@pytest.fixture(scope="session")
def grade(settings: Settings):
    """grade(problem, source_or_path) -> GradeResult, on the process sandbox."""
    sandbox = ProcessSandbox(settings)

    def run(problem: str, submission: str | bytes | Path) -> GradeResult:
        if isinstance(submission, Path):
            submission = submission.read_bytes()
        if isinstance(submission, str):
            submission = submission.encode()
        return grade_ref(problem, submission, settings, sandbox)

    return run

"""The line the problem page's editor marks: where the latest attempt's result says the candidate's file failed."""

from __future__ import annotations

from datetime import UTC, datetime

from judge.assessments.schemas import CandidateCheck, CandidateSubmissionView
from judge.result import Outcome
from judge.storage.models import FeedbackLevel, SubmissionStatus
from judge.web.editor import error_line


def attempt(number: int, *messages: str | None) -> CandidateSubmissionView:
    checks = [
        CandidateCheck(id=f"c{i}", outcome=Outcome.ERROR, points=0, max_points=1, message=m)
        for i, m in enumerate(messages)
    ]
    return CandidateSubmissionView(
        id=f"{number:032x}",
        problem="vae-mnist",
        number=number,
        submitted_at=datetime.now(UTC),
        status=SubmissionStatus.COMPLETED,
        feedback=FeedbackLevel.FULL,
        score=0,
        max_score=10,
        checks=checks,
    )


def test_the_latest_attempts_traceback_line_in_the_candidates_file():
    older = attempt(1, "ValueError: bad (at solution.py:3)")
    latest = attempt(
        2,
        "passed",
        'Traceback (most recent call last):\n  File "/work/checks/check_x.py", line 40, in run\n'
        '  File "/sandbox/solution.py", line 17, in encode\nRuntimeError: shapes',
    )
    assert error_line([latest, older], "solution.py") == 17
    assert error_line([older], "solution.py") == 3


def test_no_line_when_the_result_names_none_of_the_candidates_lines():
    assert error_line([], "solution.py") is None
    assert error_line([attempt(1, None, "AssertionError: wrong value")], "solution.py") is None
    # A line in another file (the checks', or a module named like the entrypoint) is not the editor's.
    assert error_line([attempt(1, 'File "/checks/solution.py.bak", line 9')], "solution.py") is None
    assert error_line([attempt(1, "(at my_solution.py:4)")], "solution.py") is None

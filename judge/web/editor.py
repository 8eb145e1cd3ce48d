"""The code editor's server side: which line of the candidate's file to mark when the problem page opens.

The page marks the line where the latest attempt went wrong, as its result shows it: the line of a
compile error, else a traceback line
(`File "solution.py", line 12`) or the harness's short form (`(at solution.py:12)`) in a check's message.
Only the candidate's own file counts; lines in the problem's checks mean nothing in the editor.
"""

from __future__ import annotations

import re

from judge.assessments.schemas import CandidateSubmissionView


def _patterns(entrypoint: str) -> list[re.Pattern[str]]:
    name = re.escape(entrypoint)
    return [
        re.compile(rf'File "(?:[^"]*/)?{name}", line (\d+)'),
        re.compile(rf"(?<![\w.]){name}:(\d+)\b"),
    ]


def error_line(submissions: list[CandidateSubmissionView], entrypoint: str) -> int | None:
    """The line of `entrypoint` that the latest of `submissions` reports an error at, if its result names one."""
    if not submissions:
        return None
    latest = max(submissions, key=lambda s: s.number)
    if latest.error_line is not None:
        return latest.error_line
    patterns = _patterns(entrypoint)
    for check in latest.checks or []:
        for pattern in patterns:
            found = pattern.search(check.message or "")
            if found:
                return int(found.group(1))
    return None

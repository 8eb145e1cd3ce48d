"""`judge submit --server`, `judge problems list|show|starter --server` against a live `judge serve`:
the live table from the service's events, `judge grade`'s exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from judge.assessments.schemas import AssessmentCreate, InvitationCreate, ProblemChoice
from judge.cli import app
from judge.client import JudgeClient
from tests.api.support import REPO, free_port, judge_command
from tests.conftest import PROBLEMS
from tests.test_client import LIVE_PROBLEM, live  # noqa: F401 - the live service fixture

SOLUTION = PROBLEMS / LIVE_PROBLEM / "solution.py"
#: A mutant of the reference that loses checks but runs: a wrong answer, graded.
WRONG = PROBLEMS / LIVE_PROBLEM / "mutants" / "gaussian_args_swapped.py"
BROKEN = "def kl_diag_gaussian(mu1, logvar1)\n    return mu1\n"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def judge(live, monkeypatch):
    """judge(*args) -> Result of the CLI in-process, with JUDGE_API_KEY set to the live service's team key."""
    base, key, _env = live
    monkeypatch.setenv("JUDGE_API_KEY", key)
    monkeypatch.delenv("JUDGE_SERVER_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


def in_terminal(args: list[str], env: dict[str, str], timeout_s: float = 300) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal (as a person would): its exit code and everything it drew."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        judge_command(*args), env=env, cwd=REPO, stdin=terminal, stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    drawn = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        elif process.poll() is not None:
            break
    os.close(controller)
    code = process.wait(timeout=30)
    return code, ANSI.sub("", drawn.decode(errors="replace"))


def test_a_full_score_draws_the_live_table_and_exits_0(live):
    base, key, _env = live
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUDGE_")}
    env.update({"JUDGE_API_KEY": key, "COLUMNS": "120", "PYTHONUNBUFFERED": "1"})
    code, drawn = in_terminal(["submit", LIVE_PROBLEM, str(SOLUTION), "--server", base], env)
    assert code == 0, drawn
    # The table is drawn while the checks come in, titled as `judge grade` titles it, then the result.
    assert f"{LIVE_PROBLEM}: grading…" in drawn
    for check in ("gaussian_shapes", "categorical_gradients"):
        assert check in drawn
    assert "verdict: accepted   score: 15/15" in drawn


def test_a_wrong_solution_is_graded_and_exits_0_like_judge_grade(judge, live):
    result = judge("submit", LIVE_PROBLEM, WRONG, "--server", live[0])
    assert result.exit_code == 0, result.output
    assert re.search(r"gaussian_value\tformula\tfailed\t0/3\t", result.stdout)
    assert "verdict: partial" in result.stdout or "verdict: wrong_answer" in result.stdout


def test_json_prints_exactly_the_graded_submission(judge, live):
    result = judge("submit", LIVE_PROBLEM, SOLUTION, "--server", live[0], "--json")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    body = json.loads(lines[0])
    assert body["status"] == "completed" and body["verdict"] == "accepted" and body["score"] == 15


def test_a_file_that_does_not_compile_exits_2_with_its_line(judge, live, tmp_path):
    broken = tmp_path / "solution.py"
    broken.write_text(BROKEN)
    result = judge("submit", LIVE_PROBLEM, broken, "--server", live[0])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {broken}: SyntaxError at line 1: expected ':'",
        "     1 | def kl_diag_gaussian(mu1, logvar1)",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--key", "judge_wrong"), 2, "error: 401 Unauthorized: "),
        (("--problem", "no-such-problem"), 2, "error: 404 Not Found: no problem 'no-such-problem'"),
        (("--big",), 2, "error: 413 Request Entity Too Large: submission is 300000 bytes; the limit is 262144"),
        (("--unreachable",), 3, "error: cannot reach http://127.0.0.1:"),
    ],
    ids=["401", "404", "413", "unreachable"],
)
def test_refusals_and_an_unreachable_service_exit_with_one_line(judge, live, tmp_path, args, code, message):
    server, problem, file, extra = live[0], LIVE_PROBLEM, SOLUTION, list(args)
    if "--problem" in extra:
        problem = extra[1]
        extra = []
    if "--big" in extra:
        file = tmp_path / "solution.py"
        file.write_text("#" * 300000)
        extra = []
    if "--unreachable" in extra:
        server = f"http://127.0.0.1:{free_port()}"
        extra = []
    result = judge("submit", problem, file, "--server", server, *extra)
    assert result.exit_code == code
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message), result.stderr


def test_problems_list_and_show_read_the_services_bank_as_the_local_commands_do(judge, live, monkeypatch):
    for args in (("problems", "list"), ("problems", "show", LIVE_PROBLEM), ("problems", "show", "aigc-concepts")):
        remote = judge(*args, "--server", live[0])
        assert remote.exit_code == 0, remote.output
        assert remote.stdout == judge(*args).stdout
    missing = judge("problems", "show", "no-such-problem", "--server", live[0])
    assert missing.exit_code == 2 and missing.stderr.startswith("error: 404 Not Found: no problem 'no-such-problem'")
    monkeypatch.setenv("JUDGE_SERVER_URL", live[0])
    assert judge("problems", "list").stdout == judge("problems", "list", "--server", live[0]).stdout


def test_a_candidate_takes_the_starter_offline_and_submits_it_from_the_terminal(judge, live, tmp_path, monkeypatch):
    base, key, _env = live
    now = datetime.now(UTC)
    with JudgeClient(base, api_key=key) as team:
        assessment = team.create_assessment(
            AssessmentCreate(
                title="screen",
                problems=[ProblemChoice(problem=LIVE_PROBLEM, points=30)],
                opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(hours=1),
                duration_s=3600,
            )
        )
        token = team.invite(assessment.id, InvitationCreate(candidate_name="Ada")).token
    with JudgeClient(base, invite_token=token) as candidate:
        candidate.candidate_start()
    monkeypatch.delenv("JUDGE_API_KEY")
    monkeypatch.chdir(tmp_path)
    fetched = judge("problems", "starter", LIVE_PROBLEM, "--server", base, "--invite", token)
    assert fetched.exit_code == 0, fetched.output
    starter = Path("solution.py")
    assert starter.read_text() == (PROBLEMS / LIVE_PROBLEM / "starter.py").read_text()
    again = judge("problems", "starter", LIVE_PROBLEM, "--server", base, "--invite", token)
    assert again.exit_code == 2 and again.stderr == "error: solution.py exists; name another file with -o\n"
    starter.write_text(BROKEN)
    refused = judge("submit", LIVE_PROBLEM, starter, "--server", base, "--invite", token)
    assert refused.exit_code == 2 and "SyntaxError at line 1: expected ':'" in refused.stderr
    starter.write_text(SOLUTION.read_text())
    graded = judge("submit", LIVE_PROBLEM, starter, "--server", base, "--invite", token)
    assert graded.exit_code == 0, graded.output
    assert "verdict: accepted   score: 30/30   attempt 1" in graded.stdout
    # With the token: the problem as the assessment shows it, and a notebook converted as `judge grade` converts it.
    shown = judge("problems", "show", LIVE_PROBLEM, "--server", base, "--invite", token)
    assert shown.exit_code == 0 and "submit as solution.py" in shown.stdout
    assert judge("problems", "list", "--server", base, "--invite", token).exit_code == 2
    notebook = judge("problems", "starter", LIVE_PROBLEM, "--server", base, "--invite", token, "--format", "ipynb")
    assert notebook.exit_code == 0 and Path("solution.ipynb").is_file()
    graded = judge("submit", LIVE_PROBLEM, "solution.ipynb", "--server", base, "--invite", token)
    assert graded.exit_code == 0, graded.output
    assert "score: 0/30   attempt 2" in graded.stdout

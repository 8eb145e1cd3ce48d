"""docs/service.md, "Integrating": each fenced example runs as written against a live `judge serve`, with
only the placeholders (the service's URL, the API key, the invitation token) replaced."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from judge.assessments.schemas import AssessmentCreate, InvitationCreate, ProblemChoice
from judge.client import JudgeClient
from tests.api.support import REPO
from tests.test_client import live  # noqa: F401 - the live service fixture

DOC = REPO / "docs" / "service.md"
URL_PLACEHOLDER = "http://127.0.0.1:8000"
KEY_PLACEHOLDER = "judge_3f9c1b2a7d4e_…"
INVITE_PLACEHOLDER = "inv_…"


def examples(language: str) -> list[str]:
    """The fenced blocks in `language` of the Integrating section, in order."""
    text = DOC.read_text()
    section = text.split("\n### Integrating\n", 1)[1].split("\n### ", 1)[0]
    return re.findall(rf"^```{language}\n(.*?)^```$", section, flags=re.S | re.M)


def filled(block: str, base: str, key: str, token: str = "") -> str:
    """The block with its placeholders replaced, each of which must be there."""
    for placeholder in (URL_PLACEHOLDER, KEY_PLACEHOLDER, INVITE_PLACEHOLDER):
        if placeholder in block:
            value = {URL_PLACEHOLDER: base, KEY_PLACEHOLDER: key, INVITE_PLACEHOLDER: token}[placeholder]
            block = block.replace(placeholder, value)
    return block


def shell_env() -> dict[str, str]:
    """This environment without JUDGE_* settings, with this Python's `judge` first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUDGE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_bash(block: str, cwd: Path) -> str:
    """Run a block with bash, stopping at the first failing command; its stdout."""
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=cwd,
        env=shell_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def test_the_section_has_a_curl_a_python_and_a_terminal_example():
    shells, pythons = examples("bash"), examples("python")
    assert len(shells) == 2 and len(pythons) == 1
    assert "curl" in shells[0] and "judge submit" in shells[1] and "JudgeClient" in pythons[0]


def test_the_curl_example(live):
    base, key, _env = live
    out = run_bash(filled(examples("bash")[0], base, key), REPO)
    stream, _, final = out.rpartition("\n\n")
    assert "event: check" in stream and "event: result" in stream
    body = json.loads(final.strip().splitlines()[-1])
    assert body["status"] == "completed" and body["verdict"] == "accepted", body


def test_the_judge_client_example(live):
    base, key, _env = live
    done = subprocess.run(
        [sys.executable, "-c", filled(examples("python")[0], base, key)],
        cwd=REPO,
        env=shell_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "gaussian_value passed 3/3" in lines
    assert lines[-2] == "accepted 15/15" and lines[-1].startswith("404 no problem 'no-such-problem'")


def test_the_candidates_terminal_flow(live, tmp_path):
    base, key, _env = live
    now = datetime.now(UTC)
    with JudgeClient(base, api_key=key) as team:
        assessment = team.create_assessment(
            AssessmentCreate(
                title="screen",
                problems=[ProblemChoice(problem="kl-divergence", points=30)],
                opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(hours=1),
                duration_s=3600,
            )
        )
        token = team.invite(assessment.id, InvitationCreate(candidate_name="Ada")).token
    with JudgeClient(base, invite_token=token) as candidate:
        candidate.candidate_start()
    out = run_bash(filled(examples("bash")[1], base, key, token), tmp_path)
    # Submitted as fetched (the unedited starter): graded, and scored 0.
    assert (tmp_path / "solution.py").is_file()
    assert "score: 0/30   attempt 1" in out
    with JudgeClient(base, invite_token=token) as candidate:
        assert [s.number for s in candidate.candidate_submissions()] == [1]


@pytest.mark.parametrize("language", ["bash", "python"])
def test_every_example_uses_only_the_placeholders_it_fills(language):
    for block in examples(language):
        assert "127.0.0.1" not in block.replace(URL_PLACEHOLDER, "")

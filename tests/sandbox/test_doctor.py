"""`judge sandbox doctor`: a verdict and a reason per backend."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from judge.cli import app
from judge.sandbox.doctor import auto_choice, diagnose
from judge.settings import Settings


def test_reports_say_why_a_backend_cannot_run():
    reports = diagnose(Settings(docker_host="unix:///nonexistent/docker.sock", bwrap_path="/nonexistent/bwrap"), smoke=False)
    assert [r.name for r in reports] == ["docker", "bwrap", "process"]
    docker, bwrap, process = reports
    assert not docker.ok and docker.detail
    assert not bwrap.ok and "not installed" in bwrap.detail
    assert process.ok and process.notes
    assert auto_choice(reports) == "process"


@pytest.mark.slow
def test_smoke_tests_start_a_real_candidate_process():
    reports = {r.name: r for r in diagnose(Settings(docker_host="unix:///nonexistent/docker.sock"))}
    assert reports["process"].ok and "greeted" in reports["process"].detail
    if reports["bwrap"].ok:
        assert "greeted" in reports["bwrap"].detail


def test_cli_doctor_exits_1_when_only_process_works(monkeypatch):
    monkeypatch.setenv("JUDGE_DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("JUDGE_BWRAP_PATH", "/nonexistent/bwrap")
    result = CliRunner().invoke(app, ["sandbox", "doctor", "--quick"])
    assert result.exit_code == 1, result.output
    assert "auto picks: process" in result.output and "not installed" in result.output

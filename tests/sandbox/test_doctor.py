"""`judge sandbox doctor`: a verdict and a reason per backend, and what the service and the CLI would use."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from judge.cli import app
from judge.sandbox.doctor import BackendReport, decide, diagnose
from judge.settings import Settings


def test_reports_say_why_a_backend_cannot_run():
    reports = diagnose(
        Settings(sandbox={"docker_host": "unix:///nonexistent/docker.sock", "bwrap_path": "/nonexistent/bwrap"}),
        smoke=False,
    )
    assert [r.name for r in reports] == ["docker", "bwrap", "process"]
    docker, bwrap, process = reports
    assert not docker.ok and docker.detail
    assert not bwrap.ok and "not installed" in bwrap.detail
    assert process.ok and "trusted code only" in process.notes[0]
    assert decide(reports, "service").backend is None
    assert decide(reports, "cli").backend == "process"


def reports(**works: bool) -> list[BackendReport]:
    return [
        BackendReport(name, works.get(name, True), "fine" if works.get(name, True) else f"{name} is broken")
        for name in ("docker", "bwrap", "process")
    ]


def test_decisions_follow_the_selection_rules():
    assert decide(reports(), "service").backend == "docker"
    bwrap = decide(reports(docker=False), "service")
    assert bwrap.backend == "bwrap" and "docker: docker is broken" in bwrap.why
    refused = decide(reports(docker=False, bwrap=False), "service")
    assert (
        refused.backend is None and "JUDGE_SANDBOX=process" in refused.why and "bwrap: bwrap is broken" in refused.why
    )
    fallback = decide(reports(docker=False, bwrap=False), "cli")
    assert fallback.backend == "process" and "grade only code you trust" in fallback.why
    named = decide(reports(), "service", "process")
    assert named.backend == "process" and "trusted code only" in named.why
    assert decide(reports(docker=False), "cli", "docker") == decide(reports(docker=False), "service", "docker")
    assert decide(reports(docker=False), "cli", "docker").backend is None


@pytest.mark.slow
def test_smoke_tests_start_a_real_candidate_process():
    reports = {r.name: r for r in diagnose(Settings(sandbox={"docker_host": "unix:///nonexistent/docker.sock"}))}
    assert reports["process"].ok and "greeted" in reports["process"].detail
    if reports["bwrap"].ok:
        assert "greeted" in reports["bwrap"].detail


def test_cli_doctor_says_what_each_would_use_and_exits_1_when_the_service_would_refuse(monkeypatch):
    monkeypatch.setenv("JUDGE_DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("JUDGE_BWRAP_PATH", "/nonexistent/bwrap")
    result = CliRunner().invoke(app, ["sandbox", "doctor", "--quick"], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert "service (judge serve, judge worker), auto: refuses to start" in result.output
    assert "CLI (judge grade, judge problems validate), auto: uses process" in result.output
    assert "not installed" in result.output


def test_cli_doctor_with_process_named_says_the_service_uses_it_for_trusted_code(monkeypatch):
    monkeypatch.setenv("JUDGE_DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv("JUDGE_SANDBOX", "process")
    result = CliRunner().invoke(app, ["sandbox", "doctor", "--quick"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "service (judge serve, judge worker), JUDGE_SANDBOX=process: uses process" in result.output
    assert "trusted code only" in result.output

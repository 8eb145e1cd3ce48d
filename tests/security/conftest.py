"""Fixtures for the attack suite: short limits, a grader per sandbox backend, and run-uid tracking."""

from __future__ import annotations

import os

import pytest

from judge.errors import SandboxUnavailable
from judge.harness import isolation
from judge.result import GradeResult
from judge.sandbox.select import choose_sandbox
from judge.settings import Settings
from tests.conftest import PROBLEMS, grade_ref
from tests.environment import Environment

BACKENDS = ["process", "bwrap", "docker"]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The sandbox backend under attack; skipped where it cannot run (docker fails instead in CI)."""
    if request.param == "process" and os.geteuid() != 0:
        pytest.skip("the process backend isolates nothing without root")
    if request.param in ("bwrap", "docker"):
        settings = Settings()
        try:
            choose_sandbox(settings, request.param)
        except SandboxUnavailable as exc:
            if Environment().ci or (request.param == "docker" and Environment().docker_required):
                pytest.fail(f"{request.param} is required in CI but unavailable: {exc}")
            pytest.skip(str(exc))
    return request.param


@pytest.fixture(scope="session")
def security_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Tight limits so that time and memory attacks end quickly; a data dir holding a secret."""
    data_dir = tmp_path_factory.mktemp("judge-data")
    (data_dir / "judge.db").write_text("SECRET-TOKEN-" + os.urandom(8).hex())
    return Settings(
        problems={"dirs": [PROBLEMS]},
        storage={"data_dir": data_dir},
        limits={"max_check_timeout_s": 6, "max_wall_timeout_s": 20, "max_memory_mb": 768},
    )


@pytest.fixture
def run_uids(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every run uid picked while the test runs."""
    picked: list[int] = []
    original = isolation.pick_run_uid

    def recording() -> int:
        uid = original()
        picked.append(uid)
        return uid

    monkeypatch.setattr(isolation, "pick_run_uid", recording)
    return picked


@pytest.fixture
def attack_grade(backend: str, security_settings: Settings):
    """attack_grade(source) -> GradeResult for vae-mnist on the backend under test."""
    sandbox = choose_sandbox(security_settings, backend)

    def run(source: str | bytes) -> GradeResult:
        data = source.encode() if isinstance(source, str) else source
        return grade_ref("vae-mnist", data, security_settings, sandbox)

    return run

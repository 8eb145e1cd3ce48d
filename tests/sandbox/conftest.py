"""Fixtures for the sandbox backends: a backend or a skip (a failure in CI, for Docker), and run set-up.

Tests needing Docker skip with the reason on a machine without an engine or image, except where the
settings require Docker (CI=true, or JUDGE_REQUIRE_DOCKER): there a missing engine fails them.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from judge.bank.loader import ProblemBank
from judge.errors import SandboxUnavailable
from judge.grading import build_job
from judge.harness import isolation
from judge.harness.session import CandidateSession, RunnerConfig
from judge.problem import load_problem
from judge.sandbox.base import Sandbox, SandboxJob
from judge.sandbox.bwrap import BwrapSandbox
from judge.sandbox.docker import DockerSandbox
from judge.sandbox.process import ProcessSandbox
from judge.sandbox.select import choose_sandbox
from judge.settings import Settings
from judge.workspace import Workspace, prepare_workspace
from tests.conftest import PROBLEMS
from tests.environment import Environment

#: The backends that isolate: the process backend does so as root only.
ISOLATING = ["bwrap", "docker", "process"]


def docker_cli(settings: Settings) -> list[str]:
    """The docker CLI on the engine settings name: tests look at containers and images with it,
    independently of the judge's own engine client."""
    return ["docker", *(["--host", settings.sandbox.docker_host] if settings.sandbox.docker_host else [])]


def docker_call(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """One docker CLI command on the settings' engine, its output captured as text."""
    return subprocess.run(
        [*docker_cli(settings), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120
    )


def sandbox_or_skip(name: str, settings: Settings, environment: Environment | None = None) -> Sandbox:
    """The backend `name`, or skip the test saying why it cannot run here (fail, for Docker in CI)."""
    try:
        return choose_sandbox(settings, name)
    except SandboxUnavailable as exc:
        environment = environment or Environment()
        if name == "docker" and environment.docker_required:
            pytest.fail(f"Docker is required here (CI or JUDGE_REQUIRE_DOCKER) but unavailable: {exc}")
        if environment.ci:
            # CI installs bubblewrap: a backend that cannot start there is a bug, not a machine limit.
            pytest.fail(f"{name} is unavailable in CI: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def sandbox_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the repository's problems with short limits and a data dir holding a secret."""
    data_dir = tmp_path_factory.mktemp("judge-data")
    (data_dir / "judge.db").write_text("SECRET")
    return Settings(
        problems={"dirs": [PROBLEMS]},
        storage={"data_dir": data_dir},
        limits={"max_check_timeout_s": 20, "max_wall_timeout_s": 60, "max_memory_mb": 1024},
    )


@pytest.fixture(params=ISOLATING)
def isolating(request: pytest.FixtureRequest, sandbox_settings: Settings) -> Sandbox:
    """Each isolating backend in turn (bwrap, docker, and process as root)."""
    if request.param == "process" and not isolation.is_root():
        pytest.skip("the process backend isolates nothing without root")
    return sandbox_or_skip(request.param, sandbox_settings)


@pytest.fixture
def docker_sandbox(sandbox_settings: Settings) -> DockerSandbox:
    """The docker backend, or a skip (a failure in CI)."""
    return sandbox_or_skip("docker", sandbox_settings)


@pytest.fixture
def bwrap_sandbox(sandbox_settings: Settings) -> BwrapSandbox:
    """The bwrap backend, or a skip."""
    return sandbox_or_skip("bwrap", sandbox_settings)


class PreparedRun:
    """A real workspace and runner configuration for vae-mnist, with probes of our own."""

    def __init__(
        self, sandbox: Sandbox, settings: Settings, probes: str, source: str = "", memory_mb: int | None = None
    ) -> None:
        problem = load_problem(PROBLEMS / "vae-mnist")
        self.sandbox = sandbox
        self.uid = isolation.pick_run_uid() if sandbox.drops_privileges else None
        self.workspace: Workspace = prepare_workspace(problem, source.encode(), self.uid)
        self.workspace.probes_path.write_text(probes)
        job = build_job(problem, self.workspace, settings, self.uid, ProblemBank(settings).hidden_paths())
        if memory_mb is not None:
            policy = job.config.policy.model_copy(update={"memory_mb": memory_mb})
            job = job.model_copy(update={"config": job.config.model_copy(update={"policy": policy})})
        self.raw_job = job
        if isinstance(sandbox, ProcessSandbox):
            job = sandbox.prepare(job, "test" + os.urandom(4).hex())
        self.job: SandboxJob = job
        self.config: RunnerConfig = job.config

    def session(self) -> CandidateSession:
        """A candidate session on this host, its processes started the way the backend starts them."""
        launcher = self.sandbox.candidate_launcher(self.config) if isinstance(self.sandbox, ProcessSandbox) else None
        return CandidateSession(self.config, launcher=launcher)

    def close(self) -> None:
        """Kill what the run uid left and delete the workspace."""
        if self.uid is not None:
            isolation.kill_uid(self.uid)
        self.workspace.remove()


@pytest.fixture
def prepared(sandbox_settings: Settings):
    """prepared(sandbox, probes_source, ...) -> PreparedRun; cleaned up after the test."""
    runs: list[PreparedRun] = []

    def make(sandbox: Sandbox, probes: str, source: str = "", memory_mb: int | None = None) -> PreparedRun:
        run = PreparedRun(sandbox, sandbox_settings, probes, source, memory_mb)
        runs.append(run)
        return run

    yield make
    for run in runs:
        run.close()

"""The Sandbox interface every backend implements, and the run it reports."""

from __future__ import annotations

import abc
from collections.abc import Callable

from pydantic import BaseModel

from judge.harness.events import CheckEvent
from judge.harness.session import RunnerConfig
from judge.workspace import Workspace

EventSink = Callable[[CheckEvent], None]


class SandboxJob(BaseModel):
    """One run: a prepared workspace, the runner's configuration and the wall-clock limit."""

    model_config = {"arbitrary_types_allowed": True}

    workspace: Workspace
    config: RunnerConfig
    wall_timeout_s: float
    #: The problem's slug: a backend may choose by it (docker: settings.sandbox.docker_problem_images).
    problem: str = ""


class SandboxRun(BaseModel):
    """What came back from a run: the check events, whether it finished, and capped output."""

    events: list[CheckEvent]
    finished: bool
    timed_out: bool
    output: str = ""


class Sandbox(abc.ABC):
    """Runs the trusted runner (which starts the candidate process) in isolation."""

    name: str

    @property
    @abc.abstractmethod
    def drops_privileges(self) -> bool:
        """Whether the candidate runs under a run-private uid (the host prepares the workspace for it)."""

    @abc.abstractmethod
    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Run one job; SandboxFault when the sandbox itself fails."""

    def open(self) -> None:
        """Start what the sandbox keeps ready ahead of demand (a warm pool); nothing by default."""

    def close(self) -> None:
        """Stop and destroy what `open` started."""

    def take_slot(self) -> WarmSlot | None:
        """A sandbox started ahead of demand, for the next submission alone; None: grade cold."""
        return None

    def engine_epoch(self) -> str | None:
        """Which run of an engine the sandboxes depend on is serving (docker: the engine process), or
        None when there is none. A run that spans a change saw its processes die for the judge's reason."""
        return None


class WarmSlot(abc.ABC):
    """A sandbox started ahead of demand (see sandbox.pool): it owns a workspace, runs one job, then is gone."""

    uid: int | None
    workspace: Workspace

    @abc.abstractmethod
    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Run the job (whose workspace is this slot's); the slot is used up whatever happens."""

    @abc.abstractmethod
    def discard(self) -> None:
        """End the slot's processes (and containers); safe to call twice."""

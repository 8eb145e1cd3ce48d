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


class SandboxRun(BaseModel):
    """What came back from a run: the check events, whether it finished, and capped output."""

    events: list[CheckEvent]
    finished: bool
    timed_out: bool
    output: str = ""


class Sandbox(abc.ABC):
    """Runs the trusted runner (which starts the candidate process) in isolation."""

    name: str
    #: Whether the candidate runs under a run-private uid (the host prepares the workspace for it).
    drops_privileges: bool

    @abc.abstractmethod
    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Run one job; SandboxFault when the sandbox itself fails."""

"""The process backend: the runner and the candidate as local processes.

As root the candidate still gets a run-private uid, private network and mount namespaces, a memory
cgroup and rlimits (see harness.isolation). Without root it is only a separate process with rlimits:
fine for grading your own code, no protection against anyone else's.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from typing import TypeVar

from pydantic import ValidationError

from judge.errors import SandboxFault
from judge.harness import isolation
from judge.harness.events import MAX_EVENT_BYTES, CheckEvent, DoneEvent, EventEnvelope, FaultEvent
from judge.harness.session import LaunchConfig, OutputLog
from judge.sandbox.base import EventSink, Sandbox, SandboxJob, SandboxRun

C = TypeVar("C", bound=LaunchConfig)
WARNING = "the process sandbox isolates nothing without root: grade only code you trust"
RUNNER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "LANG": "C.UTF-8",
}


class ProcessSandbox(Sandbox):
    """Local processes; the trusted runner as the judge's user, the candidate as a run uid if root."""

    name = "process"

    def __init__(self, output_cap_bytes: int = 64 * 1024) -> None:
        self.output_cap_bytes = output_cap_bytes

    @property
    def drops_privileges(self) -> bool:
        """True as root: the candidate then runs under a run-private uid."""
        return isolation.is_root()

    def isolate(self, config: C, run_id: str, wall_timeout_s: float, problem: str = "") -> C:
        """The configuration with this backend's launcher for one run (`run_id` names it) of `problem`: as is, here."""
        return config

    def forget_run(self, run_id: str) -> None:
        """Remove what a run left outside its processes (containers, for docker): nothing, here."""

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Start the runner, stream its events, kill everything at the wall-clock limit."""
        job.workspace.config_path.write_text(job.config.model_dump_json())
        runner = subprocess.Popen(
            [sys.executable, "-I", "-m", "judge.harness.runner", str(job.workspace.config_path)],
            cwd=job.workspace.trusted_dir,
            env=RUNNER_ENV,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        log = OutputLog(self.output_cap_bytes)
        drain = threading.Thread(target=log.drain, args=(runner.stderr,), daemon=True)
        drain.start()
        try:
            return collect_events(runner, job.wall_timeout_s, log, on_event)
        finally:
            kill_group(runner)
            if job.config.policy.uid is not None:
                isolation.kill_uid(job.config.policy.uid)
            drain.join(timeout=5)


def collect_events(runner: subprocess.Popen, wall_timeout_s: float, log: OutputLog, on_event: EventSink | None) -> SandboxRun:
    """Read the runner's event lines until done, fault, exit or the deadline."""
    deadline = time.monotonic() + wall_timeout_s
    events: list[CheckEvent] = []
    selector = selectors.DefaultSelector()
    selector.register(runner.stdout, selectors.EVENT_READ)
    buffer = b""
    fd = runner.stdout.fileno()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return SandboxRun(events=events, finished=False, timed_out=True, output=log.text())
        if not selector.select(remaining):
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            runner.wait()
            raise SandboxFault(f"the check runner exited with code {runner.returncode} before finishing\n{log.text()[-3000:]}")
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            event = parse_event(line)
            if isinstance(event, FaultEvent):
                raise SandboxFault(event.message)
            if isinstance(event, DoneEvent):
                runner.wait()
                return SandboxRun(events=events, finished=True, timed_out=False, output=log.text())
            events.append(event)
            if on_event is not None:
                on_event(event)
        if len(buffer) > MAX_EVENT_BYTES:
            raise SandboxFault("the check runner sent an oversized event")


def parse_event(line: bytes) -> CheckEvent | DoneEvent | FaultEvent:
    """Validate one event line from the runner."""
    if len(line) > MAX_EVENT_BYTES:
        raise SandboxFault("the check runner sent an oversized event")
    try:
        return EventEnvelope.model_validate_json(b'{"event":' + line + b"}").event
    except ValidationError as exc:
        raise SandboxFault(f"the check runner sent a malformed event: {exc.errors()[0]['msg']}") from exc


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a process started in its own session, with its group, and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()

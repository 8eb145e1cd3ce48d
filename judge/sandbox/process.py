"""The process backend: the runner and the candidate as local processes.

As root each of them gets a run-private uid of its own; private mount, network, IPC, UTS and pid
namespaces; a fresh read-only root holding only the runtime, the judge package and its own
directory (the runner: the trusted dir with the checks; the candidate: the submission); a memory
cgroup and rlimits (see harness.isolation and harness.view). The runner starts no process: the
broker, a thread of this process, starts each candidate for it (harness.broker). Without root both
are only separate processes with rlimits: fine for grading your own code, no protection against
anyone else's.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import selectors
import socket
import subprocess
import sys
import threading
import time
from typing import IO, TypeVar

from pydantic import ValidationError

from judge.errors import ChecksFault, SandboxFault
from judge.harness import cgroup, isolation
from judge.harness.broker import CandidateBroker
from judge.harness.events import MAX_EVENT_BYTES, CheckEvent, DoneEvent, EventEnvelope, FaultEvent
from judge.harness.isolation import IsolationPolicy
from judge.harness.launcher import LaunchConfig, Launcher, launcher_for
from judge.limits import runner_cpu_s
from judge.sandbox.base import EventSink, Sandbox, SandboxJob, SandboxRun
from judge.sandbox.runner_host import HostProcess, RunnerHandle, hand_over
from judge.settings import Settings
from judge.workspace import Workspace

LaunchConfigT = TypeVar("LaunchConfigT", bound=LaunchConfig)
#: The runner's private /tmp (pytest and torch write little there).
RUNNER_SCRATCH_MB = 64
RUNNER_OPEN_FILES = 256
RUNNER_FILE_SIZE_MB = 16
RUNNER_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "LANG": "C.UTF-8",
}


class RunnerLog:
    """The end of the runner's stderr: the checks' own output (any length), then the candidate's captured
    output after the runner's marker (judge.grading.candidate_output), at most the output cap. Keeping
    the end, never the start, keeps the candidate's part whole and the runner's last words for a fault."""

    def __init__(self, cap_bytes: int) -> None:
        # The candidate's part is at most `cap_bytes`, decoded leniently (a bad byte is 3 bytes of U+FFFD).
        self.keep = 4 * cap_bytes + 4096
        self.data = bytearray()
        self.total = 0
        self._lock = threading.Lock()

    def drain(self, stream: IO[bytes]) -> None:
        """Read a stream to its end (run in a thread), keeping its last `keep` bytes."""
        read = getattr(stream, "read1", stream.read)
        while chunk := read(65536):
            with self._lock:
                self.total += len(chunk)
                self.data += chunk
                del self.data[: max(0, len(self.data) - self.keep)]

    def text(self) -> str:
        """What was kept, decoded leniently, with a note if the start was cut."""
        with self._lock:
            cut = self.total - len(self.data)
            text = self.data.decode("utf-8", "replace")
        return f"[runner output cut: its first {cut} bytes]\n{text}" if cut else text


class ProcessSandbox(Sandbox):
    """Local processes; as root, the runner and the candidate each under a run uid of its own."""

    name = "process"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.output_cap_bytes = settings.limits.output_cap_bytes

    @property
    def drops_privileges(self) -> bool:
        """True as root: the candidate then runs under a run-private uid."""
        return isolation.is_root()

    def isolate(self, config: LaunchConfigT, run_id: str, wall_timeout_s: float, problem: str = "") -> LaunchConfigT:
        """The configuration with this backend's launcher for one run (`run_id` names it) of `problem`.

        Here: the candidate's policy gains its fresh root (as root), holding its work dir alone.
        """
        if config.policy.uid is None:
            return config
        return config.model_copy(update={"policy": config.policy.model_copy(update={"view": [config.candidate_dir]})})

    def prepare(self, job: SandboxJob, run_id: str) -> SandboxJob:
        """The job with this backend's launcher and candidate policy, for the run `run_id`."""
        return job.model_copy(update={"config": self.isolate(job.config, run_id, job.wall_timeout_s, job.problem)})

    def candidate_launcher(self, config: LaunchConfig) -> Launcher:
        """What starts candidate processes on this host for a run configured as `config`."""
        return launcher_for(config)

    def forget_run(self, run_id: str) -> None:
        """Remove what a run left outside its processes (containers, for docker): nothing, here."""

    def start_runner(
        self,
        workspace: Workspace,
        config: LaunchConfig,
        args: list[str],
        run_id: str,
        wall_timeout_s: float,
        nice: int = 0,
    ) -> RunnerHandle:
        """Start the runner (`args`: its config's path, and --warm for a pool slot), contained, with
        a broker that starts its candidates as `config` says."""
        host_end, runner_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        broker = CandidateBroker(host_end, config)
        uid = group = None
        if isolation.is_root():
            uid = isolation.pick_run_uid()
            hand_over(workspace.trusted_dir, uid)
            group = cgroup.create(f"judge-runner-{uid}-{run_id}", self.settings.limits.runner_memory_mb)
        policy = self.runner_policy(workspace, uid, group, wall_timeout_s)
        argv = self.runner_command(workspace, [*args, "--broker-fd", str(runner_end.fileno())], policy)
        if nice:
            argv = ["nice", "-n", str(nice), *argv]
        try:
            process = subprocess.Popen(
                argv,
                cwd=workspace.trusted_dir,
                env=RUNNER_ENV,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                pass_fds=(runner_end.fileno(),),
            )
        except OSError:
            broker.close()
            if group is not None:
                group.remove()
            raise
        finally:
            runner_end.close()
        broker.start()
        return RunnerHandle(process, broker, uid, group)

    def runner_command(self, workspace: Workspace, runner_args: list[str], policy: IsolationPolicy) -> list[str]:
        """How the runner starts here: Python itself, applying `policy` to itself (as root: its uid,
        namespaces and fresh root; otherwise rlimits alone, trusted code only)."""
        return [sys.executable, "-I", "-m", "judge.harness.runner", *runner_args, "--policy", policy.model_dump_json()]

    def runner_policy(
        self, workspace: Workspace, uid: int | None, group: cgroup.RunCgroup | None, wall_timeout_s: float
    ) -> IsolationPolicy:
        """The runner's isolation: as root its uid and a fresh root holding the trusted dir; limits always."""
        settings = self.settings
        return IsolationPolicy(
            uid=uid,
            view=[str(workspace.trusted_dir)],
            cgroup_procs=[group.procs_file] if group is not None else [],
            memory_mb=settings.limits.runner_memory_mb,
            memory_by_cgroup=group is not None,
            pids=settings.limits.runner_pids,
            open_files=RUNNER_OPEN_FILES,
            file_size_mb=RUNNER_FILE_SIZE_MB,
            cpu_s=runner_cpu_s(wall_timeout_s),
            scratch_mb=RUNNER_SCRATCH_MB,
        )

    def raise_priority(self, runner: RunnerHandle, run_id: str) -> None:
        """A warm slot's runner and candidate, and all they started, back to normal priority."""
        roots = [runner.process.pid, runner.broker.candidate_pid()]
        for pid in [p for root in roots if root is not None for p in (root, *descendants(root))]:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, pid, 0)

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Start the runner, stream its events, kill everything at the wall-clock limit."""
        run_id = secrets.token_hex(8)
        job = self.prepare(job, run_id)
        config = job.config
        job.workspace.config_path.write_text(config.model_dump_json())
        try:
            runner = self.start_runner(
                job.workspace, config, [str(job.workspace.config_path)], run_id, job.wall_timeout_s
            )
            log = RunnerLog(self.output_cap_bytes)
            drain = threading.Thread(target=log.drain, args=(runner.process.stderr,), daemon=True)
            drain.start()
            try:
                run = collect_events(runner.process, job.wall_timeout_s, log, on_event)
            finally:
                runner.stop()
                if config.policy.uid is not None:
                    isolation.kill_uid(config.policy.uid)
                drain.join(timeout=5)
            # The drain may still have been reading when the runner's events ended: its output is whole only now.
            return run.model_copy(update={"output": log.text()})
        finally:
            # Whatever happens, nothing of the run is left (for docker: its containers).
            self.forget_run(run_id)


def collect_events(
    runner: HostProcess, wall_timeout_s: float, log: RunnerLog, on_event: EventSink | None
) -> SandboxRun:
    """Read the runner's event lines until done, fault, exit or the deadline."""
    deadline = time.monotonic() + wall_timeout_s
    events: list[CheckEvent] = []
    # Every runner is started with its stdout a pipe.
    assert runner.stdout is not None
    fd = runner.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    buffer = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return SandboxRun(events=events, finished=False, timed_out=True, output=log.text())
        if not selector.select(remaining):
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            code = runner.wait()
            raise ChecksFault(f"the check runner exited with code {code} before finishing\n{log.text()[-3000:]}")
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            event = parse_event(line)
            if isinstance(event, FaultEvent):
                raise (ChecksFault if event.source == "checks" else SandboxFault)(event.message)
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


def descendants(pid: int) -> list[int]:
    """Every living descendant of a process, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                # The command name may hold spaces and parentheses: fields resume after the last ')'.
                ppid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found

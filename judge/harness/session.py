"""The trusted side's handle on the candidate process: start it, call probes with deadlines, kill it.

Every answer is decoded strictly (wire.decode) and validated as a harness.messages Reply. A crash, a
timeout or garbage on the channel becomes a CandidateFault for the check that caused it; the process
is then killed (all of its run-private uid) and a fresh one is started for the next check.
"""

from __future__ import annotations

import math
import os
import select
import struct
import subprocess
import threading
import time
from typing import IO, Any, Literal

from pydantic import Field, ValidationError

from judge.harness import wire
from judge.harness.launcher import (
    CandidateProcess,
    LaunchConfig,
    LaunchedCandidate,
    Launcher,
    launcher_for,
    pipes,
)
from judge.harness.messages import CallRequest, CandidateError, Greeting, InitRequest, LimitsRequest, Reply, plain

FaultKind = Literal["error", "timeout", "memory", "crash", "protocol"]
READY_TIMEOUT_S = 120.0
WARM_READY_TIMEOUT_S = 900.0
MAX_STARTS = 12
ALLOCATION_FAILURES = ("can't allocate memory", "DefaultCPUAllocator", "out of memory")


class RunnerConfig(LaunchConfig):
    """What the host tells the trusted runner about one run (a JSON file in the trusted directory)."""

    checks_dir: str
    ini_path: str
    probes_path: str
    entrypoint: str
    check_ids: list[str]
    check_timeout_s: float = Field(gt=0)
    run_timeout_s: float = Field(gt=0)
    seed: int = 0


class CandidateFault(Exception):
    """The candidate failed to answer a probe; `kind` says how, `message` is safe to show."""

    def __init__(self, kind: FaultKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class SandboxSetupError(Exception):
    """The candidate process could not be isolated or started: a fault of the judge."""


class OutputLog:
    """Keeps the first `cap` bytes of the candidate's stdout and stderr; drains and drops the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.total = 0
        self._lock = threading.Lock()

    def drain(self, stream: IO[bytes]) -> None:
        """Read a stream to its end (run in a thread)."""
        read = getattr(stream, "read1", stream.read)
        while chunk := read(65536):
            with self._lock:
                self.total += len(chunk)
                room = self.cap - len(self.data)
                if room > 0:
                    self.data += chunk[:room]

    def text(self) -> str:
        """What was kept, decoded leniently, with a note if output was cut."""
        with self._lock:
            text = self.data.decode("utf-8", "replace")
            return text + (f"\n[output cut: {self.total} bytes in all]" if self.total > self.cap else "")


class CandidateSession:
    """One submission's candidate process, restarted after a crash or timeout.

    Made with a RunnerConfig it is ready for checks. Made with a LaunchConfig (a warm runner) it can
    `prestart` its first process, which then waits, greeted, for `bind` to give it the job. Processes
    come from `launcher` (in the runner: the host's broker), by default the one the config names.
    """

    def __init__(self, config: LaunchConfig, launcher: Launcher | None = None) -> None:
        self.config = config
        self.launcher = launcher or launcher_for(config)
        self.log = OutputLog(config.output_cap_bytes)
        self.run_deadline = self.check_deadline = math.inf
        self.starts = 0
        self.broken: CandidateFault | None = None
        self.memory_hit = False
        self.probes_source = ""
        self._candidate: LaunchedCandidate | None = None
        self._process: CandidateProcess | None = None
        self._initialised = False
        self._requests: IO[bytes] | None = None
        self._replies_fd = -1
        if isinstance(config, RunnerConfig):
            self.bind(config)

    # -- public -------------------------------------------------------------------------------

    def prestart(self) -> None:
        """Start the first candidate process ahead of the job, up to its greeting (no submission byte is read).

        It may take long: a warm-up runs at the lowest priority, on CPU time nothing else wants.
        """
        self._launch(WARM_READY_TIMEOUT_S)

    @property
    def job(self) -> RunnerConfig:
        """The job `bind` gave the session; SandboxSetupError before it has one."""
        if not isinstance(self.config, RunnerConfig):
            raise SandboxSetupError("the candidate session has no job yet")
        return self.config

    @property
    def replies_fd(self) -> int:
        """The candidate's reply channel (-1 without a process): readable early only if it died."""
        return self._replies_fd

    def bind(self, config: RunnerConfig) -> None:
        """Give the session its job; its run clock starts now."""
        if self._process is not None and (
            config.candidate_dir != self.config.candidate_dir or config.launcher != self.config.launcher
        ):
            raise SandboxSetupError("the job does not fit the prestarted candidate process")
        self.config = config
        self.run_deadline = time.monotonic() + config.run_timeout_s
        self.check_deadline = self.run_deadline
        with open(config.probes_path, encoding="utf-8") as probes:
            self.probes_source = probes.read()

    def begin_check(self) -> None:
        """Start the per-check clock."""
        self.check_deadline = min(time.monotonic() + self.job.check_timeout_s, self.run_deadline)

    def call(self, probe: str, *args: Any, seed: int | None = None) -> Any:
        """Run probes.<probe>(solution, *args) in the candidate process; return its decoded answer."""
        if self.broken is not None:
            raise self.broken
        if time.monotonic() >= self.run_deadline:
            raise CandidateFault("timeout", "the run's time limit was reached")
        if not self._initialised:
            started = time.monotonic()
            self._start()
            # Starting a fresh process (interpreter, torch, the submission's import) is not this check's time.
            self.check_deadline = min(self.check_deadline + (time.monotonic() - started), self.run_deadline)
        request = CallRequest(probe=probe, args=list(args), seed=self.job.seed if seed is None else seed)
        reply = self._exchange(request, self.check_deadline, during=f"probe {probe}")
        if not reply.ok:
            raise self._fault_from_error(reply.error)
        return reply.value

    def close(self) -> None:
        """Kill the candidate process and everything it started."""
        self._kill()

    # -- lifecycle ----------------------------------------------------------------------------

    def _start(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            # A prestarted process that died while waiting ran no candidate code: start afresh.
            self._kill()
        job = self.job
        if self._candidate is None:
            self._launch()
        else:
            # The prestarted process: the job's limits apply before it reads a byte of the submission.
            try:
                self._candidate.restrict(job.policy)
            except OSError as exc:
                self._kill()
                raise SandboxSetupError(
                    f"the job's limits could not be applied to the candidate process: {exc}"
                ) from exc
        # The limits first, in a message of their own: its answer comes before any submission byte
        # has run, so a failure there is the judge's and can be believed. Nothing the submission
        # raises later (whatever it calls its exception) is taken for it.
        limits = LimitsRequest(cpu_s=job.policy.cpu_s, memory_mb=job.policy.memory_mb)
        deadline = min(time.monotonic() + job.check_timeout_s, self.run_deadline)
        try:
            reply = self._exchange(limits, deadline, during="start")
        except CandidateFault as fault:
            if fault.kind == "timeout":
                # The run's clock ran out while its process started (a slow start counts against the run).
                self.broken = CandidateFault("timeout", f"starting the submission's process: {fault.message}")
                raise self.broken from fault
            self._kill()
            raise SandboxSetupError(f"the candidate process did not take the job's limits: {fault.message}") from fault
        if not reply.ok:
            self._kill()
            error = reply.error.model_dump() if reply.error is not None else None
            raise SandboxSetupError(f"the candidate process could not apply the job's limits: {str(error)[:300]}")
        # Importing the submission is not charged to a check but has a check's time limit.
        init = InitRequest(probes=self.probes_source, entrypoint=job.entrypoint)
        try:
            reply = self._exchange(
                init, min(time.monotonic() + job.check_timeout_s, self.run_deadline), during="import"
            )
        except CandidateFault as fault:
            self.broken = CandidateFault(fault.kind, f"importing the submission: {fault.message}")
            raise self.broken from fault
        if not reply.ok:
            failure = self._fault_from_error(reply.error)
            self.broken = CandidateFault(failure.kind, f"importing the submission failed: {failure.message}")
            self._kill()
            raise self.broken
        self._initialised = True

    def _launch(self, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        """Start a candidate process and read its greeting."""
        if self.starts >= MAX_STARTS:
            self.broken = CandidateFault("crash", "the submission's process kept dying; no further restarts")
            raise self.broken
        self.starts += 1
        try:
            self._candidate = self.launcher.launch(self.config, self.starts)
            self._process = self._candidate.process
            requests, replies, output = pipes(self._process)
        except OSError as exc:
            raise SandboxSetupError(f"the candidate process could not be started: {exc}") from exc
        self._requests = requests
        self._replies_fd = replies.fileno()
        threading.Thread(target=self.log.drain, args=(output,), daemon=True).start()
        try:
            greeting = self._read_message(time.monotonic() + ready_timeout_s)
        except CandidateFault as fault:
            self._kill()
            raise SandboxSetupError(
                f"the candidate process failed to start: {fault.message}\n{self.log.text()[-2000:]}"
            ) from fault
        try:
            Greeting.model_validate(greeting)
        except ValidationError:
            raise SandboxSetupError("the candidate process sent an unexpected greeting") from None

    def _kill(self) -> bool:
        """Kill the process and all it started; True when it had been killed for memory."""
        candidate, self._candidate, self._process = self._candidate, None, None
        self._initialised = False
        if candidate is None:
            return False
        try:
            oom = candidate.terminate()
        except OSError as exc:
            # The broker is gone: what the checks would see next says nothing of the submission.
            raise SandboxSetupError(f"the candidate process could not be ended: {exc}") from exc
        self.memory_hit |= oom
        self._requests, self._replies_fd = None, -1
        return oom

    # -- messaging ----------------------------------------------------------------------------

    def _exchange(self, request: LimitsRequest | InitRequest | CallRequest, deadline: float, during: str) -> Reply:
        if self._requests is None:
            raise SandboxSetupError("no candidate process is running")
        try:
            self._requests.write(wire.frame(wire.encode(plain(request))))
            self._requests.flush()
        except (BrokenPipeError, OSError):
            raise self._died(during) from None
        message = self._read_message(deadline, during)
        try:
            return Reply.model_validate(message)
        except ValidationError:
            self._kill()
            raise CandidateFault("protocol", "the submission's process sent a malformed answer") from None

    def _read_message(self, deadline: float, during: str = "start") -> Any:
        header = self._read_exactly(4, deadline, during)
        (length,) = struct.unpack(">I", header)
        if length > wire.MAX_FRAME_BYTES:
            self._kill()
            raise CandidateFault("protocol", f"the submission's answer exceeds {wire.MAX_FRAME_BYTES >> 20} MiB")
        payload = self._read_exactly(length, deadline, during)
        try:
            return wire.decode(payload)
        except wire.WireError as exc:
            self._kill()
            raise CandidateFault("protocol", f"the submission's answer could not be decoded ({exc})") from None

    def _read_exactly(self, n: int, deadline: float, during: str) -> bytearray:
        # Into one buffer of the frame's size: a frame arriving in many small reads costs no more copies.
        data = bytearray(n)
        view = memoryview(data)
        have = 0
        while have < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill()
                scope = "run" if deadline >= self.run_deadline else "check"
                raise CandidateFault("timeout", f"time limit of the {scope} exceeded during {during}")
            ready, _, _ = select.select([self._replies_fd], [], [], remaining)
            if not ready:
                continue
            got = os.readv(self._replies_fd, [view[have:]])
            if not got:
                raise self._died(during)
            have += got
        return data

    def _died(self, during: str) -> CandidateFault:
        process = self._process
        code = process.poll() if process is not None else None
        if process is not None and code is None:
            try:
                code = process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                code = None
        if self._kill():
            return CandidateFault(
                "memory", f"memory limit of {self.config.policy.memory_mb} MB exceeded during {during}"
            )
        how = (
            f"exited with code {code}"
            if code is not None and code >= 0
            else f"was killed by signal {-code}"
            if code
            else "died"
        )
        return CandidateFault("crash", f"the submission's process {how} during {during}")

    def _fault_from_error(self, error: CandidateError | None) -> CandidateFault:
        if error is None:
            return CandidateFault("protocol", "the submission's process sent a malformed error")
        kind, message, where = error.type[:80], error.message[:300], error.where[:120]
        text = f"{kind}: {message}" + (f" (at {where})" if where else "")
        if kind == "MemoryError" or any(marker in message for marker in ALLOCATION_FAILURES):
            self.memory_hit = True
            return CandidateFault("memory", f"memory limit of {self.config.policy.memory_mb} MB exceeded: {text}")
        return CandidateFault("error", text)

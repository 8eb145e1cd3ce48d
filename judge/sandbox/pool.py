"""The warm pool: sandboxes started ahead of demand, each used for exactly one submission.

A slot is a trusted runner (`runner --warm`) that has imported pytest and torch and started its first
candidate process (a container for docker, a bubblewrap or local process otherwise), which has
isolated itself, imported torch and greeted; both then wait. The slot owns its workspace from the
start, so the container (or bwrap) already mounts the empty candidate directory read-only; the
submission is written into it when a job comes. On hand-out the slot gets the job's configuration
on its stdin; the limits a problem sets (memory, CPU time) are applied before the submission's
first byte runs (harness.session: the container's limits updated by the engine, or the cgroup, from outside, rlimits by the
still-trusted candidate itself). After its one job, or when discarded, the slot's processes,
containers and workspace are destroyed: nothing is shared between submissions. A restart of the
candidate inside a run is a cold launch, as without the pool.

One background thread per grading process refills the pool, one warm-up at a time. As root, warm-ups
run at nice pool_nice (19 by default; containers at the matching CPU weight) and are raised to
normal priority on hand-out, so they only use CPU time the gradings leave idle; without root (priority could not be raised
back) a warm-up starts only while fewer gradings run than there are cores. The pool empties after
pool_idle_s without a submission and refills on the next one, which is graded cold (as is any
submission arriving while no slot is ready nor warming). A slot whose processes died while waiting
is discarded, never handed out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from judge.bank.loader import ProblemBank
from judge.errors import SandboxFault
from judge.harness import isolation
from judge.harness.events import ReadyEvent, WarmEnvelope
from judge.harness.launcher import LaunchConfig
from judge.harness.session import RunnerConfig
from judge.limits import candidate_policy, pool_deadline_s
from judge.sandbox.base import EventSink, Sandbox, SandboxJob, SandboxRun, WarmSlot
from judge.sandbox.process import ProcessSandbox, RunnerLog, collect_events
from judge.settings import Settings
from judge.workspace import create_workspace

log = logging.getLogger(__name__)

#: How often the refill thread looks at the slots when nothing wakes it.
CHECK_INTERVAL_S = 1.0
#: Pause after a failed warm-up before the next one.
FAILURE_BACKOFF_S = 30.0
#: Policy fields a job may set lower than the slot's (applied on hand-out); all others must match.
JOB_LIMITS = {"memory_mb", "cpu_s"}


class PoolSlot(WarmSlot):
    """One warm runner with its first candidate process, its workspace and its run id."""

    def __init__(self, backend: ProcessSandbox, settings: Settings, nice: int, hidden: Sequence[Path]) -> None:
        self.backend = backend
        self.nice = nice
        self.uid = isolation.pick_run_uid() if backend.drops_privileges else None
        self.workspace = create_workspace(self.uid)
        self.run_id = secrets.token_hex(8)
        # The candidate container's own backstop must cover the wait for a job and the longest run.
        self.wall_timeout_s = pool_deadline_s(settings)
        policy = candidate_policy(
            settings,
            self.workspace,
            self.uid,
            settings.limits.max_memory_mb,
            settings.limits.max_wall_timeout_s,
            hidden,
        )
        launch = LaunchConfig(
            candidate_dir=str(self.workspace.candidate_dir),
            policy=policy,
            output_cap_bytes=settings.limits.output_cap_bytes,
            nice=nice,
        )
        self.launch = backend.isolate(launch, self.run_id, self.wall_timeout_s)
        path = self.workspace.trusted_dir / "warm.json"
        path.write_text(self.launch.model_dump_json())
        self.started_at = time.monotonic()
        self.ready_at: float | None = None
        self.failure = ""
        self.ready = threading.Event()
        self.settled = threading.Event()
        self._lock = threading.Lock()
        self._used = False
        self._gone = False
        #: Whether the job this slot was handed ran cold after all (the slot had died, or did not fit it).
        self.fell_back = False
        self.log = RunnerLog(settings.limits.output_cap_bytes)
        try:
            self.runner = backend.start_runner(
                self.workspace, self.launch, ["--warm", str(path)], self.run_id, self.wall_timeout_s, nice
            )
        except Exception:
            backend.forget_run(self.run_id)
            self.workspace.remove()
            raise
        self.process = self.runner.process
        self._drain = threading.Thread(target=self.log.drain, args=(self.process.stderr,), daemon=True)
        self._drain.start()
        threading.Thread(target=self._await_ready, name=f"warm-{self.run_id}", daemon=True).start()

    # -- state ----------------------------------------------------------------------------------

    def alive(self) -> bool:
        """Ready, and its runner still waiting (the runner exits when its candidate process dies)."""
        return self.ready.is_set() and not self._gone and self.process.poll() is None

    def broken(self) -> bool:
        """Failed to warm up, or died: never to be handed out."""
        return self._gone or (self.settled.is_set() and not self.ready.is_set()) or self.process.poll() is not None

    def _await_ready(self) -> None:
        """Read the runner's first event line: `ready`, or a fault / end of file (the warm-up failed)."""
        # Every runner is started with its stdout a pipe.
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        buffer = b""
        try:
            while b"\n" not in buffer:
                chunk = os.read(fd, 4096)
                if not chunk:
                    self.failure = f"the warm runner exited before it was ready\n{self.log.text()[-2000:]}"
                    return
                buffer += chunk
            line, rest = buffer.split(b"\n", 1)
            event = WarmEnvelope.model_validate_json(b'{"event":' + line + b"}").event
            if rest or not isinstance(event, ReadyEvent):
                self.failure = f"the warm runner did not get ready: {getattr(event, 'message', line[:300])}"
                return
            self.ready_at = time.monotonic()
            self.ready.set()
            log.info(
                "warm %s sandbox %s ready in %.1f s", self.backend.name, self.run_id, self.ready_at - self.started_at
            )
        except (OSError, ValueError, ValidationError) as exc:
            self.failure = f"the warm runner's first event was unreadable: {exc}"
        finally:
            self.settled.set()

    # -- use ------------------------------------------------------------------------------------

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Hand the job to the waiting runner; falls back to a cold run if the slot cannot take it."""
        with self._lock:
            if self._used:
                raise RuntimeError("a warm slot runs one job only")
            self._used = True
        config = self.backend.isolate(job.config, self.run_id, self.wall_timeout_s, job.problem)
        if not self.alive() or not fits(self.launch, config):
            self.fell_back = True
            self.discard()
            return self.backend.run(job, on_event)
        self._raise_priority()
        # Candidates started from now on (restarts) are the job's: its limits, normal priority.
        self.runner.broker.set_config(config)
        log.info(
            "grading on warm %s sandbox %s (ready %.1f s ago)",
            self.backend.name,
            self.run_id,
            time.monotonic() - (self.ready_at or 0),
        )
        # Every runner is started with its stdin a pipe.
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(config.model_dump_json().encode() + b"\n")
            self.process.stdin.close()
        except OSError:
            # It died between the check and the hand-off: nothing of the job ran; grade cold.
            self.fell_back = True
            self.discard()
            return self.backend.run(job, on_event)
        try:
            run = collect_events(self.process, job.wall_timeout_s, self.log, on_event)
        finally:
            self.discard()
        # `discard` waited for the drain: the runner's output is whole only now.
        return run.model_copy(update={"output": self.log.text()})

    def discard(self) -> None:
        """Kill the runner, its candidate processes and containers (the workspace is the caller's to remove)."""
        with self._lock:
            if self._gone:
                return
            self._gone = True
            self._used = True
        self.runner.stop()
        if self.uid is not None:
            isolation.kill_uid(self.uid)
        self.backend.forget_run(self.run_id)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._drain.join(timeout=5)

    def _raise_priority(self) -> None:
        """Back to normal priority: the runner and the candidate (a candidate container's weight: see restrict)."""
        if not self.nice:
            return
        try:
            self.backend.raise_priority(self.runner, self.run_id)
        except (OSError, SandboxFault) as exc:
            # Only speed is at stake: the job still runs, at the warm-up's priority.
            log.warning("raising a warm sandbox's priority failed: %s", exc)


def fits(launch: LaunchConfig, config: RunnerConfig) -> bool:
    """Whether a job can run on a slot started with `launch`: same work dir, launcher and policy,
    except for limits that the job sets lower (they are applied on hand-out)."""
    if config.candidate_dir != launch.candidate_dir or config.launcher != launch.launcher:
        return False
    ours, theirs = launch.policy, config.policy
    if ours.model_dump(exclude=JOB_LIMITS) != theirs.model_dump(exclude=JOB_LIMITS):
        return False
    return all(getattr(theirs, name) <= getattr(ours, name) for name in JOB_LIMITS)


@dataclass
class PoolStats:
    """Counters since the pool started (for tests, the benchmark and logs)."""

    hits: int = 0
    misses: int = 0
    fallbacks: int = 0
    started: int = 0
    discarded: int = 0


class WarmPool:
    """Keeps up to `pool_size` slots warm for one grading process; see the module docstring."""

    def __init__(
        self, backend: ProcessSandbox, settings: Settings, bank: ProblemBank, cores: int | None = None
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.bank = bank
        self.size = settings.sandbox.pool_size
        self.idle_s = settings.sandbox.pool_idle_s
        self.cores = cores or os.cpu_count() or 1
        # Only root can raise a process's priority back: without it warm-ups run at normal priority.
        self.nice = settings.sandbox.pool_nice if isolation.is_root() else 0
        self.stats = PoolStats()
        self._slots: list[PoolSlot] = []
        self._busy = 0
        self._last_demand = time.monotonic()
        self._retry_at = 0.0
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the refill thread (idempotent)."""
        with self._wake:
            if self._thread is not None or self.size == 0:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._refill, name="judge-warm-pool", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop refilling and destroy every waiting slot."""
        with self._wake:
            self._stopping = True
            thread, self._thread = self._thread, None
            slots, self._slots = self._slots, []
            self._wake.notify_all()
        if thread is not None:
            thread.join(timeout=10)
        for slot in slots:
            self._destroy(slot)

    def take(self) -> PoolSlot | None:
        """The oldest ready slot, or None (a warm-up under way stays in the background: grade cold)."""
        with self._wake:
            self._last_demand = time.monotonic()
            dead = [s for s in self._slots if s.broken()]
            live = [s for s in self._slots if s not in dead]
            ready = [s for s in live if s.alive()]
            chosen = ready[0] if ready else None
            self._slots = [s for s in live if s is not chosen]
            if chosen is None:
                self.stats.misses += 1
            else:
                self.stats.hits += 1
            self._wake.notify_all()
        for slot in dead:
            self._destroy(slot)
        return chosen

    def waiting(self) -> int:
        """Slots ready or warming."""
        with self._wake:
            return len(self._slots)

    def ready_count(self) -> int:
        """Slots ready to take a job now."""
        with self._wake:
            return sum(1 for s in self._slots if s.alive())

    @contextlib.contextmanager
    def grading(self) -> Iterator[None]:
        """Count a grade in progress (warm-ups without root wait for a free core)."""
        with self._wake:
            self._busy += 1
        try:
            yield
        finally:
            with self._wake:
                self._busy -= 1
                self._wake.notify_all()

    def _refill(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                now = time.monotonic()
                idle = now - self._last_demand > self.idle_s
                stale = [
                    s
                    for s in self._slots
                    if s.broken() or idle or (s.ready_at is not None and now - s.ready_at > self.idle_s)
                ]
                if any(s.failure for s in stale):
                    # A warm-up that fails (say, the image is gone) would fail again at once: pause.
                    self._retry_at = now + FAILURE_BACKOFF_S
                self._slots = [s for s in self._slots if s not in stale]
                warming = any(not s.settled.is_set() for s in self._slots)
                free_core = self.nice > 0 or self._busy < self.cores
                start = (
                    not idle and not warming and len(self._slots) < self.size and free_core and now >= self._retry_at
                )
            for slot in stale:
                self._destroy(slot)
            if start:
                self._warm_up()
                continue
            with self._wake:
                if not self._stopping:
                    # Wake at once when a warm-up finishes or a slot is taken; otherwise look again soon.
                    self._wake.wait(CHECK_INTERVAL_S)

    def _warm_up(self) -> None:
        try:
            slot = PoolSlot(self.backend, self.settings, self.nice, self.bank.hidden_paths())
        except Exception:  # a warm-up that cannot even start costs only speed: submissions grade cold
            log.exception("starting a warm sandbox failed")
            self._retry_at = time.monotonic() + FAILURE_BACKOFF_S
            return
        with self._wake:
            self.stats.started += 1
            if not self._stopping:
                self._slots.append(slot)
                return
        self._destroy(slot)

    def _destroy(self, slot: PoolSlot) -> None:
        if slot.failure and not slot._used:
            log.warning("discarding a warm sandbox: %s", slot.failure.splitlines()[0] if slot.failure else "")
        self.stats.discarded += 1
        slot.discard()
        slot.workspace.remove()


class PooledSandbox(Sandbox):
    """A backend with a warm pool: `take_slot` hands out warm slots; `run` grades cold."""

    def __init__(self, backend: ProcessSandbox, settings: Settings, bank: ProblemBank) -> None:
        self.backend = backend
        self.name = backend.name
        self.pool = WarmPool(backend, settings, bank)

    @property
    def drops_privileges(self) -> bool:
        """As the backend's."""
        return self.backend.drops_privileges

    def open(self) -> None:
        """Start filling the pool."""
        self.pool.start()

    def close(self) -> None:
        """Stop the pool and destroy its waiting slots."""
        self.pool.stop()

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """A cold run on the backend."""
        with self.pool.grading():
            return self.backend.run(job, on_event)

    def engine_epoch(self) -> str | None:
        """As the backend's."""
        return self.backend.engine_epoch()

    def take_slot(self) -> WarmSlot | None:
        """A warm slot for the next submission, or None (grade cold)."""
        slot = self.pool.take()
        return None if slot is None else _CountedSlot(slot, self.pool)


class _CountedSlot(WarmSlot):
    """A handed-out slot whose run counts as a grade in progress for the pool."""

    def __init__(self, slot: PoolSlot, pool: WarmPool) -> None:
        self.slot, self.pool = slot, pool
        self.uid, self.workspace = slot.uid, slot.workspace

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Run on the slot."""
        with self.pool.grading():
            try:
                return self.slot.run(job, on_event)
            finally:
                if self.slot.fell_back:
                    self.pool.stats.fallbacks += 1

    def discard(self) -> None:
        """Destroy the slot."""
        self.slot.discard()


def pooled(sandbox: Sandbox, settings: Settings, bank: ProblemBank) -> Sandbox:
    """`sandbox` with a warm pool in front when settings ask for one and the backend supports it;
    the slots' candidates see none of `bank`'s directories (as they are when each slot warms up)."""
    if settings.sandbox.pool_size > 0 and isinstance(sandbox, ProcessSandbox):
        return PooledSandbox(sandbox, settings, bank)
    return sandbox

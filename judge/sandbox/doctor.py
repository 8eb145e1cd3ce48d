"""`judge sandbox doctor`: which backends work on this machine, why not the others, and which one
the service and the CLI would use.

Each backend is judged by starting a real candidate process in it (the full run policy, the
candidate harness greeting the host) unless `smoke` is off, in which case only the cheap
availability checks that `auto` uses are made.
"""

from __future__ import annotations

import os
import select
import struct
import tempfile
import time
from dataclasses import dataclass, field

from judge.errors import SandboxUnavailable
from judge.harness import cgroup, isolation, wire
from judge.harness.isolation import IsolationPolicy
from judge.harness.launcher import CandidateProcess
from judge.harness.session import RunnerConfig
from judge.sandbox.process import ProcessSandbox
from judge.sandbox.select import AUTO_ORDER, BACKENDS, TRUSTED_CODE_ONLY, Requester, fallback_warning, refusal, tried
from judge.settings import Settings

GREETING_TIMEOUT_S = 120.0


@dataclass
class BackendReport:
    """One backend's verdict on this machine."""

    name: str
    ok: bool
    detail: str
    notes: list[str] = field(default_factory=list)


def _memory_cgroup_note() -> str:
    probe = cgroup.create(f"judge-doctor-{os.getpid()}", 64)
    if probe is None:
        return "memory limit: RLIMIT_DATA (no writable memory cgroup here)"
    probe.remove()
    return f"memory limit: a cgroup v{probe.version} per candidate process"


def smoke_test(sandbox: ProcessSandbox, settings: Settings) -> tuple[bool, str]:
    """Start one candidate process the way `sandbox` runs them and wait for its greeting."""
    with tempfile.TemporaryDirectory(prefix="judge-doctor-") as root:
        os.chmod(root, 0o755)
        policy = IsolationPolicy(
            uid=isolation.pick_run_uid() if sandbox.drops_privileges else None,
            memory_mb=min(1024, settings.limits.max_memory_mb),
            pids=settings.limits.candidate_pids,
            open_files=settings.limits.candidate_open_files,
            file_size_mb=settings.limits.candidate_file_size_mb,
            cpu_s=60,
        )
        config = RunnerConfig(
            checks_dir=root,
            ini_path=root,
            probes_path=root,
            candidate_dir=root,
            entrypoint="solution.py",
            check_ids=[],
            check_timeout_s=60,
            run_timeout_s=60,
            policy=policy,
        )
        isolated = sandbox.isolate(config, f"doctor{os.getpid()}", 90)
        start = time.monotonic()
        candidate = sandbox.candidate_launcher(isolated).launch(isolated, 1)
        try:
            greeting, why = _read_greeting(candidate.process)
        finally:
            candidate.terminate()
            if policy.uid is not None:
                isolation.kill_uid(policy.uid)
        if greeting != {"ready": True}:
            return False, f"a candidate process did not start: {why}"
        return True, f"a candidate process started and greeted in {time.monotonic() - start:.1f} s"


def _read_greeting(process: CandidateProcess) -> tuple[object, str]:
    deadline = time.monotonic() + GREETING_TIMEOUT_S
    # Every candidate is started with its stdout a pipe.
    assert process.stdout is not None
    fd = process.stdout.fileno()
    data = b""
    while True:
        if len(data) >= 4:
            (length,) = struct.unpack(">I", data[:4])
            if length > 4096:
                return None, "an oversized greeting"
            if len(data) >= 4 + length:
                try:
                    return wire.decode(data[4 : 4 + length]), ""
                except wire.WireError as exc:
                    return None, f"a malformed greeting ({exc})"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None, f"no greeting in {GREETING_TIMEOUT_S:g} s"
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                code = process.wait()
                stderr = process.stderr.read() if process.stderr is not None else b""
                err = stderr.decode("utf-8", "replace").strip().splitlines()
                return None, f"it exited with code {code}" + (f": {err[-1][:300]}" if err else "")
            data += chunk


def diagnose(settings: Settings, smoke: bool = True) -> list[BackendReport]:
    """A report per backend, in the order `auto` prefers them."""
    from judge.sandbox.bwrap import BwrapSandbox
    from judge.sandbox.docker import DockerSandbox
    from judge.sandbox.engine import engine_status

    reports = []
    engine = engine_status(settings)
    docker = BackendReport("docker", False, "")
    try:
        sandbox = DockerSandbox(settings)
        docker.ok, docker.detail = True, "engine reachable, image up to date"
        if smoke:
            docker.ok, docker.detail = smoke_test(sandbox, settings)
        docker.notes.append(engine.detail)
        if not engine.swap_limit:
            docker.notes.append(
                "the kernel cannot limit swap: the containers' swap limit is ignored (no swap is configured here)"
                if _no_swap()
                else "the kernel cannot limit swap: candidates may use swap beyond their memory limit"
            )
    except SandboxUnavailable as exc:
        docker.detail = str(exc).removeprefix("docker: ")
    reports.append(docker)

    bwrap = BackendReport("bwrap", False, "")
    try:
        trial = BwrapSandbox(settings)
        bwrap.ok, bwrap.detail = True, "a trial sandbox starts"
        if smoke:
            bwrap.ok, bwrap.detail = smoke_test(trial, settings)
        bwrap.notes.append(_memory_cgroup_note())
        bwrap.notes.append(
            "as root: no user namespace, the candidate drops to a run-private uid"
            if isolation.is_root()
            else "without root: a user namespace; no per-uid process limit"
        )
    except SandboxUnavailable as exc:
        bwrap.detail = str(exc).removeprefix("bwrap: ")
    reports.append(bwrap)

    process = BackendReport("process", True, "always available")
    process.notes.append(TRUSTED_CODE_ONLY)
    if isolation.is_root():
        process.notes.append(
            "as root: the runner and the candidate each under a run-private uid, in mount, network, IPC, UTS and pid "
            "namespaces, seeing a fresh read-only root; " + _memory_cgroup_note()
        )
    if smoke:
        process.ok, process.detail = smoke_test(ProcessSandbox(settings), settings)
    reports.append(process)
    return reports


def _no_swap() -> bool:
    try:
        with open("/proc/swaps", encoding="ascii") as swaps:
            return len(swaps.read().splitlines()) <= 1
    except OSError:
        return False


@dataclass(frozen=True)
class Decision:
    """The backend a requester would use (None: it would refuse to start), and why."""

    backend: str | None
    why: str


def decide(reports: list[BackendReport], requester: Requester, wanted: str = "auto") -> Decision:
    """What `select.choose` would pick for `requester` on a machine where these reports hold."""
    by_name = {r.name: r for r in reports}
    if wanted != "auto":
        report = by_name.get(wanted)
        if report is None:
            return Decision(None, f"unknown sandbox {wanted!r} (choose from auto, {', '.join(BACKENDS)})")
        if not report.ok:
            return Decision(None, f"{wanted} was asked for by name and does not work here: {report.detail}")
        suffix = f"; {TRUSTED_CODE_ONLY}" if wanted == "process" else ""
        return Decision(wanted, f"asked for by name{suffix}")
    passed_over: list[tuple[str, str]] = []
    for name in AUTO_ORDER[requester]:
        report = by_name[name]
        if report.ok:
            if name == "process":
                return Decision(name, f"auto, with a warning: {fallback_warning(passed_over)}")
            return Decision(name, "auto: " + (f"{tried(passed_over)}; " if passed_over else "") + f"{name} works")
        passed_over.append((name, report.detail))
    return Decision(None, refusal(passed_over))

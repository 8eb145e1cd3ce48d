"""The runner: `python -I -m judge.harness.runner [--warm] CONFIG_JSON_PATH (--broker-fd N | --broker-path P) [--policy JSON]`.

Runs the problem's pytest checks in this process, each talking to the candidate process by messages,
and streams one JSON event per check on stdout (pytest's own output goes to stderr). pytest loads no
plugin but ours and pytest's built-ins, no conftest, and its ini and rootdir are ours.

The checks may come from a team's upload, so the runner is contained too: the backend starts it in
a container (docker), or it isolates itself with `--policy` before it imports any check (as root:
its own uid, namespaces, a fresh root holding the runtime and its trusted directory, a memory cgroup
and rlimits). It starts no process itself: the host's broker (harness.broker) starts each candidate.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
from pathlib import Path

from judge.harness.broker import BrokerClient
from judge.harness.events import CheckEvent, DoneEvent, FaultEvent, ReadyEvent
from judge.harness.isolation import IsolationPolicy, enter
from judge.harness.launcher import LaunchConfig
from judge.harness.session import CandidateFault, CandidateSession, RunnerConfig, SandboxSetupError


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The runner's command line."""
    parser = argparse.ArgumentParser(prog="judge.harness.runner")
    parser.add_argument("--warm", action="store_true", help="CONFIG is a LaunchConfig; the job comes on stdin")
    parser.add_argument("config", type=Path)
    channel = parser.add_mutually_exclusive_group(required=True)
    channel.add_argument("--broker-fd", type=int, help="an inherited socket to the host's broker")
    channel.add_argument("--broker-path", help="the broker's listening socket")
    parser.add_argument(
        "--policy", type=IsolationPolicy.model_validate_json, help="isolation the runner applies to itself"
    )
    return parser.parse_args(argv)


def pytest_args(config: RunnerConfig) -> list[str]:
    """The pytest command line: trusted ini and rootdir, no conftest, no cache, plain asserts."""
    return [
        config.checks_dir,
        "-c",
        config.ini_path,
        "--rootdir",
        str(Path(config.ini_path).parent),
        "--noconftest",
        "--assert=plain",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:pastebin",
        "-p",
        "no:junitxml",
        "-q",
        "--no-header",
        "-o",
        "python_files=test_*.py",
        "-o",
        "python_functions=test_*",
    ]


def main() -> int:
    """Run every check; always ends with a done or a fault event.

    `runner CONFIG` runs the job in CONFIG. `runner --warm LAUNCH_CONFIG` is a pool slot: it starts
    its first candidate process, says `ready`, and reads the job (one JSON line) on stdin.
    """
    args = parse_args(sys.argv[1:])
    warm = args.warm
    config_text = args.config.read_text()
    broker = (
        BrokerClient.from_fd(args.broker_fd) if args.broker_fd is not None else BrokerClient.connect(args.broker_path)
    )
    if args.policy is not None:
        # Before the first check is imported: what a team's checks can reach is decided here.
        enter(args.policy)
    events = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def emit(event: CheckEvent | DoneEvent | FaultEvent | ReadyEvent) -> None:
        events.write(event.model_dump_json() + "\n")
        events.flush()

    import pytest
    import torch

    import judge.harness.expect  # noqa: F401 - every problem's checks import it; a warm runner has it ready
    from judge.harness.plugin import HarnessPlugin

    torch.set_num_threads(1)
    if warm:
        session = CandidateSession(LaunchConfig.model_validate_json(config_text), broker)
        try:
            session.prestart()
        except (SandboxSetupError, CandidateFault) as exc:
            emit(FaultEvent(message=f"the warm candidate process did not start: {exc}"[:2000]))
            session.close()
            return 1
        emit(ReadyEvent())
        job = await_job(session)
        if job is None:
            session.close()
            return 0
        config = RunnerConfig.model_validate_json(job)
        try:
            session.bind(config)
        except SandboxSetupError as exc:
            emit(FaultEvent(message=str(exc)[:2000]))
            session.close()
            return 1
    else:
        config = RunnerConfig.model_validate_json(config_text)
        session = CandidateSession(config, broker)
    plugin = HarnessPlugin(session, config.check_ids, emit, config.seed)
    try:
        pytest.main(pytest_args(config), plugins=[plugin])
    except Exception as exc:  # noqa: BLE001 - any failure of the harness is the judge's fault
        emit(FaultEvent(message=f"the check runner failed: {type(exc).__name__}: {exc}"[:2000], source="checks"))
        return 1
    finally:
        session.close()
        # pytest's own output (its stdout is this stderr) goes first, so that the candidate's follows the marker alone.
        sys.stdout.flush()
        sys.stderr.write(f"--- candidate output ---\n{session.log.text()}\n")
    if plugin.fault is not None:
        return 1
    emit(DoneEvent())
    return 0


def await_job(session: CandidateSession) -> bytes | None:
    """The job's line from stdin; None when the host closes stdin or the waiting candidate process
    stops waiting (it may say nothing before init: output or end of file means it died)."""
    buffer = b""
    while b"\n" not in buffer:
        ready, _, _ = select.select([0, session.replies_fd], [], [])
        if session.replies_fd in ready:
            return None
        chunk = os.read(0, 65536)
        if not chunk:
            return None
        buffer += chunk
    return buffer


if __name__ == "__main__":
    sys.exit(main())

"""Each attack submission is contained: score 0, an honest verdict, no leak, nothing outlives the run."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from judge.harness import isolation
from judge.result import Verdict
from tests.conftest import PROBLEMS

pytestmark = [pytest.mark.security, pytest.mark.slow]

ATTACKS_DIR = Path(__file__).parent / "attacks"
FAILED = {Verdict.RUNTIME_ERROR, Verdict.WRONG_ANSWER}
EXPECTED: dict[str, set[Verdict]] = {
    "exit_zero_at_import": {Verdict.RUNTIME_ERROR},
    "os_exit_at_import": {Verdict.RUNTIME_ERROR},
    # Each exit costs a fresh process; on a loaded machine the restarts can outlast the run's limit.
    "os_exit_in_every_call": {Verdict.RUNTIME_ERROR, Verdict.TIME_LIMIT},
    "always_equal": FAILED,
    "pytest_report_rewrite": {Verdict.RUNTIME_ERROR},
    "monkeypatch_asserts": FAILED,
    "fake_results": {Verdict.RUNTIME_ERROR},
    "memory_scan": {Verdict.RUNTIME_ERROR},
    "read_hidden_checks": {Verdict.RUNTIME_ERROR},
    "read_secrets": {Verdict.RUNTIME_ERROR},
    "fork_bomb": {Verdict.RUNTIME_ERROR, Verdict.TIME_LIMIT, Verdict.MEMORY_LIMIT},
    "memory_bomb": {Verdict.MEMORY_LIMIT},
    "disk_fill": {Verdict.RUNTIME_ERROR},
    "stdout_flood": {Verdict.RUNTIME_ERROR},
    "infinite_loop_at_import": {Verdict.TIME_LIMIT},
    "sleep_forever": {Verdict.TIME_LIMIT},
    "ignore_signals": {Verdict.TIME_LIMIT},
    "background_daemon": {Verdict.RUNTIME_ERROR},
    "network": {Verdict.RUNTIME_ERROR},
    "escape_writes": {Verdict.RUNTIME_ERROR},
    "kill_the_runner": {Verdict.RUNTIME_ERROR},
    # Nothing found to steal: the module defines nothing (a walk that outlasts the import's limit is a timeout).
    "steal_reference": {Verdict.RUNTIME_ERROR, Verdict.TIME_LIMIT},
    # An ordinary failed import, never a fault of the judge.
    "forge_limits_error": {Verdict.RUNTIME_ERROR},
}


def secret_lines() -> list[str]:
    """Distinctive lines of the hidden checks and the reference, which no result may quote."""
    problem = PROBLEMS / "vae-mnist"
    lines = []
    for path in [*sorted((problem / "checks").glob("*.py")), problem / "solution.py"]:
        lines += [line.strip() for line in path.read_text().splitlines() if len(line.strip()) >= 25]
    return lines


def processes_named(name: str) -> list[int]:
    """Pids whose command name is `name`."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if Path(f"/proc/{entry.name}/comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_every_attack_has_an_expectation():
    assert {p.stem for p in ATTACKS_DIR.glob("*.py")} == set(EXPECTED)


@pytest.mark.parametrize("attack", sorted(EXPECTED))
def test_attack_is_contained(attack, attack_grade, security_settings, run_uids, tmp_path, monkeypatch):
    source = (ATTACKS_DIR / f"{attack}.py").read_text()
    marker = f"judge-attack-{os.urandom(4).hex()}"
    source = source.replace('MARK = "MARKER"', f'MARK = "{marker}"')
    canary = f"canary-{os.urandom(6).hex()}"
    monkeypatch.setenv("JUDGE_ATTACK_CANARY", canary)

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    connections: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append(conn.recv(64))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    source = source.replace("PORT = 0", f"PORT = {server.getsockname()[1]}")
    try:
        result = attack_grade(source)
    finally:
        stop.set()
        thread.join()
        server.close()

    assert result.score == 0, [(c.id, c.outcome, c.message) for c in result.checks if c.points]
    assert result.verdict in EXPECTED[attack], (result.verdict, [c.message for c in result.checks][:3])
    text = result.model_dump_json()
    leaked = [line for line in secret_lines() if line in text]
    assert not leaked, f"hidden source leaked: {leaked[:3]}"
    assert "SECRET-TOKEN" not in text and canary not in text
    assert "connected to" not in text, "the submission opened a TCP connection"
    assert not connections, "the submission reached a server on the host's loopback"
    assert not processes_named("judgeattackd"), "a daemon outlived the run"
    for uid in run_uids:
        assert not isolation.processes_of_uid(uid), "processes of the run uid outlived the run"
    for directory in ("/tmp", "/var/tmp", "/dev/shm", str(PROBLEMS), str(PROBLEMS.parent)):
        assert not (Path(directory) / marker).exists(), f"the submission wrote into {directory}"
    assert not list(Path("/tmp").glob("judge-attack-fill-*")), "the submission filled the host's /tmp"
    assert not Path("/tmp/judgeattackd.heartbeat").exists()
    assert not Path("/tmp/conftest.py").exists() and not Path("/tmp/results.json").exists()


def test_next_submission_is_graded_normally(attack_grade):
    result = attack_grade((PROBLEMS / "vae-mnist" / "solution.py").read_text())
    assert result.verdict == Verdict.ACCEPTED, [(c.id, c.message) for c in result.checks if c.points < c.max_points]

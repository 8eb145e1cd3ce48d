"""Shared by the service's tests: a fake sandbox, service URLs from the environment, and real service processes.

FakeSandbox is a real Sandbox: grade_submission prepares a real workspace and scores its events; it
only skips starting the runner, deciding each check from directives in the submitted source:
    # fake: fail=<check id>[,<check id>...]   (fail=all fails every check)
    # fake: sleep=<seconds per check>
    # fake: fault=<n>    raise SandboxFault on the first n runs of this source (in this process)
    # fake: die          SIGKILL the process running the sandbox (a worker killed by its grade)
    # fake: print=<text> the run's output holds <text> as the candidate's printed output, after the checks' own
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from judge.errors import SandboxFault
from judge.grading import CANDIDATE_OUTPUT_MARKER
from judge.harness.events import CheckEvent
from judge.result import Outcome
from judge.sandbox.base import EventSink, Sandbox, SandboxJob, SandboxRun
from judge.settings import Settings
from tests.environment import Environment

REPO = Path(__file__).resolve().parents[2]


class FakeSandbox(Sandbox):
    """Emits check events at once, as the directives in the submitted source say."""

    name = "fake"
    drops_privileges = False

    def __init__(self) -> None:
        self.runs: Counter[str] = Counter()
        self._lock = threading.Lock()

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Decide every check from the source's directives."""
        source = (job.workspace.candidate_dir / job.config.entrypoint).read_text(encoding="utf-8")
        directives = dict(re.findall(r"#\s*fake:\s*([a-z]+)(?:=(\S+))?", source))
        digest = hashlib.sha256(source.encode()).hexdigest()
        with self._lock:
            self.runs[digest] += 1
            run_number = self.runs[digest]
        if "die" in directives:
            os.kill(os.getpid(), signal.SIGKILL)
        if run_number <= int(directives.get("fault") or 0):
            raise SandboxFault(f"fake sandbox fault on run {run_number}")
        failing = set((directives.get("fail") or "").split(","))
        events = []
        for check_id in job.config.check_ids:
            time.sleep(float(directives.get("sleep") or 0))
            failed = "all" in failing or check_id in failing
            event = CheckEvent(
                id=check_id,
                outcome=Outcome.FAILED if failed else Outcome.PASSED,
                message="the fake sandbox failed this check" if failed else "",
                duration_s=0.0,
            )
            events.append(event)
            if on_event is not None:
                on_event(event)
        # As the runner writes its stderr: pytest's output, then the candidate's (see judge.grading).
        printed = (
            f"checks: {len(events)} ran\n{CANDIDATE_OUTPUT_MARKER}{directives['print']}\n"
            if "print" in directives
            else ""
        )
        return SandboxRun(events=events, finished=True, timed_out=False, output=printed)


def fake_sandbox_factory(_settings: Settings) -> Sandbox:
    """A new FakeSandbox, whatever the settings."""
    return FakeSandbox()


# ---------------------------------------------------------------- services named by the environment


def service_url(kind: str) -> str:
    """The URL the environment gives for a test service (postgres or redis); skip without it, or fail in CI."""
    environment = Environment()
    url = environment.test_postgres_url if kind == "postgres" else environment.test_redis_url
    if url:
        return url
    variable = f"JUDGE_TEST_{kind.upper()}_URL"
    message = f'{variable} is not set: run `eval "$(scripts/services.sh)"` first'
    if environment.ci:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)")
    pytest.skip(message)


def fresh_postgres_database(base_url: str) -> Iterator[str]:
    """A new empty database next to `base_url`'s (its user needs CREATEDB); dropped afterwards."""
    url = make_url(base_url)
    name = f"judge_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {url.render_as_string(hide_password=True)} refused CREATE DATABASE: {exc}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def flush_redis(url: str) -> None:
    """Empty the test Redis database."""
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=5).flushdb()
    except redis.RedisError as exc:
        if Environment().ci:
            pytest.fail(f"Redis at {url} does not answer: {exc}")
        pytest.skip(f"Redis at {url} does not answer: {exc}")


# ---------------------------------------------------------------- real processes


def free_port() -> int:
    """A TCP port free on the loopback now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServiceProcess:
    """A real process (`judge serve`, `judge worker`, ...) in its own process group, output in a file."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.argv, self.env, self.log_path = argv, env, log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> ServiceProcess:
        """Start it."""
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to its whole process group (with SIGKILL: the host died) and reap it."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if sig != signal.SIGKILL:
            try:  # stragglers of a graceful stop (grading processes) go too
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process = None

    def log(self) -> str:
        """Everything it printed."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        """Whether it still runs."""
        return self.process is not None and self.process.poll() is None


def service_env(tmp: Path, **values: str) -> dict[str, str]:
    """The environment of a service process: this one's PATH and Python, JUDGE_* from `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUDGE_") or k.startswith("JUDGE_TEST_")}
    env.update(
        {
            "JUDGE_DATA_DIR": str(tmp / "data"),
            "JUDGE_SANDBOX": os.environ.get("JUDGE_SANDBOX", "process"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    # One test key polls many submissions; the rate limit itself is tested in tests/api/test_errors.py.
    env.update({"JUDGE_RATE_LIMIT_PER_MINUTE": "6000", "JUDGE_RATE_LIMIT_BURST": "1000"})
    env.update({f"JUDGE_{k.upper()}": v for k, v in values.items()})
    return env


def judge_command(*args: str) -> list[str]:
    """The judge CLI run by this Python."""
    return [sys.executable, "-c", "from judge.cli import app; app()", *args]


def create_key(env: dict[str, str], role: str) -> str:
    """A new API key made with `judge keys create` in `env`."""
    done = subprocess.run(
        judge_command("keys", "create", "--role", role), env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def first_admin_key(env: dict[str, str]) -> str:
    """The admin key a first `judge serve` without a terminal left in its data dir (it does not print it)."""
    path = Path(env["JUDGE_DATA_DIR"]) / "first-admin-key"
    return wait_for(lambda: path.is_file() and path.read_text().strip(), 30, f"the bootstrap admin key in {path}")


def wait_healthy(base: str, process: ServiceProcess, timeout_s: float = 90.0) -> None:
    """Wait until the service answers /readyz with 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.alive(), f"the service exited:\n{process.log()[-3000:]}"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the service was not ready in {timeout_s:g} s:\n{process.log()[-3000:]}")


def wait_finished(client: httpx.Client, submission_id: str, timeout_s: float) -> dict:
    """Long-poll a submission until it is completed or failed."""
    deadline = time.monotonic() + timeout_s
    body: dict = {}
    while time.monotonic() < deadline:
        try:
            answer = client.get(f"/api/v1/submissions/{submission_id}", params={"wait": 20}, timeout=30)
        except httpx.TransportError:  # the API is being restarted
            time.sleep(0.5)
            continue
        if answer.status_code == 429:
            time.sleep(float(answer.headers.get("Retry-After", "1")))
            continue
        body = answer.json()
        if body.get("status") in ("completed", "failed"):
            return body
    raise AssertionError(f"submission {submission_id} did not finish in {timeout_s:g} s; last: {body}")


def wait_for(predicate, timeout_s: float, what: str, poll_s: float = 0.2):
    """Poll `predicate` until it returns something truthy; fail saying `what` at the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")

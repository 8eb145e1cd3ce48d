"""The service under test as separate real processes, and a client that submits like a careful one.

The client sends each submission with an Idempotency-Key and retries the same request after a
transport error or a 503 (honouring Retry-After), so a fault can never make it submit twice; every
answer it gets is recorded, so the tests can assert that no request ever got a 500.
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Row, create_engine, text
from sqlalchemy.pool import NullPool

from judge.settings import Settings
from judge.storage import keys
from judge.storage.db import make_engine, migrate, session_factory
from judge.storage.models import Role
from tests.api.support import ServiceProcess, free_port, judge_command, service_env, wait_for, wait_healthy
from tests.reliability.mix import Entry, Offline
from tests.reliability.services import PrivateDockerd, PrivatePostgres, PrivateRedis

TIMINGS = {
    "heartbeat_interval_s": "1",
    "heartbeat_timeout_s": "6",
    "sweep_interval_s": "1",
    # Longer than a takeover through heartbeats (6 + 1 s), short enough that a dead worker's message
    # comes back within the takeover test, which checks that it is then acknowledged without work.
    "celery_visibility_timeout_s": "20",
    "celery_restore_interval_s": "2",
    "poll_interval_s": "0.2",
    "retry_backoff_s": "1",
}
QUEUE_LIMIT = 60
CANDIDATES = 8
SUBMIT_DEADLINE_S = 120.0


@dataclass
class Services:
    """The private servers the stack runs on."""

    redis: PrivateRedis
    postgres: PrivatePostgres
    dockerd: PrivateDockerd


@dataclass
class Stack:
    """`judge serve` (celery queue) and two `judge worker` processes on the private services."""

    services: Services
    env: dict[str, str]
    root: Path
    base: str
    api: ServiceProcess | None = None
    workers: dict[str, ServiceProcess] = field(default_factory=dict)

    @classmethod
    def build(cls, services: Services, root: Path, problems_dir: Path) -> Stack:
        """Environment only; start() runs the processes."""
        port = free_port()
        env = service_env(
            root,
            queue="celery",
            database_url=services.postgres.url,
            redis_url=services.redis.url,
            port=str(port),
            workers="1",
            sandbox="docker",
            docker_host=services.dockerd.host,
            problems_dirs=json.dumps([str(Path(__file__).resolve().parents[2] / "problems"), str(problems_dir)]),
            queue_limit=str(QUEUE_LIMIT),
            queue_retry_after_s="2",
            **TIMINGS,
        )
        return cls(services=services, env=env, root=root, base=f"http://127.0.0.1:{port}")

    def start(self) -> None:
        """Start the API and both workers; wait until the API is ready."""
        self.start_api()
        for name in ("w1", "w2"):
            self.start_worker(name)

    def start_api(self) -> None:
        """Start (or restart) the API and wait until it is ready."""
        self.api = ServiceProcess(judge_command("serve"), self.env, self.root / "api.log").start()
        wait_healthy(self.base, self.api, 120)

    def start_worker(self, name: str) -> None:
        """Start (or restart) one worker."""
        command = judge_command("worker", "--hostname", f"{name}@%h")
        self.workers[name] = ServiceProcess(command, self.env, self.root / f"{name}.log").start()

    def stop(self) -> None:
        """Stop every process."""
        for process in [self.api, *self.workers.values()]:
            if process is not None:
                process.kill(signal.SIGTERM)

    def logs(self) -> str:
        """The tail of every process's output, for failure messages."""
        parts = [f"--- api\n{self.api.log()[-3000:]}" if self.api else ""]
        parts += [f"--- {n}\n{w.log()[-3000:]}" for n, w in self.workers.items()]
        return "\n".join(parts)


@dataclass
class Accepted:
    """One submission the service accepted (202)."""

    id: str
    entry: Entry
    phase: str


class Campaign:
    """Submits, waits and checks; keeps every figure docs/reliability.md quotes."""

    def __init__(self, stack: Stack, entries: list[Entry], offline: dict[str, Offline]) -> None:
        self.stack = stack
        self.entries = entries
        self.offline = offline
        self.accepted: dict[str, Accepted] = {}
        self.answers: Counter[str] = Counter()  # "POST 202", "POST 503", "POST transport error", ...
        self.server_errors: list[str] = []
        self.rejected_full: int = 0
        self.faults: list[str] = []
        self.db = create_engine(stack.services.postgres.url, poolclass=NullPool)
        self.keys = self._candidate_keys()
        self.clients = [httpx.Client(base_url=stack.base, headers={"X-API-Key": k}, timeout=30) for k in self.keys]
        self._turn = 0

    def _candidate_keys(self) -> list[str]:
        engine = make_engine(Settings(storage={"database_url": self.stack.services.postgres.url}))
        migrate(engine)
        with session_factory(engine)() as session:
            made = [keys.create_key(session, Role.CANDIDATE, f"candidate {n}").secret for n in range(CANDIDATES)]
            self.admin = keys.create_key(session, Role.ADMIN, "reliability admin").secret
        engine.dispose()
        return made

    def close(self) -> None:
        """Close clients and the database engine."""
        for client in self.clients:
            client.close()
        self.db.dispose()

    # ------------------------------------------------------------------ submitting

    def submit(self, entry: Entry, phase: str, *, give_up_when_full: bool = False) -> str | None:
        """POST one submission as the next candidate until it is accepted; its id. With
        `give_up_when_full`, a 503 ends the attempt (None): the queue-full test counts refusals."""
        client = self.clients[self._turn % len(self.clients)]
        self._turn += 1
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        files = {"file": (entry.path.name, entry.source)}
        deadline = time.monotonic() + SUBMIT_DEADLINE_S
        while time.monotonic() < deadline:
            try:
                answer = client.post(
                    "/api/v1/submissions", data={"problem": entry.problem}, files=files, headers=headers
                )
            except httpx.TransportError as exc:
                self.answers[f"POST {type(exc).__name__}"] += 1
                time.sleep(0.5)
                continue
            self.answers[f"POST {answer.status_code}"] += 1
            if answer.status_code == 202:
                submission_id = answer.json()["id"]
                self.accepted[submission_id] = Accepted(submission_id, entry, phase)
                return submission_id
            if answer.status_code in (502, 503, 504):
                assert answer.headers.get("Retry-After", "").isdigit(), (
                    f"{answer.status_code} without Retry-After: {answer.text}"
                )
                assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
                if give_up_when_full:
                    self.rejected_full += 1
                    return None
                time.sleep(min(float(answer.headers["Retry-After"]), 2.0))
                continue
            if answer.status_code >= 500:
                self.server_errors.append(f"{phase}: POST {answer.status_code} {answer.text[:300]}")
                time.sleep(0.5)
                continue
            raise AssertionError(f"{phase}: POST {entry.key} answered {answer.status_code}: {answer.text}")
        raise AssertionError(
            f"{phase}: {entry.key} was not accepted within {SUBMIT_DEADLINE_S:g} s\n{self.stack.logs()}"
        )

    # ------------------------------------------------------------------ the database's view

    def statuses(self, ids: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
        """id -> (status, worker, verdict), read straight from PostgreSQL (None while it restarts)."""
        try:
            with self.db.connect() as connection:
                rows = connection.execute(text("SELECT id, status, worker, verdict FROM submissions")).all()
        except Exception:
            return {}
        wanted = set(ids)
        return {r.id: (r.status, r.worker, r.verdict) for r in rows if r.id in wanted}

    def grades(self, ids: list[str]) -> dict[str, Row]:
        """id -> its row's attempts, started_at, finished_at and grading_seconds, from PostgreSQL."""
        query = text(
            "SELECT id, status, attempts, started_at, finished_at, grading_seconds FROM submissions WHERE id = ANY(:ids)"
        )
        with self.db.connect() as connection:
            return {row.id: row for row in connection.execute(query, {"ids": ids})}

    def messages_in_redis(self, submission_id: str) -> int:
        """Grade messages for the submission that Redis still holds: queued, or delivered to a worker and
        not acknowledged yet (kombu keeps those in its `unacked` hash until the visibility timeout)."""
        import redis

        with redis.Redis.from_url(self.stack.services.redis.url, socket_timeout=5) as client:
            # One transaction: a message being restored moves from the hash to the list meanwhile.
            unacked, queued = client.pipeline(transaction=True).hvals("unacked").lrange("judge", 0, -1).execute()
        return sum(submission_id.encode() in message for message in [*unacked, *queued])

    def running_worker_pid(
        self, ids: list[str], kinds: tuple[str, ...] = ("code", "attack", "timeout", "seed")
    ) -> int | bool:
        """The pid of a worker grading one of `ids` now (a sandboxed kind), or False."""
        for submission_id, (status, worker, _) in self.statuses(ids).items():
            if status == "running" and worker and self.accepted[submission_id].entry.kind in kinds:
                return int(worker.rsplit(":", 1)[1])
        return False

    def wait_finished(self, ids: list[str], timeout_s: float) -> None:
        """Wait until every one of `ids` is completed or failed."""

        def done() -> bool:
            seen = self.statuses(ids)
            return len(seen) == len(ids) and all(s in ("completed", "failed") for s, _, _ in seen.values())

        try:
            wait_for(done, timeout_s, f"{len(ids)} submissions to finish", poll_s=0.5)
        except AssertionError:
            left = {i: s for i, s in self.statuses(ids).items() if s[0] not in ("completed", "failed")}
            raise AssertionError(f"unfinished after {timeout_s:g} s: {left}\n{self.stack.logs()}") from None

    def row_count(self) -> int:
        """Submissions stored, all phases."""
        with self.db.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM submissions")).scalar_one()

    # ------------------------------------------------------------------ checking results

    def check(self, ids: list[str], *, judge_fault_allowed: bool = False) -> Counter[str]:
        """Every submission's stored result, read over HTTP, equals `judge grade` of its file offline.
        With `judge_fault_allowed`, a submission may instead end failed as internal_error (a judge
        fault that outlasted its attempts: never a score). Returns how many ended how."""
        outcomes: Counter[str] = Counter()
        with httpx.Client(base_url=self.stack.base, headers={"X-API-Key": self.admin}, timeout=30) as client:
            for submission_id in ids:
                body = client.get(f"/api/v1/submissions/{submission_id}").json()
                entry = self.accepted[submission_id].entry
                expected = self.offline[entry.key]
                if judge_fault_allowed and body["status"] == "failed" and body["verdict"] == "internal_error":
                    outcomes["internal_error"] += 1
                    continue
                if expected.result is None:
                    assert body["status"] == "failed" and body["verdict"] is None, (entry.key, expected.error, body)
                    outcomes["ungradable"] += 1
                    continue
                assert body["status"] == "completed", f"{entry.key}: {body}\n{self.stack.logs()}"
                got = (body["verdict"], body["score"], body["max_score"])
                want = (expected.result.verdict.value, expected.result.score, expected.result.max_score)
                assert got == want, f"{entry.key} ({submission_id}): online {got}, offline {want}: {body.get('result')}"
                outcomes["regraded" if body["attempts"] > 1 else "graded once"] += 1
        self._check_events_single_grader(ids)
        return outcomes

    def _check_events_single_grader(self, ids: list[str]) -> None:
        """No attempt recorded a check twice: two graders never ran one attempt at once."""
        with self.db.connect() as connection:
            rows = connection.execute(text("SELECT submission_id, attempt, payload FROM submission_checks")).all()
        wanted = set(ids)
        seen: Counter[tuple[str, int, str]] = Counter()
        for row in rows:
            if row.submission_id in wanted:
                seen[(row.submission_id, row.attempt, json.loads(row.payload)["id"])] += 1
        doubled = [k for k, n in seen.items() if n > 1]
        assert not doubled, f"checks recorded twice within one attempt: {doubled[:5]}"

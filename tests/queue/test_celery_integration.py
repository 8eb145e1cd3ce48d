"""PostgreSQL + Redis + `judge serve` + two `judge worker` processes, all real and separate; real grading.

Short heartbeat and visibility timeouts make a killed worker's submission come back in seconds.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from judge.problem import load_problem
from judge.queue.uploads import GAVE_UP
from tests.api.packages import tiny_package, uploaded, zip_bytes
from tests.api.support import (
    ServiceProcess,
    create_key,
    flush_redis,
    free_port,
    fresh_postgres_database,
    judge_command,
    service_env,
    service_url,
    wait_finished,
    wait_for,
    wait_healthy,
)
from tests.api.test_problems import SEED_SLUGS
from tests.conftest import PROBLEMS

pytestmark = pytest.mark.integration

TIMINGS = {
    "heartbeat_interval_s": "1",
    "heartbeat_timeout_s": "6",
    "celery_visibility_timeout_s": "20",
    "celery_restore_interval_s": "2",
    "poll_interval_s": "0.2",
    "retry_backoff_s": "1",
}
GRADE_TIMEOUT_S = 240


@dataclass
class Stack:
    """The API, its workers, and a client with an admin key."""

    env: dict[str, str]
    tmp: Path
    api: ServiceProcess
    base: str
    client: httpx.Client
    workers: dict[str, ServiceProcess] = field(default_factory=dict)

    def start_worker(self, name: str, argv: list[str] | None = None) -> ServiceProcess:
        """Start (or restart) one worker process named `name`."""
        command = argv or judge_command("worker", "--hostname", f"{name}@%h")
        self.workers[name] = ServiceProcess(command, self.env, self.tmp / f"{name}.log").start()
        return self.workers[name]

    def restart_api(self) -> None:
        """Start the API again (after a kill) and wait until it is ready."""
        self.api = ServiceProcess(self.api.argv, self.env, self.api.log_path).start()
        wait_healthy(self.base, self.api)

    def submit(self, problem: str, source: bytes) -> str:
        """POST a multipart submission; its id."""
        answer = self.client.post(
            "/api/v1/submissions", data={"problem": problem}, files={"file": ("solution", source)}
        )
        assert answer.status_code == 202, answer.text
        return answer.json()["id"]

    def logs(self) -> str:
        """The tail of every process's output, for failure messages."""
        parts = [f"--- api\n{self.api.log()[-2000:]}"] + [
            f"--- {n}\n{w.log()[-2000:]}" for n, w in self.workers.items()
        ]
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop every process."""
        self.client.close()
        for process in [self.api, *self.workers.values()]:
            process.kill(signal.SIGTERM)


def make_stack(tmp: Path, database_url: str, redis_url: str, worker_argv=None, names=("w1", "w2")) -> Stack:
    """Migrate, make a key, start the API and the workers, wait until ready."""
    port = free_port()
    env = service_env(
        tmp, queue="celery", database_url=database_url, redis_url=redis_url, port=str(port), workers="1", **TIMINGS
    )
    key = create_key(env, "admin")
    base = f"http://127.0.0.1:{port}"
    api = ServiceProcess(judge_command("serve"), env, tmp / "api.log").start()
    stack = Stack(
        env=env, tmp=tmp, api=api, base=base, client=httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60)
    )
    for name in names:
        stack.start_worker(name, worker_argv(name) if worker_argv else None)
    wait_healthy(base, api)
    return stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """One API and two real workers on a fresh PostgreSQL database and an empty Redis database."""
    redis_url = service_url("redis")
    flush_redis(redis_url)
    for database_url in fresh_postgres_database(service_url("postgres")):
        running = make_stack(tmp_path_factory.mktemp("celery"), database_url, redis_url)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="module")
def reference_submissions(stack) -> dict[str, str]:
    """Every loadable problem's reference, submitted at once so that both workers grade."""
    return {slug: stack.submit(slug, load_problem(PROBLEMS / slug).solution_path.read_bytes()) for slug in SEED_SLUGS}


@pytest.mark.parametrize("slug", SEED_SLUGS)
def test_reference_completes_with_full_marks(stack, reference_submissions, slug):
    done = wait_finished(stack.client, reference_submissions[slug], GRADE_TIMEOUT_S)
    assert done["status"] == "completed", f"{done}\n{stack.logs()}"
    assert done["verdict"] == "accepted"
    assert done["score"] == done["max_score"] == load_problem(PROBLEMS / slug).max_score


def test_both_workers_took_part(stack, reference_submissions):
    for submission_id in reference_submissions.values():
        wait_finished(stack.client, submission_id, GRADE_TIMEOUT_S)
    for name, worker in stack.workers.items():
        assert "Task judge.grade" in worker.log() and "succeeded" in worker.log(), (
            f"{name} graded nothing\n{stack.logs()}"
        )


def test_event_stream_replays_checks_the_workers_recorded(stack, reference_submissions):
    submission_id = reference_submissions["vae-mnist"]
    wait_finished(stack.client, submission_id, GRADE_TIMEOUT_S)
    with stack.client.stream("GET", f"/api/v1/submissions/{submission_id}/events") as stream:
        events = [line.removeprefix("event: ") for line in stream.iter_lines() if line.startswith("event: ")]
    assert events == ["check"] * len(load_problem(PROBLEMS / "vae-mnist").check_specs) + ["result"]


def _grading_worker(stack: Stack, submission_id: str) -> str:
    """The name of the worker process grading the submission now (from the row's host:pid)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.env["JUDGE_DATABASE_URL"])
    try:

        def running_pid():
            with engine.connect() as connection:
                row = connection.execute(
                    text("SELECT status, worker FROM submissions WHERE id = :id"), {"id": submission_id}
                ).one()
            return row.status == "running" and int(row.worker.rsplit(":", 1)[1])

        pid = wait_for(running_pid, 120, "the submission to start grading")
    finally:
        engine.dispose()
    group = os.getpgid(pid)
    return next(name for name, w in stack.workers.items() if w.process is not None and w.process.pid == group)


def test_sigkill_of_a_worker_mid_grade_loses_nothing(stack, reference_submissions):
    for submission_id in reference_submissions.values():  # let the first batch finish
        wait_finished(stack.client, submission_id, GRADE_TIMEOUT_S)
    submission_id = stack.submit("vae-mnist", (PROBLEMS / "vae-mnist" / "solution.py").read_bytes())
    victim = _grading_worker(stack, submission_id)
    time.sleep(1.0)  # well inside the grade
    stack.workers[victim].kill(signal.SIGKILL)
    done = wait_finished(stack.client, submission_id, GRADE_TIMEOUT_S)
    assert done["status"] == "completed", f"{done}\n{stack.logs()}"
    assert done["verdict"] == "accepted" and done["attempts"] == 2
    stack.start_worker(victim)


def test_restarting_the_api_loses_nothing(stack):
    submission_id = stack.submit("vae-mnist", (PROBLEMS / "vae-mnist" / "solution.py").read_bytes())
    stack.api.kill(signal.SIGKILL)
    stack.restart_api()
    done = wait_finished(stack.client, submission_id, GRADE_TIMEOUT_S)
    assert done["status"] == "completed" and done["verdict"] == "accepted", f"{done}\n{stack.logs()}"


def test_submissions_wait_in_redis_while_no_worker_runs(stack):
    for worker in stack.workers.values():
        worker.kill(signal.SIGTERM)
    submission_id = (
        stack.submit("aigc-concepts", (PROBLEMS / "aigc-concepts" / "solution.json").read_bytes())
        if (PROBLEMS / "aigc-concepts" / "problem.toml").is_file()
        else stack.submit("vae-mnist", (PROBLEMS / "vae-mnist" / "solution.py").read_bytes())
    )
    time.sleep(2)
    assert stack.client.get(f"/api/v1/submissions/{submission_id}").json()["status"] == "queued"
    metrics = stack.client.get("/metrics").text
    assert "judge_queue_depth 1.0" in metrics
    for name in list(stack.workers):
        stack.start_worker(name)
    done = wait_finished(stack.client, submission_id, GRADE_TIMEOUT_S)
    assert done["status"] == "completed" and done["verdict"] == "accepted"


@pytest.fixture(scope="module")
def killer_stack(tmp_path_factory):
    """An API and one Celery worker grading with the FakeSandbox (whose `die` kills the worker process),
    on their own database and Redis database."""
    redis_url = service_url("redis").rsplit("/", 1)[0] + "/14"
    flush_redis(redis_url)
    for database_url in fresh_postgres_database(service_url("postgres")):
        running = make_stack(
            tmp_path_factory.mktemp("killer"),
            database_url,
            redis_url,
            worker_argv=lambda name: [*judge_command()[:1], "-m", "tests.queue.fake_worker", f"{name}@%h"],
            names=("killer",),
        )
        try:
            yield running
        finally:
            running.stop()


def test_a_submission_that_kills_its_worker_three_times_ends_internal_error(killer_stack):
    submission_id = killer_stack.submit("vae-mnist", b"# fake: die\n")
    done = wait_finished(killer_stack.client, submission_id, 180)
    assert done["status"] == "failed", f"{done}\n{killer_stack.logs()}"
    assert done["verdict"] == "internal_error"
    assert done["attempts"] == 3
    assert done["error"] == "grading failed 3 times (its worker died or the sandbox failed); giving up"
    assert killer_stack.workers["killer"].alive(), "the worker's main process survives its children dying"
    assert killer_stack.workers["killer"].log().count("WorkerLostError") >= 3
    healthy = killer_stack.submit("vae-mnist", b"# fine\n")
    assert wait_finished(killer_stack.client, healthy, 60)["verdict"] == "accepted"


def test_uploads_are_validated_by_the_workers_and_one_that_kills_its_worker_ends_failed(killer_stack):
    body = uploaded(killer_stack.client, zip_bytes(tiny_package("celery-upload")), {}, timeout_s=120, poll_s=1)
    assert body["status"] == "accepted" and body["attempts"] == 1, f"{body}\n{killer_stack.logs()}"
    assert killer_stack.client.get("/api/v1/problems/celery-upload").status_code == 200
    deadly = tiny_package("deadly-upload")
    deadly["solution.py"] = b"# fake: die\n" + deadly["solution.py"]
    body = uploaded(killer_stack.client, zip_bytes(deadly), {}, timeout_s=180, poll_s=1)
    # Its worker died on every attempt: a fault of the judge, never stored as the package's refusal.
    assert (body["status"], body["attempts"], body["error"]) == ("failed", 3, GAVE_UP), f"{body}\n{killer_stack.logs()}"
    assert killer_stack.client.get("/api/v1/problems/deadly-upload").status_code == 404

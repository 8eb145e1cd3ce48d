"""docker-compose.yml brought up for real, with the commands README.md ("Scaling out") gives.

The images are built offline (`judge deploy build-images --offline --if-stale`, `judge sandbox build
--offline --if-stale`: nothing is rebuilt when CI's set-up built them already); then `docker-compose
up -d` with a generated POSTGRES_PASSWORD under a project name of its own, every healthcheck waited
for, an admin key from `judge keys create` in the api container, the seed references and a wrong
solution submitted over HTTP from the host, one worker killed mid-grade, and `docker-compose down -v`.
The two workers stand for two machines: their own node names and work dirs, one database, one Redis.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from dataclasses import dataclass

import httpx
import pytest

from judge.cli import FIRST_ADMIN_KEY_FILE
from judge.problem import load_problem
from tests.api.support import REPO, free_port, judge_command, wait_finished
from tests.api.test_problems import SEED_SLUGS
from tests.conftest import PROBLEMS
from tests.environment import Environment
from tests.queue.test_compose import COMPOSE, compose_command

pytestmark = pytest.mark.integration

SERVICES = ("api", "worker-1", "worker-2", "redis", "postgres")
WORKERS = ("worker-1", "worker-2")
#: Every service healthy well within this after `up -d` returns (the workers' first check runs at 15 s).
HEALTHY_TIMEOUT_S = 150
GRADE_TIMEOUT_S = 240
#: Where `judge serve` leaves the first admin key in the api container (JUDGE_DATA_DIR/first-admin-key).
FIRST_ADMIN_KEY = f"/var/lib/judge/{FIRST_ADMIN_KEY_FILE}"
#: A wrong solution: kl-divergence with the standard deviation where the variance belongs.
WRONG = ("kl-divergence", PROBLEMS / "kl-divergence" / "mutants" / "gaussian_std_as_var.py")


@dataclass
class Deployment:
    """One compose project: its command line, environment and a client on its API."""

    command: list[str]
    env: dict[str, str]
    base: str
    started: float
    client: httpx.Client | None = None

    def compose(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess:
        """Run one docker-compose command of this project; its output captured as text."""
        return subprocess.run(
            [*self.command, *args],
            env=self.env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )

    def checked(self, *args: str, timeout_s: float = 300) -> str:
        """Run a docker-compose command that must succeed; its stdout."""
        done = self.compose(*args, timeout_s=timeout_s)
        assert done.returncode == 0, (
            f"{' '.join(args)}: exit {done.returncode}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
        return done.stdout

    def container(self, service: str) -> str:
        """The id of the service's container."""
        return self.checked("ps", "-q", service).strip()

    def health(self) -> dict[str, str]:
        """Each service's container health (healthy, starting, unhealthy) or state when it has none."""
        states = {}
        for service in SERVICES:
            container = self.container(service)
            inspected = json.loads(docker("inspect", container).stdout)[0]["State"] if container else {}
            states[service] = inspected.get("Health", {}).get("Status") or inspected.get("Status", "missing")
        return states

    def logs(self) -> str:
        """The tail of every service's log, for failure messages."""
        return self.compose("logs", "--no-color", "--tail", "40").stdout[-8000:]

    def submit(self, problem: str, source: bytes) -> str:
        """POST a multipart submission from the host; its id."""
        assert self.client is not None
        answer = self.client.post(
            "/api/v1/submissions", data={"problem": problem}, files={"file": ("solution", source)}
        )
        assert answer.status_code == 202, answer.text
        return answer.json()["id"]


def docker(*args: str) -> subprocess.CompletedProcess:
    """One docker CLI command (the test looks at the engine independently of compose)."""
    return subprocess.run(["docker", *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)


def judge_step(*args: str) -> str:
    """Run a judge command of the host (an image build); its stdout. A failure fails the test in CI, else skips it."""
    done = subprocess.run(
        judge_command(*args), cwd=REPO, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        message = f"judge {' '.join(args)} failed: {done.stderr[-2000:]}"
        if Environment().docker_required:
            pytest.fail(message)
        pytest.skip(message)
    return done.stdout


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """The whole stack up and healthy, under a project name of its own; taken down at the end whatever happened."""
    command = compose_command()
    if command is None or docker("info").returncode != 0:
        if Environment().docker_required:
            pytest.fail(
                "CI=true: docker-compose and a Docker engine are required (sandbox/setup-docker.sh installs both)"
            )
        pytest.skip("no docker-compose or no Docker engine here")
    started = time.monotonic()
    # The commands README.md gives: the images (kept when up to date), then up.
    exports = judge_step("deploy", "build-images", "--offline", "--if-stale")
    judge_step("sandbox", "build", "--offline", "--if-stale")
    images = dict(
        line.removeprefix("export ").split("=", 1) for line in exports.splitlines() if line.startswith("export ")
    )
    assert set(images) == {"JUDGE_SERVICE_IMAGE", "JUDGE_REDIS_IMAGE", "JUDGE_POSTGRES_IMAGE", "JUDGE_DOCKER_IMAGE"}
    project = f"judgetest{secrets.token_hex(4)}"
    port = free_port()
    env = {
        **os.environ,
        **images,
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "JUDGE_API_PORT": str(port),
        "COMPOSE_PROJECT_NAME": project,
    }
    running = Deployment([*command, "-f", str(COMPOSE)], env, f"http://127.0.0.1:{port}", started)
    try:
        running.checked("up", "-d", "--no-build", timeout_s=600)
        yield running
    finally:
        if running.client is not None:
            running.client.close()
        running.compose("down", "-v", "--timeout", "30", timeout_s=600)
        print(f"\ncompose test wall time: {time.monotonic() - started:.0f} s")


def test_every_healthcheck_passes(deployment):
    deadline = time.monotonic() + HEALTHY_TIMEOUT_S
    while (states := deployment.health()) != dict.fromkeys(SERVICES, "healthy"):
        assert "unhealthy" not in states.values() and "exited" not in states.values(), f"{states}\n{deployment.logs()}"
        assert time.monotonic() < deadline, (
            f"not every service healthy in {HEALTHY_TIMEOUT_S} s: {states}\n{deployment.logs()}"
        )
        time.sleep(2)


def test_admin_keys_from_the_api_container(deployment):
    # The first one, made on first start: in a file only its owner reads (container logs are read by others).
    assert deployment.checked("exec", "-T", "api", "stat", "-c", "%a", FIRST_ADMIN_KEY).strip() == "600"
    first = deployment.checked("exec", "-T", "api", "cat", FIRST_ADMIN_KEY).strip()
    assert first not in deployment.compose("logs", "--no-color", "api").stdout
    assert httpx.get(f"{deployment.base}/api/v1/problems", headers={"X-API-Key": first}, timeout=10).status_code == 200
    # Another, printed by `judge keys create`.
    out = deployment.checked(
        "exec", "-T", "api", "judge", "keys", "create", "--role", "admin", "--name", "compose test"
    )
    key = out.strip().splitlines()[-1]
    deployment.client = httpx.Client(base_url=deployment.base, headers={"X-API-Key": key}, timeout=60)
    assert deployment.client.get("/api/v1/problems").status_code == 200
    assert httpx.get(f"{deployment.base}/api/v1/problems", timeout=10).status_code == 401


def test_seed_references_and_a_wrong_solution_get_their_scores(deployment, grade):
    assert deployment.client is not None, "the admin key test runs first"
    references = {
        slug: deployment.submit(slug, load_problem(PROBLEMS / slug).solution_path.read_bytes()) for slug in SEED_SLUGS
    }
    wrong = deployment.submit(WRONG[0], WRONG[1].read_bytes())
    for slug, submission_id in references.items():
        done = wait_finished(deployment.client, submission_id, GRADE_TIMEOUT_S)
        assert done["status"] == "completed", f"{slug}: {done}\n{deployment.logs()}"
        assert (
            done["verdict"] == "accepted"
            and done["score"] == done["max_score"] == load_problem(PROBLEMS / slug).max_score
        ), done
    done = wait_finished(deployment.client, wrong, GRADE_TIMEOUT_S)
    expected = grade(WRONG[0], WRONG[1])  # the same code graded on the host
    assert done["status"] == "completed", f"{done}\n{deployment.logs()}"
    assert (done["verdict"], done["score"]) == (expected.verdict.value, expected.score), done
    assert done["score"] < done["max_score"]
    # Both "machines" graded: each worker's log names tasks it finished.
    for worker in WORKERS:
        assert "succeeded" in deployment.checked("logs", "--no-color", worker), (
            f"{worker} graded nothing\n{deployment.logs()}"
        )


def test_a_worker_killed_mid_grade_loses_nothing(deployment):
    assert deployment.client is not None, "the admin key test runs first"
    reference = (PROBLEMS / "vae-mnist" / "solution.py").read_bytes()
    # One grade per worker at a time (prefetch 1, concurrency 1): with two running, each worker has one.
    submitted = [deployment.submit("vae-mnist", reference) for _ in WORKERS]

    def running() -> int:
        return sum(deployment.client.get(f"/api/v1/submissions/{s}").json()["status"] == "running" for s in submitted)

    deadline = time.monotonic() + 120
    while running() < 2:
        assert time.monotonic() < deadline, f"two grades never ran at once\n{deployment.logs()}"
        time.sleep(0.5)
    time.sleep(1.0)  # well inside the grades
    deployment.checked("kill", "-s", "SIGKILL", "worker-1")
    results = [wait_finished(deployment.client, s, GRADE_TIMEOUT_S) for s in submitted]
    assert [r["status"] for r in results] == ["completed"] * len(submitted), f"{results}\n{deployment.logs()}"
    assert all(r["verdict"] == "accepted" for r in results), results
    assert sorted(r["attempts"] for r in results) == [1, 2], "the killed worker's grade is graded again, the other once"
    # Started again, the worker removes the containers its killed process left (their owner died).
    deployment.checked("start", "worker-1")
    deadline = time.monotonic() + HEALTHY_TIMEOUT_S
    while deployment.health()["worker-1"] != "healthy":
        assert time.monotonic() < deadline, f"worker-1 did not come back\n{deployment.logs()}"
        time.sleep(2)


def test_down_leaves_nothing_behind(deployment):
    project = deployment.env["COMPOSE_PROJECT_NAME"]
    workers = [deployment.container(w) for w in WORKERS]
    deployment.checked("down", "-v", timeout_s=600)
    label = f"label=com.docker.compose.project={project}"
    assert docker("ps", "-aq", "--filter", label).stdout.strip() == "", "containers left"
    assert docker("network", "ls", "-q", "--filter", label).stdout.strip() == "", "networks left"
    assert docker("volume", "ls", "-q", "--filter", label).stdout.strip() == "", "volumes left"
    # Nor any runner or candidate container the workers started through the engine.
    owners = docker(
        "ps", "-a", "--filter", "label=judge.sandbox=1", "--format", '{{.Label "judge.owner"}}'
    ).stdout.split()
    assert not [o for o in owners if o.split("/")[0] in {w[:12] for w in workers}], owners
    print(f"\ncompose test until down: {time.monotonic() - deployment.started:.0f} s")

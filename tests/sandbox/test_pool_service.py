"""`judge serve` grades through its warm pool: a real server process, the docker backend, HTTP."""

from __future__ import annotations

import re
import signal
import subprocess

import httpx
import pytest

from judge.problem import load_problem
from judge.sandbox import reaper
from tests.api.support import (
    ServiceProcess,
    first_admin_key,
    free_port,
    judge_command,
    service_env,
    wait_finished,
    wait_for,
    wait_healthy,
)
from tests.conftest import PROBLEMS
from tests.sandbox.conftest import sandbox_or_skip

pytestmark = [pytest.mark.integration, pytest.mark.slow]
READY = re.compile(r"warm docker sandbox (\w+) ready in")
HANDED = re.compile(r"grading on warm docker sandbox (\w+)")
#: Warm-ups run niced: on a machine busy with other work they wait for idle CPU.
WARM_TIMEOUT_S = 600


def test_the_service_grades_through_its_warm_pool(tmp_path, sandbox_settings):
    sandbox_or_skip("docker", sandbox_settings)
    port = free_port()
    # The image under test (JUDGE_DOCKER_IMAGE), as the other service tests pass it on.
    env = service_env(
        tmp_path,
        port=str(port),
        sandbox="docker",
        pool_size="1",
        workers="1",
        poll_interval_s="0.1",
        docker_image=sandbox_settings.sandbox.docker_image,
    )
    service = ServiceProcess(judge_command("serve"), env, tmp_path / "serve.log").start()
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, service)
        key = first_admin_key(env)
        warm = wait_for(lambda: READY.search(service.log()), WARM_TIMEOUT_S, "a warm sandbox").group(1)
        # The waiting container belongs to this server and to the slot's run.
        owner = reaper.owner_token(service.process.pid)
        listing = subprocess.run(
            [
                "docker",
                "ps",
                "-q",
                "--filter",
                f"label={reaper.OWNER_LABEL}={owner}",
                "--filter",
                f"label={reaper.RUN_LABEL}={warm}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listing.stdout.strip(), "the warm slot's container runs before any submission"

        source = load_problem(PROBLEMS / "vae-mnist").solution_path.read_text()
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
            answer = client.post("/api/v1/submissions", json={"problem": "vae-mnist", "source": source})
            assert answer.status_code == 202, answer.text
            done = wait_finished(client, answer.json()["id"], 300)
        assert done["status"] == "completed" and done["score"] == done["max_score"], done
        assert HANDED.search(service.log()).group(1) == warm, "the submission ran on the warm slot"
        # Used once, then destroyed; the pool refills with a new slot.
        wait_for(lambda: len(READY.findall(service.log())) >= 2, WARM_TIMEOUT_S, "the refill")
        assert READY.findall(service.log())[1] != warm
        gone = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label={reaper.RUN_LABEL}={warm}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert gone.stdout.strip() == "", "the used slot's container is removed"
    finally:
        service.kill(signal.SIGTERM)

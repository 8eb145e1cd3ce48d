"""./scripts/start as a process: a progress line per step, then a service whose sandbox contains candidate code."""

from __future__ import annotations

import os
import subprocess

import httpx
import pytest

from tests.api.support import REPO, ServiceProcess, free_port, wait_healthy

pytestmark = pytest.mark.integration

START = str(REPO / "scripts" / "start")


def start_env(tmp_path, **values: str) -> dict[str, str]:
    """This environment (the image tag and Docker host the suite uses) with a private data dir and no sandbox named."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("JUDGE_SANDBOX", "JUDGE_DATA_DIR", "JUDGE_PORT", "JUDGE_HOST")
    }
    env.update({"JUDGE_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1", **values})
    return env


@pytest.mark.skipif(os.geteuid() != 0, reason="scripts/start sets up Docker only as root")
def test_start_serves_with_a_sandbox_that_contains_candidate_code(tmp_path):
    port = free_port()
    service = ServiceProcess([START, "--port", str(port)], start_env(tmp_path), tmp_path / "start.log").start()
    try:
        wait_healthy(f"http://127.0.0.1:{port}", service, timeout_s=600)
        sandbox = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()["sandbox"]
    finally:
        service.kill()
    assert sandbox["name"] in ("docker", "bwrap") and sandbox["trusted_code_only"] is False
    lines = [line for line in service.log().splitlines() if line.startswith("[start]")]
    assert [line.split(" ")[1] for line in lines] == ["1/4", "2/4", "3/4", "4/4"], service.log()
    assert f"judge serve --sandbox {sandbox['name']} --port {port}" in lines[-1]


def test_start_with_a_sandbox_named_skips_the_docker_steps(tmp_path):
    done = subprocess.run(
        [START, "--setup-only", "--sandbox", "process"],
        env=start_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == "[start] 2/4 docker engine ... skipped (sandbox process asked for)"
    assert lines[2] == "[start] 3/4 runner image ... skipped (sandbox process asked for)"
    assert lines[3].startswith("[start] 4/4 .venv/bin/judge serve --sandbox process (set up in")


def test_start_fails_in_one_line_when_the_sandbox_asked_for_cannot_run(tmp_path):
    env = start_env(tmp_path, JUDGE_SANDBOX="bwrap", JUDGE_BWRAP_PATH="/nonexistent/bwrap")
    done = subprocess.run([START, "--port", str(free_port())], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: bwrap: /nonexistent/bwrap is not installed (apt-get install -y bubblewrap)"
    ]
    assert "skipped (sandbox bwrap asked for)" in done.stdout

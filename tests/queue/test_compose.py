"""docker-compose.yml: validated by `docker compose config` where the plugin exists, and always by
loading the YAML and checking what the deployment promises."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from tests.api.support import REPO
from tests.environment import Environment

COMPOSE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    """The compose file as data."""
    return yaml.safe_load(COMPOSE.read_text())


WORKERS = ("worker-1", "worker-2")


def test_services_and_healthchecks(compose):
    services = compose["services"]
    assert set(services) == {"api", *WORKERS, "redis", "postgres"}
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test"), f"{name} has no healthcheck"
    for name in ("api", *WORKERS):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", WORKERS)
def test_worker_setup(compose, name):
    worker = compose["services"][name]
    assert worker["command"] == ["judge", "worker", "--hostname", f"{name}@%h"]
    # The healthcheck pings this worker's own node name.
    assert f"--destination {name}@" in worker["healthcheck"]["test"][1]
    assert worker["environment"]["JUDGE_QUEUE"] == "celery"
    assert worker["environment"]["JUDGE_SANDBOX"] == "docker"
    assert "/var/run/docker.sock:/var/run/docker.sock" in worker["volumes"]
    assert "root-equivalent" in COMPOSE.read_text()
    # The runner's and candidates' containers mount work dirs by host path: the same path inside and out.
    work = worker["environment"]["TMPDIR"]
    assert f"{work}:{work}" in worker["volumes"]


def test_workers_are_two_machines(compose):
    """Two workers, as on two machines: their own node names and work dirs, the same database and Redis."""
    workers = [compose["services"][name] for name in WORKERS]
    assert len({w["environment"]["TMPDIR"] for w in workers}) == 2
    assert len({w["command"][-1] for w in workers}) == 2
    for key in ("JUDGE_DATABASE_URL", "JUDGE_REDIS_URL", "JUDGE_UPLOADED_PROBLEMS_DIR"):
        assert len({w["environment"][key] for w in workers}) == 1


def test_image_names_come_from_variables_with_todays_defaults(compose):
    services = compose["services"]
    assert services["redis"]["image"] == "${JUDGE_REDIS_IMAGE:-redis:7-bookworm}"
    assert services["postgres"]["image"] == "${JUDGE_POSTGRES_IMAGE:-postgres:16-bookworm}"
    for name in ("api", *WORKERS):
        assert services[name]["image"] == "${JUDGE_SERVICE_IMAGE:-judge-service:latest}"
        assert services[name]["build"]["dockerfile"] == "Dockerfile"
    for name in WORKERS:
        assert services[name]["environment"]["JUDGE_DOCKER_IMAGE"] == "${JUDGE_DOCKER_IMAGE:-judge-sandbox:latest}"


def test_no_default_secrets(compose):
    postgres = compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert postgres.startswith("${POSTGRES_PASSWORD:?")
    for name in ("api", *WORKERS):
        url = compose["services"][name]["environment"]["JUDGE_DATABASE_URL"]
        assert "${POSTGRES_PASSWORD:?" in url
    assert compose["services"]["api"]["ports"] == ["127.0.0.1:${JUDGE_API_PORT:-8000}:8000"]


def test_uploaded_problems_are_shared_by_api_and_workers(compose):
    for name in ("api", *WORKERS):
        service = compose["services"][name]
        assert service["environment"]["JUDGE_UPLOADED_PROBLEMS_DIR"] == "/var/lib/judge/problems"
        assert "problems:/var/lib/judge/problems" in service["volumes"]


def compose_command() -> list[str] | None:
    """`docker compose` (the v2 plugin) where it exists, else Debian's `docker-compose`."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_is_valid():
    command = compose_command()
    if command is None:
        if Environment().ci:
            pytest.fail("CI=true: neither `docker compose` nor `docker-compose` is installed")
        pytest.skip("neither `docker compose` nor `docker-compose` is installed; the YAML checks above stand in")
    env = {**os.environ, "POSTGRES_PASSWORD": "only-for-validation"}
    done = subprocess.run([*command, "-f", str(COMPOSE), "config", "--quiet"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    missing = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--quiet"],
        env={k: v for k, v in env.items() if k != "POSTGRES_PASSWORD"},
        capture_output=True,
        text=True,
    )
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr, (
        "compose must refuse to start without a password"
    )

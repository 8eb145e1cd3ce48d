"""judge/sandbox/deploy.py without an engine: what the images are built from, and the variables
docker-compose.yml reads (tests/queue/test_compose_up.py builds and runs them for real)."""

from __future__ import annotations

import re
import tomllib

from judge.sandbox import deploy, image
from judge.settings import Settings
from tests.conftest import REPO


def test_source_digest_follows_the_files_and_the_mode_not_the_bytecode(tmp_path):
    root = tmp_path / "src"
    (root / "judge" / "__pycache__").mkdir(parents=True)
    (root / "judge" / "a.py").write_text("A = 1\n")
    (root / "Dockerfile").write_text("FROM x\n")
    sources = ("Dockerfile", "judge")
    first = deploy.source_digest(root, sources, "base offline=True")
    (root / "judge" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert deploy.source_digest(root, sources, "base offline=True") == first
    assert deploy.source_digest(root, sources, "base offline=False") != first
    (root / "judge" / "a.py").write_text("A = 2\n")
    assert deploy.source_digest(root, sources, "base offline=True") != first


def test_the_service_image_installs_every_dependency_and_the_build_backend(tmp_path):
    wheel = image.build_judge_wheel(REPO, tmp_path, log=lambda _line: None)
    wanted = deploy.service_requirements(wheel, REPO)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    names = {image._requirement_name(line) for line in wanted}
    declared = [
        *project["project"]["dependencies"],
        *project["build-system"]["requires"],
        *deploy.CONTAINER_ONLY_REQUIREMENTS,
    ]
    assert {image._requirement_name(line) for line in declared} == names
    # The runner's wheelhouse holds a few of these; the service needs the whole stack.
    assert {"fastapi", "celery", "psycopg", "docker", "setuptools"} <= names


def test_every_service_source_is_in_the_repository():
    for name in deploy.SERVICE_SOURCES:
        assert (REPO / name).exists(), name
    for name in ("redis", "postgres"):
        assert (REPO / "deploy" / name / "Dockerfile").is_file()
        assert (REPO / "deploy" / name / "entrypoint.sh").stat().st_mode & 0o111, (
            f"deploy/{name}/entrypoint.sh is not executable"
        )


def test_the_printed_variables_are_the_ones_the_compose_file_reads():
    settings = Settings(images={"service_image": "judge-service:t"}, sandbox={"docker_image": "judge-sandbox:t"})
    offline = deploy.compose_environment(settings, offline=True)
    assert offline == {
        "JUDGE_SERVICE_IMAGE": "judge-service:t",
        "JUDGE_DOCKER_IMAGE": "judge-sandbox:t",
        "JUDGE_REDIS_IMAGE": settings.images.offline_redis_image,
        "JUDGE_POSTGRES_IMAGE": settings.images.offline_postgres_image,
    }
    # Online, Redis and PostgreSQL are the official images the compose file names by default.
    assert set(deploy.compose_environment(settings, offline=False)) == {"JUDGE_SERVICE_IMAGE", "JUDGE_DOCKER_IMAGE"}
    compose = (REPO / "docker-compose.yml").read_text()
    image_variables = set(re.findall(r"\$\{(JUDGE_[A-Z_]+_IMAGE):-", compose))
    assert image_variables == set(offline)


def test_the_dockerfile_builds_both_ways():
    """One Dockerfile: from the repository (a registry) and from the offline context (wheelhouse, no index)."""
    text = (REPO / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=" + deploy.ONLINE_SERVICE_BASE in text
    assert "wheelhous[e]" in text, "the repository has no wheelhouse: COPY it by a glob that may match nothing"
    assert image.TORCH_CPU_INDEX in text

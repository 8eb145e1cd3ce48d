"""Building the deployment's images (docker-compose.yml): the service image, and offline Redis and PostgreSQL.

With an image registry, `docker compose build` builds the service image (./Dockerfile) and `docker
compose pull` fetches the official Redis and PostgreSQL images; `judge deploy build-images` builds
the same service image through the engine's API. Offline (no registry, as in CI) every image is built
as the runner image is (judge/sandbox/image.py, whose helpers this module uses): on the Debian rootfs
imported once (settings.images.docker_offline_base_image), the service image from a wheelhouse made with the
host's pip and installed with --no-index and no network; Redis and PostgreSQL from Debian's packages
(deploy/redis, deploy/postgres), which apt fetches from Debian's mirror (plain HTTP, no certificate).

Each image is labelled with a digest of what it is built from: with `if_stale`, one whose label
matches is not built again.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from judge.errors import SandboxFault
from judge.sandbox.engine import BUILD_TIMEOUT_S, Engine
from judge.sandbox.image import (
    TORCH_CPU_INDEX,
    ImageBuildError,
    Log,
    build_judge_wheel,
    build_offline_base,
    container_python,
    make_wheelhouse,
    requirements,
    source_root,
)
from judge.settings import Settings

#: What an image is built from, as a digest: an image whose label matches is up to date.
SOURCE_LABEL = "judge.deploy-source"
#: The official base of the service image, where a registry is reachable (./Dockerfile's default).
ONLINE_SERVICE_BASE = "python:3.11-slim-bookworm"
#: Requirements behind a python_full_version marker that holds for the container's Python (Debian's
#: 3.11.2) but not for the host's: `pip download --python-version` judges such markers by the host's
#: interpreter, so the wheelhouse would lack them (redis needs async-timeout below 3.11.3).
CONTAINER_ONLY_REQUIREMENTS = ("async-timeout>=4.0.3",)
#: What the service image's context holds besides the wheelhouse (./Dockerfile copies these).
SERVICE_SOURCES = ("Dockerfile", "pyproject.toml", "README.md", "judge", "problems")


@dataclass(frozen=True)
class DeployImage:
    """One image of the deployment: its tag, and whether this run built it or found it up to date."""

    name: str
    image: str
    built: bool
    seconds: float


def source_digest(root: Path, sources: Iterable[str], extra: str) -> str:
    """A digest of the files under `sources` (relative to `root`) and of `extra` (the base, the mode)."""
    digest = hashlib.sha256(extra.encode() + b"\0")
    for name in sources:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            digest.update(str(file.relative_to(root)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def is_current(engine: Engine, image: str, digest: str) -> bool:
    """Whether the engine has `image` built from the sources whose digest is `digest`."""
    labels = engine.image_labels(image)
    return labels is not None and labels.get(SOURCE_LABEL) == digest


def service_requirements(wheel: Path, root: Path) -> list[str]:
    """What the service image's venv installs: every dependency of the judge, its build backend (the
    judge itself is installed from source without build isolation, so without an index), and
    CONTAINER_ONLY_REQUIREMENTS."""
    with (root / "pyproject.toml").open("rb") as f:
        build_requires = tomllib.load(f)["build-system"]["requires"]
    return requirements(wheel) + list(build_requires) + list(CONTAINER_ONLY_REQUIREMENTS)


def _copy_sources(root: Path, context: Path, sources: Iterable[str]) -> None:
    for name in sources:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, context / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, context / name)


def _build(
    engine: Engine, context: Path, image: str, buildargs: dict[str, str], digest: str, network: bool, log: Log
) -> None:
    try:
        engine.build(str(context), image, buildargs, {SOURCE_LABEL: digest}, not network, log)
    except SandboxFault as exc:
        raise ImageBuildError(f"docker build of {image} failed: {exc}") from exc


def build_service_image(engine: Engine, settings: Settings, offline: bool, if_stale: bool, log: Log) -> DeployImage:
    """The service image (./Dockerfile) as settings.images.service_image; offline on the debootstrapped base."""
    root = source_root()
    base = settings.images.docker_offline_base_image if offline else ONLINE_SERVICE_BASE
    digest = source_digest(root, SERVICE_SOURCES, f"{base} offline={offline}")
    if if_stale and is_current(engine, settings.images.service_image, digest):
        log(f"{settings.images.service_image} is up to date (sources {digest}): not rebuilt")
        return DeployImage("service", settings.images.service_image, False, 0.0)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="judge-service-", dir="/var/tmp") as tmp:
        context = Path(tmp)
        _copy_sources(root, context, SERVICE_SOURCES)
        wheel = build_judge_wheel(root, context / "judge-wheel", log)
        python = container_python(engine, base) if offline else None
        deps = make_wheelhouse(wheel, context / "wheelhouse", python, log, service_requirements(wheel, root))
        # The judge is installed from its source in the image; the wheel only named its requirements.
        shutil.rmtree(context / "judge-wheel")
        buildargs = {
            "BASE_IMAGE": base,
            "PIP_INSTALL_ARGS": "--no-index" if offline else f"--extra-index-url {TORCH_CPU_INDEX}",
            "DEPS_DIGEST": deps,
        }
        log(
            f"building {settings.images.service_image} from {context} (classic builder{', no network' if offline else ''})"
        )
        _build(engine, context, settings.images.service_image, buildargs, digest, not offline, log)
    # Replaced service images, and dependency stages of other dependencies, would pile up; this
    # build's dependency stage stays as the next build's cache.
    try:
        engine.prune_images({"dangling": True, "label": SOURCE_LABEL})
        engine.prune_images(
            {"dangling": True, "label": "judge.build-stage=service-venv", "label!": f"judge.deps={deps}"}
        )
    except SandboxFault as exc:
        log(f"pruning superseded images failed (the new image is fine): {exc}")
    return DeployImage("service", settings.images.service_image, True, time.monotonic() - start)


def build_package_image(
    engine: Engine, settings: Settings, name: str, image: str, if_stale: bool, log: Log
) -> DeployImage:
    """deploy/<name>/ (Redis or PostgreSQL from Debian's package) as `image`, on the debootstrapped base."""
    root = source_root()
    sources = [str(p.relative_to(root)) for p in sorted((root / "deploy" / name).iterdir())]
    base = settings.images.docker_offline_base_image
    digest = source_digest(root, sources, base)
    if if_stale and is_current(engine, image, digest):
        log(f"{image} is up to date (sources {digest}): not rebuilt")
        return DeployImage(name, image, False, 0.0)
    start = time.monotonic()
    log(f"building {image} from deploy/{name} (classic builder; apt from Debian's mirror)")
    _build(engine, root / "deploy" / name, image, {"BASE_IMAGE": base}, digest, True, log)
    return DeployImage(name, image, True, time.monotonic() - start)


def build_images(settings: Settings, offline: bool, if_stale: bool = False, log: Log = print) -> list[DeployImage]:
    """Build the deployment's images: the service image; offline, Redis and PostgreSQL too.

    ImageBuildError says which step failed; SandboxUnavailable when no engine answers.
    """
    engine = Engine(settings, timeout_s=BUILD_TIMEOUT_S)
    if offline and engine.image_labels(settings.images.docker_offline_base_image) is None:
        log(f"making the base image {settings.images.docker_offline_base_image} with debootstrap")
        build_offline_base(engine, settings.images.docker_offline_base_image, log)
    built = [build_service_image(engine, settings, offline, if_stale, log)]
    if offline:
        for name, image in (
            ("redis", settings.images.offline_redis_image),
            ("postgres", settings.images.offline_postgres_image),
        ):
            built.append(build_package_image(engine, settings, name, image, if_stale, log))
    return built


def compose_environment(settings: Settings, offline: bool) -> dict[str, str]:
    """The variables docker-compose.yml takes its image names from, for the images these settings name
    (offline, Redis and PostgreSQL are the ones build_images made instead of the official ones)."""
    names = {"JUDGE_SERVICE_IMAGE": settings.images.service_image, "JUDGE_DOCKER_IMAGE": settings.sandbox.docker_image}
    if offline:
        names |= {
            "JUDGE_REDIS_IMAGE": settings.images.offline_redis_image,
            "JUDGE_POSTGRES_IMAGE": settings.images.offline_postgres_image,
        }
    return names

"""Building the runner image (sandbox/Dockerfile): online from an official Python image, or offline.

Online, the base is an official slim Python 3.11 image and pip in the build container reaches PyPI
and the PyTorch CPU index. Offline (no image registry, as in CI), the base is a Debian rootfs made
with debootstrap from the host's apt mirror and imported into the engine; every wheel comes from a
wheelhouse made on the host (`pip download`, torch from $PIP_FIND_LINKS), installed in the build
container with --no-index: the host's pip has the proxy certificate, the container's has not.

The image is labelled with a digest of the judge code that runs inside it (the candidate side of
the harness): a backend refuses an image built from other code, since both ends of the message
channel must agree.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import judge
from judge.errors import JudgeError, SandboxFault
from judge.sandbox.engine import BUILD_TIMEOUT_S, Engine
from judge.settings import Settings

CHECKER_UID = 10001
CANDIDATE_UID = 10002
DIGEST_LABEL = "judge.harness-digest"
CANDIDATE_UID_LABEL = "judge.candidate-uid"
#: The modules that run inside the image: the candidate process and the runner that runs the checks.
SANDBOX_ENTRIES = ("judge.harness.candidate", "judge.harness.runner")
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
#: Installed in the image besides what the candidate side of the harness imports (spec: numpy, pytest).
SANDBOX_DISTRIBUTIONS = ("torch", "numpy", "pytest")
#: What debootstrap adds to the minimal base: Python 3.11 and venv (with the pip wheel ensurepip uses).
DEBOOTSTRAP_PACKAGES = ("python3", "python3-venv")

Log = Callable[[str], None]


class ImageBuildError(JudgeError):
    """The runner image could not be built; the message says which step failed."""


@dataclass(frozen=True)
class AptSource:
    """One Debian archive the host's apt uses."""

    uri: str
    suite: str
    keyring: str | None = None


@dataclass(frozen=True)
class BuildReport:
    """What `build_image` made."""

    image: str
    base: str
    offline: bool
    seconds: float
    size_bytes: int


def package_dir() -> Path:
    """The directory of the `judge` package."""
    return Path(judge.__file__).resolve().parent


def source_root() -> Path:
    """The judge's source tree (pyproject.toml, judge/, sandbox/Dockerfile); needed to build the image."""
    root = package_dir().parent
    if not (root / "pyproject.toml").is_file() or not (root / "sandbox" / "Dockerfile").is_file():
        raise ImageBuildError(
            f"building the image needs the judge's source tree; {root} has no pyproject.toml and sandbox/Dockerfile"
        )
    return root


def sandbox_modules() -> list[Path]:
    """Source files of every judge module the candidate process and the runner import (their import closure)."""
    base = package_dir()
    seen: set[str] = set()
    pending = list(SANDBOX_ENTRIES)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        # A module's package __init__ runs first, so it belongs to the closure too.
        parts = name.split(".")
        pending += [".".join(parts[:i]) for i in range(1, len(parts))]
        path = _module_path(base, name)
        if path is None:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                pending += [a.name for a in node.names if a.name.split(".")[0] == "judge"]
            elif (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.level == 0
                and node.module.split(".")[0] == "judge"
            ):
                pending.append(node.module)
                # `from judge.harness import wire` imports a submodule, if that is what `wire` is.
                pending += [
                    f"{node.module}.{a.name}" for a in node.names if _module_path(base, f"{node.module}.{a.name}")
                ]
    return sorted(p for p in (_module_path(base, n) for n in seen) if p is not None)


def _module_path(base: Path, name: str) -> Path | None:
    relative = Path(*name.split(".")[1:])
    for candidate in (base / relative / "__init__.py", (base / relative).with_suffix(".py")):
        if name != "judge" and candidate == base.with_suffix(".py"):
            continue
        if candidate.is_file():
            return candidate
    return None


def harness_digest() -> str:
    """A digest of the judge code that runs in the image (candidate and runner); images carry it as a label."""
    digest = hashlib.sha256()
    base = package_dir()
    for path in sandbox_modules():
        digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


# -- apt sources -------------------------------------------------------------------------------


def apt_sources(etc_apt: Path = Path("/etc/apt")) -> list[AptSource]:
    """The Debian archives in sources.list and sources.list.d/*.list and *.sources (deb822), in order."""
    files = [etc_apt / "sources.list"] if (etc_apt / "sources.list").is_file() else []
    directory = etc_apt / "sources.list.d"
    if directory.is_dir():
        # apt reads only these two suffixes; anything else there (e.g. *.disabled) is ignored by apt too.
        files += sorted(p for p in directory.iterdir() if p.suffix in (".list", ".sources") and p.is_file())
    sources: list[AptSource] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        sources += _deb822_sources(text) if path.suffix == ".sources" else _one_line_sources(text)
    return sources


def _one_line_sources(text: str) -> list[AptSource]:
    sources = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 3 or words[0] != "deb":
            continue
        keyring = None
        if words[1].startswith("["):
            # Options like [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] sit between "deb" and the URI.
            options = []
            while words and not words[1].endswith("]"):
                options.append(words.pop(1))
            options.append(words.pop(1))
            for option in " ".join(options).strip("[]").split():
                key, _, value = option.partition("=")
                if key == "signed-by":
                    keyring = value
        if len(words) >= 3:
            sources.append(AptSource(words[1], words[2], keyring))
    return sources


def _deb822_sources(text: str) -> list[AptSource]:
    sources = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        keyring = fields.get("signed-by") or None
        if keyring and not keyring.startswith("/"):
            keyring = None  # an inline key block: debootstrap cannot take it, its default keyring will do
        for uri in fields.get("uris", "").split():
            for suite in fields.get("suites", "").split():
                sources.append(AptSource(uri, suite, keyring))
    return sources


def debian_mirror(etc_apt: Path = Path("/etc/apt"), release: str | None = None) -> AptSource:
    """The archive to debootstrap from: the host release's main suite (not -updates, not security)."""
    release = release or _os_release().get("VERSION_CODENAME", "")
    for source in apt_sources(etc_apt):
        if source.suite == release and "security" not in source.uri:
            return source
    raise ImageBuildError(
        f"no apt source for the Debian release {release or '(unknown)'} in {etc_apt}/sources.list(.d)"
    )


def _os_release() -> dict[str, str]:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return {}
    return {k: v.strip().strip('"') for k, _, v in (line.partition("=") for line in text.splitlines()) if k}


# -- building ----------------------------------------------------------------------------------


def _run(argv: list[str], log: Log, what: str, env: dict[str, str] | None = None, **kwargs: Any) -> None:
    log(f"$ {' '.join(argv)}")
    start = time.monotonic()
    result = subprocess.run(argv, env=env, **kwargs)
    if result.returncode != 0:
        raise ImageBuildError(f"{what} failed (exit {result.returncode}): {' '.join(argv[:4])} ...")
    log(f"{what}: done in {time.monotonic() - start:.0f} s")


def build_offline_base(engine: Engine, tag: str, log: Log, etc_apt: Path = Path("/etc/apt")) -> None:
    """debootstrap a minimal Debian with python3 from the host's mirror and import it as the image `tag`."""
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("debootstrap is not installed (sandbox/setup-docker.sh installs it)")
    if os.geteuid() != 0:
        raise ImageBuildError("debootstrap needs root")
    source = debian_mirror(etc_apt)
    work = Path(tempfile.mkdtemp(prefix="judge-rootfs-", dir="/var/tmp"))
    rootfs = work / "rootfs"
    try:
        argv = ["debootstrap", "--variant=minbase", f"--include={','.join(DEBOOTSTRAP_PACKAGES)}", "--components=main"]
        if source.keyring:
            argv.append(f"--keyring={source.keyring}")
        _run([*argv, source.suite, str(rootfs), source.uri], log, "debootstrap")
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (rootfs / leftover).glob("*"):
                if path.is_file():
                    path.unlink()
        log(f"importing {rootfs} as {tag}")
        # Streamed from tar to the engine: the rootfs is never held whole in memory or on disk twice.
        tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        # Started with stdout=PIPE: it has the stream.
        assert tar.stdout is not None
        try:
            engine.import_image(tar.stdout, tag, changes=["ENV LANG=C.UTF-8", 'CMD ["/bin/bash"]'])
        except SandboxFault as exc:
            raise ImageBuildError(f"importing the debootstrapped rootfs failed: {exc}") from exc
        finally:
            tar.stdout.close()
            tar_failed = tar.wait() != 0
        if tar_failed:
            raise ImageBuildError(f"tar of the debootstrapped rootfs {rootfs} failed")
    finally:
        _unmount_below(rootfs)
        shutil.rmtree(work, ignore_errors=True)


def _unmount_below(root: Path) -> None:
    """Unmount anything a failed debootstrap left mounted in its target (/proc, /sys) before deleting it."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return
    targets = [line.split()[1] for line in mounts if len(line.split()) > 1]
    for target in sorted((t for t in targets if t.startswith(str(root) + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", target], capture_output=True)


def build_judge_wheel(root: Path, dest: Path, log: Log) -> Path:
    """Build the judge wheel (no dependencies) into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    # Build from a copy: building in the tree would leave build/ and *.egg-info behind.
    with tempfile.TemporaryDirectory(prefix="judge-src-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).is_file():
                shutil.copy2(root / name, src / name)
        shutil.copytree(root / "judge", src / "judge", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        # The build backend already installed will do (no index needed) when it is recent enough.
        isolation = ["--no-build-isolation"] if _setuptools_at_least(68) else []
        _run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "--wheel-dir", str(dest), str(src)],
            log,
            "building the judge wheel",
        )
    wheels = sorted(dest.glob("judge-*.whl"))
    if len(wheels) != 1:
        raise ImageBuildError(f"pip wheel made {len(wheels)} judge wheels")
    return wheels[0]


def _setuptools_at_least(major: int) -> bool:
    """Whether this interpreter has setuptools of at least that major version (the judge's build backend)."""
    try:
        return int(importlib.metadata.version("setuptools").split(".")[0]) >= major
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False


def third_party_imports() -> set[str]:
    """Top-level modules outside the judge and the standard library that the code in the image imports."""
    found: set[str] = set()
    for path in sandbox_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {name for name in found if name != "judge" and name not in sys.stdlib_module_names and name != "__future__"}


def _requirement_name(requirement: str) -> str:
    name = requirement
    for stop in "[<>=!~; (":
        name = name.split(stop, 1)[0]
    return name.strip().lower().replace("_", "-")


def requirements(wheel: Path, wanted: set[str] | None = None) -> list[str]:
    """The wheel's requirements (Requires-Dist without extras) for the distributions in `wanted`.

    The image needs only what the candidate side of the harness imports, plus numpy and pytest
    (SANDBOX_DISTRIBUTIONS), not the service's stack; a wanted name the wheel does not require is an
    error, so that a new import on the candidate side cannot be missed.
    """
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode("utf-8")
    lines = []
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist:"):
            requirement = line.partition(":")[2].strip()
            if "extra ==" not in requirement:
                lines.append(requirement)
    if wanted is None:
        return lines
    wanted = {w.lower().replace("_", "-") for w in wanted}
    chosen = [line for line in lines if _requirement_name(line) in wanted]
    missing = wanted - {_requirement_name(line) for line in chosen}
    if missing:
        raise ImageBuildError(
            f"the candidate side imports {sorted(missing)}, which the judge does not declare as dependencies"
        )
    return chosen


def sandbox_distributions() -> set[str]:
    """Distributions the runner image installs: numpy, pytest, and what the candidate side imports."""
    return set(SANDBOX_DISTRIBUTIONS) | third_party_imports()


def container_python(engine: Engine, base: str) -> str:
    """The base image's python3 version (e.g. 3.11.2): wheels and markers are chosen for it."""
    try:
        version = engine.run_output(
            base, ["python3", "-c", "import platform; print(platform.python_version())"]
        ).strip()
    except SandboxFault as exc:
        raise ImageBuildError(f"the base image {base} has no Python 3.11 ({exc})") from exc
    if not version.startswith("3.11"):
        raise ImageBuildError(f"the base image {base} has no Python 3.11 (got {version!r})")
    return version


def make_wheelhouse(
    wheel: Path, wheelhouse: Path, python_version: str | None, log: Log, wanted: list[str] | None = None
) -> str:
    """requirements.txt of what the image needs; offline (python_version given), every wheel beside it.

    `wanted`: the requirement lines (default: the runner image's, from the judge wheel). Returns a
    digest of the wheelhouse: the dependency stage of the image is the same when it is.
    """
    wheelhouse.mkdir(parents=True, exist_ok=True)
    lines = requirements(wheel, sandbox_distributions()) if wanted is None else wanted
    (wheelhouse / "requirements.txt").write_text("\n".join(lines) + "\n")
    if python_version is not None:
        # pip reads PIP_FIND_LINKS itself: torch==2.13.0 (CPU) comes from that local directory.
        # --python-version: environment markers (python_full_version < "3.11.3") follow the container's
        # Python, not the host's.
        pip = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--only-binary=:all:",
            "--python-version",
            python_version,
            "--dest",
            str(wheelhouse),
        ]
        _run([*pip, "--requirement", str(wheelhouse / "requirements.txt")], log, "downloading wheels")
        torch = sorted(wheelhouse.glob("torch-2.13.0*.whl"))
        if not torch or "+cpu" not in torch[0].name:
            raise ImageBuildError(
                f"the wheelhouse lacks the CPU wheel of torch 2.13.0 (found: {[p.name for p in torch]}); is PIP_FIND_LINKS set?"
            )
    digest = hashlib.sha256()
    for path in sorted(wheelhouse.iterdir()):
        digest.update(path.name.encode() + b"\0" + (path.read_bytes() if path.suffix == ".txt" else b"") + b"\0")
    return digest.hexdigest()[:16]


def build_image(settings: Settings, offline: bool, log: Log = print, rebuild_base: bool = False) -> BuildReport:
    """Build settings.sandbox.docker_image from sandbox/Dockerfile; offline: no image registry is needed.

    ImageBuildError says which step failed; SandboxUnavailable when no engine answers.
    """
    engine = Engine(settings, timeout_s=BUILD_TIMEOUT_S)
    root = source_root()
    start = time.monotonic()
    if offline:
        base = settings.images.docker_offline_base_image
        if rebuild_base or engine.image_labels(base) is None:
            log(f"making the base image {base} with debootstrap")
            build_offline_base(engine, base, log)
        else:
            log(f"using the existing base image {base} (--rebuild-base to remake it)")
        pip_args = "--no-index"
    else:
        base = settings.images.docker_base_image
        pip_args = f"--extra-index-url {TORCH_CPU_INDEX}"
    with tempfile.TemporaryDirectory(prefix="judge-image-", dir="/var/tmp") as tmp:
        context = Path(tmp)
        shutil.copy2(root / "sandbox" / "Dockerfile", context / "Dockerfile")
        wheel = build_judge_wheel(root, context / "judge-wheel", log)
        deps = make_wheelhouse(wheel, context / "wheelhouse", container_python(engine, base) if offline else None, log)
        buildargs = {
            "BASE_IMAGE": base,
            "PIP_INSTALL_ARGS": pip_args,
            "CHECKER_UID": str(CHECKER_UID),
            "CANDIDATE_UID": str(CANDIDATE_UID),
            "DEPS_DIGEST": deps,
        }
        labels = {
            DIGEST_LABEL: harness_digest(),
            CANDIDATE_UID_LABEL: str(CANDIDATE_UID),
            "judge.version": judge.__version__,
            "judge.offline": str(offline).lower(),
        }
        log(
            f"building {settings.sandbox.docker_image} from {context} (classic builder{', no network' if offline else ''})"
        )
        step = time.monotonic()
        try:
            engine.build(str(context), settings.sandbox.docker_image, buildargs, labels, offline, log)
        except SandboxFault as exc:
            raise ImageBuildError(f"docker build failed: {exc}") from exc
        log(f"docker build: done in {time.monotonic() - step:.0f} s")
    # Images this tag replaced, and dependency stages of other dependencies, would pile up on a CI
    # machine; the labels keep the prune away from anyone else's images. This build's dependency
    # stage stays: it is the cache that makes the next build (after a change to the judge's code
    # only) take seconds.
    try:
        engine.prune_images({"dangling": True, "label": DIGEST_LABEL})
        engine.prune_images({"dangling": True, "label": "judge.build-stage=venv", "label!": f"judge.deps={deps}"})
    except SandboxFault as exc:
        log(f"pruning superseded images failed (the new image is fine): {exc}")
    return BuildReport(
        settings.sandbox.docker_image,
        base,
        offline,
        time.monotonic() - start,
        engine.image_size(settings.sandbox.docker_image),
    )

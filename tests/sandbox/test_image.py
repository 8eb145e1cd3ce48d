"""The runner image build: apt sources, the harness digest, the wheelhouse's requirements, the Dockerfile."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from judge.sandbox import image
from tests.conftest import REPO

ONE_LINE = """\
# a comment
deb http://mirror.example/debian bookworm main contrib
deb-src http://mirror.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://other.example/debian bookworm-updates main
"""

DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def _etc(tmp_path: Path, files: dict[str, str]) -> Path:
    etc = tmp_path / "apt"
    (etc / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (etc / name).write_text(text)
    return etc


def test_one_line_sources(tmp_path):
    etc = _etc(tmp_path, {"sources.list": ONE_LINE})
    assert image.apt_sources(etc) == [
        image.AptSource("http://mirror.example/debian", "bookworm"),
        image.AptSource("http://other.example/debian", "bookworm-updates", "/usr/share/keyrings/x.gpg"),
    ]


def test_deb822_sources_and_ignored_files(tmp_path):
    etc = _etc(
        tmp_path,
        {
            "sources.list.d/debian.sources": DEB822,
            "sources.list.d/nodesource.sources.disabled-by-farm": "Types: deb\nURIs: https://deb.nodesource.com/x\nSuites: bookworm\n",
            "sources.list.d/off.sources": "Types: deb\nEnabled: no\nURIs: http://off.example\nSuites: bookworm\n",
        },
    )
    sources = image.apt_sources(etc)
    assert [s.uri for s in sources] == ["http://deb.debian.org/debian"] * 2 + ["http://deb.debian.org/debian-security"]
    assert sources[0].keyring == "/usr/share/keyrings/debian-archive-keyring.gpg"


def test_mirror_is_the_release_suite_not_updates_or_security(tmp_path):
    etc = _etc(tmp_path, {"sources.list.d/debian.sources": DEB822})
    mirror = image.debian_mirror(etc, release="bookworm")
    assert (mirror.uri, mirror.suite) == ("http://deb.debian.org/debian", "bookworm")
    with pytest.raises(image.ImageBuildError, match="trixie"):
        image.debian_mirror(etc, release="trixie")


def test_sandbox_closure_is_the_harness_that_runs_in_containers():
    names = {str(p.relative_to(image.package_dir())) for p in image.sandbox_modules()}
    assert {
        "__init__.py",
        "harness/__init__.py",
        "harness/candidate.py",
        "harness/isolation.py",
        "harness/wire.py",
    } <= names
    # The runner runs in a container of the image too (it imports a team's checks).
    assert {
        "harness/runner.py",
        "harness/session.py",
        "harness/plugin.py",
        "harness/broker.py",
        "harness/expect.py",
    } <= names
    # The host's side never runs in a container: a change there must not demand a rebuild.
    assert not names & {"grading.py", "cli.py", "sandbox/docker.py", "sandbox/pool.py", "app/factory.py"}


def test_digest_follows_the_candidate_code(monkeypatch, tmp_path):
    first = image.harness_digest()
    assert first == image.harness_digest() and len(first) == 16
    package = tmp_path / "judge"
    for path in image.sandbox_modules():
        target = package / path.relative_to(image.package_dir())
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    monkeypatch.setattr(image, "package_dir", lambda: package)
    assert image.harness_digest() == first
    (package / "harness" / "wire.py").write_text((package / "harness" / "wire.py").read_text() + "\n# changed\n")
    assert image.harness_digest() != first


def _wheel(tmp_path: Path) -> Path:
    wheel = tmp_path / "judge-0.1.0-py3-none-any.whl"
    metadata = (
        "Metadata-Version: 2.1\nName: judge\nRequires-Dist: torch==2.13.0\nRequires-Dist: numpy>=1.26\n"
        "Requires-Dist: pydantic<3,>=2.7\nRequires-Dist: celery[redis]<6,>=5.4\nRequires-Dist: pytest>=8.2\n"
        'Requires-Dist: pytest-timeout>=2.3; extra == "test"\n'
    )
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("judge-0.1.0.dist-info/METADATA", metadata)
    return wheel


def test_requirements_come_from_the_wheel_without_extras(tmp_path):
    wheel = _wheel(tmp_path)
    assert image.requirements(wheel) == [
        "torch==2.13.0",
        "numpy>=1.26",
        "pydantic<3,>=2.7",
        "celery[redis]<6,>=5.4",
        "pytest>=8.2",
    ]


def test_image_installs_only_what_the_sandbox_needs(tmp_path):
    assert {"torch", "pydantic"} <= image.third_party_imports()
    assert image.sandbox_distributions() >= {"torch", "numpy", "pytest", "pydantic"}
    chosen = image.requirements(_wheel(tmp_path), {"torch", "numpy", "pytest", "pydantic"})
    assert chosen == ["torch==2.13.0", "numpy>=1.26", "pydantic<3,>=2.7", "pytest>=8.2"]
    with pytest.raises(image.ImageBuildError, match="requests"):
        image.requirements(_wheel(tmp_path), {"torch", "requests"})


def test_dockerfile_follows_the_spec():
    text = (REPO / "sandbox" / "Dockerfile").read_text()
    assert "ARG BASE_IMAGE=python:3.11-slim" in text
    assert (
        "USER ${CANDIDATE_UID}" in text
        and "checker:x:${CHECKER_UID}" in text
        and "candidate:x:${CANDIDATE_UID}" in text
    )
    assert "--mount=" not in text and "# syntax=" not in text, (
        "BuildKit-only syntax: CI builds with the classic builder"
    )
    assert "VOLUME" not in text

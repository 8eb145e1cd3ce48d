"""Immutable versions of problem packages, kept by content hash so that an assessment grades the
package it was created with, whatever is uploaded later.

A version lives in data_dir/package-versions/<slug>/<hash>/<slug>/ (the inner directory is named by
the slug, as a package directory must be). It is written once, under a temporary name, and renamed
into place whole; nothing ever changes it afterwards. The store lies under data_dir, which candidate
code never sees (judge.limits.candidate_policy hides it like every bank directory).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from judge.errors import ProblemNotFound
from judge.problem import SLUG_PATTERN, Problem, load_problem
from judge.settings import Settings

#: Bytecode caches Python may write next to a package's files: never part of a version.
_CACHES = {"__pycache__"}
_HASH = re.compile(r"[0-9a-f]{64}")


def versions_dir(settings: Settings) -> Path:
    """The store of package versions: data_dir/package-versions."""
    return (settings.storage.data_dir / "package-versions").resolve()


def package_hash(directory: Path) -> str:
    """The sha256 of a package directory: every file's relative path and bytes, in sorted path order
    (bytecode caches left out)."""
    digest = hashlib.sha256()
    files = sorted(
        (path.relative_to(directory).as_posix(), path)
        for path in directory.rglob("*")
        if path.is_file() and not _CACHES.intersection(path.relative_to(directory).parts)
    )
    for rel, path in files:
        data = path.read_bytes()
        # Lengths delimit each field, so that no two different packages feed the same bytes.
        digest.update(f"{len(rel.encode())}:{rel}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


def version_dir(settings: Settings, slug: str, version: str) -> Path:
    """Where version `version` of problem `slug` lives (whether or not it is stored)."""
    if not re.fullmatch(SLUG_PATTERN, slug) or not _HASH.fullmatch(version):
        raise ProblemNotFound(f"no version {version!r} of problem {slug!r}")
    return versions_dir(settings) / slug / version / slug


def store(settings: Settings, package: Path) -> str:
    """Keep the package directory `package` (named by its slug) as an immutable version; its hash.

    Storing the same content again changes nothing. The copy is hashed, not the source, so that the
    version holds exactly what its name says even if the source changed during the copy."""
    slug = package.name
    parent = versions_dir(settings) / slug
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=parent))
    try:
        shutil.copytree(package, staging / slug, ignore=shutil.ignore_patterns(*_CACHES))
        version = package_hash(staging / slug)
        try:
            # One rename puts the whole version in place: a reader never sees it half-written.
            os.rename(staging, parent / version)
        except OSError:
            if not (parent / version / slug).is_dir():
                raise
            # Already stored (the same content, perhaps by a concurrent request): keep that one.
        return version
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def snapshot(settings: Settings, problem: Problem) -> str:
    """Keep the problem's package as it is now (a no-op when that version is stored); its hash."""
    version = package_hash(problem.root)
    if version_dir(settings, problem.slug, version).is_dir():
        return version
    return store(settings, problem.root)


def load_version(settings: Settings, slug: str, version: str) -> Problem:
    """Version `version` of problem `slug`; ProblemNotFound when it is not stored."""
    directory = version_dir(settings, slug, version)
    if not directory.is_dir():
        raise ProblemNotFound(f"version {version[:12]} of problem {slug!r} is not in the package store")
    return load_problem(directory)

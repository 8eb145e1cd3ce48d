"""Problem packages uploaded by teams: unpacked safely, validated like `judge problems validate`,
kept as an immutable version and linked into the settings-named directory of uploaded problems,
which the bank includes."""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import tempfile
import threading
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from judge.bank import versions
from judge.bank.loader import ProblemBank, find_packages
from judge.bank.validation import validate_problem
from judge.errors import ChecksFault, InvalidProblem, JudgeError
from judge.problem import SLUG_PATTERN, Problem, load_problem
from judge.sandbox.base import Sandbox
from judge.settings import Settings

_install_lock = threading.Lock()
_MARKUP = re.compile(r"\[/?[a-z ]*\]")


class PackageTooLarge(InvalidProblem):
    """A package over the size or file-count caps."""


class ProblemConflict(JudgeError):
    """An upload would replace a problem its caller does not own (built in, public, or another team's)."""


@dataclass(frozen=True)
class Accepted:
    """A package that passed validation and is now in the bank, as version `package_hash`."""

    problem: Problem
    replaced: bool
    report: list[str]
    package_hash: str = ""


def uploads_dir(settings: Settings) -> Path:
    """The directory of uploaded problems: settings.problems.uploaded_dir, or data_dir/problems."""
    return (settings.problems.uploaded_dir or settings.storage.data_dir / "problems").resolve()


def with_uploads(settings: Settings) -> Settings:
    """The settings the service grades with: the configured bank plus the uploaded problems, last
    (a built-in problem wins a slug clash)."""
    uploads = uploads_dir(settings)
    uploads.mkdir(parents=True, exist_ok=True)
    dirs = [Path(d).resolve() for d in settings.problems.dirs]
    # Teams' private bank directories are graded like the rest (judge.bank.ownership decides who sees them).
    private = [Path(d).resolve() for team_dirs in settings.problems.team_dirs.values() for d in team_dirs]
    extra = [d for d in [uploads, *private] if d not in dirs]
    if not extra:
        return settings
    return settings.model_copy(update={"problems": settings.problems.model_copy(update={"dirs": [*dirs, *extra]})})


def _member_path(name: str) -> PurePosixPath:
    """A member's relative path; InvalidProblem for absolute paths, `..` and other tricks."""
    if "\\" in name or "\x00" in name:
        raise InvalidProblem(f"package member {name!r}: backslashes and NUL are not allowed in names")
    path = PurePosixPath(name)
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name):
        raise InvalidProblem(f"package member {name!r} has an absolute path")
    if any(part == ".." for part in path.parts):
        raise InvalidProblem(f"package member {name!r} leaves the package (..)")
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts:
        raise InvalidProblem(f"package member {name!r} has an empty path")
    return PurePosixPath(*parts)


class _Writer:
    """Writes members under `dest`, counting entries (files and directories) and bytes against the caps."""

    def __init__(self, dest: Path, settings: Settings) -> None:
        self.dest = dest
        self.max_entries = settings.uploads.max_package_files
        self.max_bytes = settings.uploads.max_package_unpacked_bytes
        self.entries = 0
        self.bytes = 0

    def _count(self) -> None:
        self.entries += 1
        if self.entries > self.max_entries:
            raise PackageTooLarge(f"the package has more than {self.max_entries} files and directories")

    def directory(self, rel: PurePosixPath) -> None:
        """Make one member directory, and any missing parent, each counted as an entry."""
        # Parents a member only implies are counted too: thousands of empty directories cost as much as files.
        for part in [*reversed(rel.parents[:-1]), rel]:
            target = self.dest / part
            if not target.is_dir():
                self._count()
                target.mkdir()

    def file(self, rel: PurePosixPath, stream: IO[bytes]) -> None:
        """Write one member file from `stream`, within the caps."""
        self._count()
        if rel.parent != PurePosixPath("."):
            self.directory(rel.parent)
        target = self.dest / rel
        # O_EXCL|O_NOFOLLOW: a duplicate member cannot overwrite a file or write through a link.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as out:
            # Count what is actually written: the sizes in archive headers can lie.
            while chunk := stream.read(65536):
                self.bytes += len(chunk)
                if self.bytes > self.max_bytes:
                    raise PackageTooLarge(f"the package unpacks to more than {self.max_bytes} bytes")
                out.write(chunk)


def extract_package(data: bytes, dest: Path, settings: Settings) -> None:
    """Unpack a zip or tar (optionally compressed) archive into the empty directory `dest`.

    Rejects links, devices, absolute paths and `..` (InvalidProblem), and archives over the size or
    file-count caps (PackageTooLarge).
    """
    if len(data) > settings.uploads.max_package_bytes:
        raise PackageTooLarge(f"the package is {len(data)} bytes; the limit is {settings.uploads.max_package_bytes}")
    writer = _Writer(dest, settings)
    if zipfile.is_zipfile(io.BytesIO(data)):
        _extract_zip(data, writer)
        return
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except tarfile.TarError as exc:
        raise InvalidProblem("the package is neither a zip nor a tar archive") from exc
    with archive:
        try:
            for member in archive:
                rel = _member_path(member.name)
                if member.isdir():
                    writer.directory(rel)
                elif member.isfile():
                    stream = archive.extractfile(member)
                    # A regular file member always has its bytes to read.
                    assert stream is not None
                    writer.file(rel, stream)
                else:
                    raise InvalidProblem(
                        f"package member {member.name!r} is not a regular file or directory (links are not allowed)"
                    )
        except tarfile.TarError as exc:
            raise InvalidProblem(f"the tar archive is corrupt: {exc}") from exc


def _extract_zip(data: bytes, writer: _Writer) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                rel = _member_path(info.filename)
                mode = info.external_attr >> 16
                # Unix file type bits in the external attributes: 0o120000 is a symbolic link.
                if mode and (mode & 0o170000) not in (0, 0o100000, 0o040000):
                    raise InvalidProblem(
                        f"package member {info.filename!r} is not a regular file or directory (links are not allowed)"
                    )
                if info.is_dir():
                    writer.directory(rel)
                else:
                    with archive.open(info) as stream:
                        writer.file(rel, stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise InvalidProblem(f"the zip archive is corrupt: {exc}") from exc


def _package_root(unpacked: Path) -> Path:
    """The directory holding problem.toml: the archive's top level or its single top-level directory."""
    if (unpacked / "problem.toml").is_file():
        return unpacked
    children = [p for p in unpacked.iterdir()]
    if len(children) == 1 and children[0].is_dir() and (children[0] / "problem.toml").is_file():
        return children[0]
    raise InvalidProblem("the package has no problem.toml at its top level or in its single top-level directory")


def _declared_slug(root: Path) -> str:
    try:
        slug = tomllib.loads((root / "problem.toml").read_text(encoding="utf-8")).get("slug")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidProblem(f"problem.toml: {exc}") from exc
    if not isinstance(slug, str) or not re.fullmatch(SLUG_PATTERN, slug):
        raise InvalidProblem("problem.toml: slug must be lowercase letters, digits and dashes (2-63 characters)")
    return slug


def _staging_dir(settings: Settings, prefix: str) -> Path:
    """A fresh scratch directory beside the uploads directory, hidden from candidate code like it."""
    uploads = uploads_dir(settings)
    staging_parent = uploads.with_name(uploads.name + ".staging")
    staging_parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=staging_parent))


def _unpack(data: bytes, settings: Settings, staging: Path) -> tuple[Path, str]:
    """Unpack the archive under `staging`; the package's root and its slug, refusing a built-in slug."""
    unpacked = staging / "unpacked"
    unpacked.mkdir()
    extract_package(data, unpacked, settings)
    root = _package_root(unpacked)
    slug = _declared_slug(root)
    uploads = uploads_dir(settings)
    builtin = find_packages([d for d in settings.problems.dirs if Path(d).resolve() != uploads])
    if slug in builtin:
        raise ProblemConflict(f"problem {slug!r} is built in; an upload cannot replace it")
    return root, slug


def _load_named(root: Path, staging: Path, slug: str) -> tuple[Path, Problem]:
    """Move the package to a directory named by its slug (load_problem wants that) and load it."""
    named = staging / "pkg" / slug
    named.parent.mkdir()
    root.rename(named)
    try:
        return named, load_problem(named)
    except InvalidProblem as exc:
        # Name files relative to the package, not by the server's staging path.
        raise InvalidProblem(str(exc).replace(f"{named.parent}/", "")) from None


def precheck(data: bytes, settings: Settings, refuse: Callable[[str], None] | None = None) -> str:
    """What can be refused about a package without grading it, at once: unpack it safely in a
    scratch directory, find problem.toml and its slug, refuse a built-in slug (ProblemConflict) or
    one `refuse` refuses (it claims nothing), and load the package; the slug. accept_package checks all of it again (a
    built-in problem or another team's may have appeared meanwhile) before validating."""
    staging = _staging_dir(settings, "precheck-")
    try:
        root, slug = _unpack(data, settings, staging)
        if refuse is not None:
            refuse(slug)
        _load_named(root, staging, slug)
        return slug
    finally:
        shutil.rmtree(staging, ignore_errors=True)


#: What `accept_package` calls with the slug before validating: refuse it (ProblemConflict), or
#: claim it and return how to give the claim up should the package be refused (None: nothing to give up).
Claim = Callable[[str], Callable[[], None] | None]


def accept_package(data: bytes, bank: ProblemBank, sandbox: Sandbox, claim: Claim | None = None) -> Accepted:
    """Unpack, validate (reference full marks, starter 0, every mutant caught, runs identical) and
    install one problem package as a new version into `bank` (its settings are the service's, with_uploads). An
    upload may replace an earlier upload of the same slug, never a built-in problem (ProblemConflict);
    `claim`, given the slug before the (slow) validation, may refuse it too (another owner's problem),
    and is undone when the package is refused.

    The package is kept in the version store (judge.bank.versions) and the slug's entry in
    the uploads directory is switched to it in one atomic step; earlier versions stay as they were,
    for the assessments created with them."""
    settings = bank.settings
    uploads = uploads_dir(settings)
    staging = _staging_dir(settings, "upload-")
    release = None
    try:
        root, slug = _unpack(data, settings, staging)
        if claim is not None:
            release = claim(slug)
        candidate_root, problem = _load_named(root, staging, slug)
        # The staging area is hidden from candidate code like every bank directory.
        try:
            report = validate_problem(problem, settings, sandbox, [*bank.hidden_paths(), staging.parent])
        except ChecksFault as exc:
            # The package's own checks broke the runner (or never collected): the package is refused for it.
            raise InvalidProblem(
                f"problem {slug!r} failed validation: its checks failed the runner: {str(exc)[:1000]}"
            ) from None
        lines = [_MARKUP.sub("", line).strip() for line in report.lines]
        if not report.ok:
            failures = "; ".join(line.removeprefix("FAIL").strip() for line in lines if line.startswith("FAIL"))
            raise InvalidProblem(f"problem {slug!r} failed validation: {failures}")
        version = versions.store(settings, candidate_root)
        replaced = _install(versions.version_dir(settings, slug, version), uploads / slug, staging)
        release = None
        return Accepted(problem=load_problem(uploads / slug), replaced=replaced, report=lines, package_hash=version)
    finally:
        if release is not None:
            release()
        shutil.rmtree(staging, ignore_errors=True)


def _install(version: Path, target: Path, staging: Path) -> bool:
    """Point the uploads directory's entry `target` at the stored `version`, in one atomic rename:
    a reader finds the previous version or the new one, never none or half of one."""
    with _install_lock:
        replaced = target.exists() or target.is_symlink()
        link = staging / "link"
        os.symlink(os.path.relpath(version, target.parent), link)
        if target.is_dir() and not target.is_symlink():
            # An upload installed before versions were kept is a plain directory, which no rename
            # can replace: it is moved aside first (once per slug).
            target.rename(staging / "previous")
        os.replace(link, target)
        return replaced

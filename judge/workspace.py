"""The per-submission workspace: a trusted directory for the checks and a directory for the candidate.

<root>/            0711, owned by the judge
  trusted/         0700: checks (hidden and public), probes.py, pytest.ini, config.json
  candidate/       0755: the submission's files (the entrypoint, and any others the problem declares), readable but not writable by the run's uid;
                   tmp/ for scratch when no run uid isolates the candidate (a private tmpfs does then)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from judge import bundle
from judge.problem import Problem

PYTEST_INI = "[pytest]\naddopts =\n"


@dataclass(frozen=True)
class Workspace:
    """Paths of one submission's workspace."""

    root: Path
    trusted_dir: Path
    candidate_dir: Path
    checks_dir: Path
    ini_path: Path
    probes_path: Path
    config_path: Path

    def remove(self) -> None:
        """Delete the workspace without following any link the candidate planted."""
        assert shutil.rmtree.avoids_symlink_attacks
        shutil.rmtree(self.root, ignore_errors=True)


def prepare_workspace(
    problem: Problem, source: bytes, candidate_uid: int | None, parent: Path | None = None, *, public_only: bool = False
) -> Workspace:
    """Lay out a fresh workspace for one submission of `problem` (candidate_uid: the run uid, if any;
    public_only: a Run's, without the hidden checks)."""
    workspace = create_workspace(candidate_uid, parent)
    fill_workspace(workspace, problem, source, public_only=public_only)
    return workspace


def create_workspace(candidate_uid: int | None, parent: Path | None = None) -> Workspace:
    """The empty directories of a workspace; a warm sandbox mounts them before its submission exists."""
    root = Path(tempfile.mkdtemp(prefix="judge-", dir=parent))
    os.chmod(root, 0o711)
    trusted = root / "trusted"
    candidate = root / "candidate"
    trusted.mkdir(mode=0o700)
    (trusted / "checks").mkdir(mode=0o700)
    candidate.mkdir(mode=0o755)
    os.chmod(candidate, 0o755)
    if candidate_uid is None:
        (candidate / "tmp").mkdir(mode=0o700)
    return Workspace(
        root=root,
        trusted_dir=trusted,
        candidate_dir=candidate,
        checks_dir=trusted / "checks",
        ini_path=trusted / "pytest.ini",
        probes_path=trusted / "probes.py",
        config_path=trusted / "config.json",
    )


def fill_workspace(workspace: Workspace, problem: Problem, source: bytes, *, public_only: bool = False) -> None:
    """Copy in the problem's checks (with `public_only`, a Run's, the public ones alone) and probes and
    write the submission (never through a planted link)."""
    folders = (problem.public_checks_dir,) if public_only else (problem.hidden_checks_dir, problem.public_checks_dir)
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.py")):
                shutil.copyfile(path, workspace.checks_dir / path.name)
    shutil.copyfile(problem.probes_path, workspace.probes_path)
    workspace.ini_path.write_text(PYTEST_INI)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    names = problem.file_names
    files = {names[0]: source} if len(names) == 1 else _split(source, names)
    for name, data in files.items():
        fd = os.open(workspace.candidate_dir / name, flags, 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(data)


def _split(source: bytes, names: list[str]) -> dict[str, bytes]:
    """Each file of a multi-file submission (a bundle, checked when it was taken in)."""
    return {name: text.encode("utf-8") for name, text in bundle.unpack(source.decode("utf-8"), names).items()}

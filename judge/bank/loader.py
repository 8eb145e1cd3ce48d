"""The problem bank: every problem package under the configured directories, found by slug."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from judge.bank import versions
from judge.errors import ProblemNotFound
from judge.problem import Problem, load_problem
from judge.settings import Settings


def find_packages(roots: Sequence[Path]) -> dict[str, Path]:
    """Slug -> package directory, for every directory holding a problem.toml under `roots`; the first
    root wins on a slug clash."""
    found: dict[str, Path] = {}
    for root in (Path(r).resolve() for r in roots):
        if not root.is_dir():
            continue
        for toml in sorted(root.glob("*/problem.toml")):
            found.setdefault(toml.parent.name, toml.parent)
    return found


class ProblemBank:
    """The problem packages under settings.problems.dirs, and the stored versions under the data dir.

    Built once per process (the service, a worker, a CLI command) and passed down. It caches
    nothing: every call reads the directories again, so a package uploaded while the process runs
    is found at once, and a replaced one is never served stale."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.roots = [Path(root).resolve() for root in settings.problems.dirs]

    def directories(self) -> dict[str, Path]:
        """Slug -> package directory, for every directory holding a problem.toml."""
        return find_packages(self.roots)

    def problems(self) -> list[Problem]:
        """Every valid problem, sorted by slug; an invalid package raises InvalidProblem."""
        return [load_problem(path) for path in self.directories().values()]

    def get(self, ref: str) -> Problem:
        """A problem by slug, or by the path of its directory."""
        path = Path(ref)
        if ("/" in ref or ref.startswith(".")) and path.is_dir():
            return load_problem(path)
        directory = self.directories().get(ref)
        if directory is None:
            if path.is_dir() and (path / "problem.toml").is_file():
                return load_problem(path)
            known = ", ".join(sorted(self.directories())) or "none"
            raise ProblemNotFound(f"no problem {ref!r} (known: {known})")
        return load_problem(directory)

    def load(self, slug: str, package_hash: str | None = None) -> Problem:
        """Problem `slug` as a submission grades it: its stored version `package_hash` when given (an
        assessment's; ProblemNotFound when it is not stored), else the bank's current package."""
        if package_hash:
            return versions.load_version(self.settings, slug, package_hash)
        return self.get(slug)

    def hidden_paths(self) -> list[Path]:
        """Directories candidate code must not see."""
        return [root for root in self.roots if root.is_dir()]

"""The problem bank: every problem package under the configured directories, found by slug."""

from __future__ import annotations

from pathlib import Path

from judge.errors import ProblemNotFound
from judge.problem import Problem, load_problem


class ProblemBank:
    """Problem packages under a list of directories; the first directory wins on a slug clash."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = [root.resolve() for root in roots]

    def directories(self) -> dict[str, Path]:
        """Slug -> package directory, for every directory holding a problem.toml."""
        found: dict[str, Path] = {}
        for root in self.roots:
            if not root.is_dir():
                continue
            for toml in sorted(root.glob("*/problem.toml")):
                found.setdefault(toml.parent.name, toml.parent)
        return found

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

    def hidden_paths(self) -> list[Path]:
        """Directories candidate code must not see."""
        return [root for root in self.roots if root.is_dir()]

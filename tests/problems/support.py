"""Helpers shared by the tests of the bank's code problems: where their alternative solutions live, which
problems must have some, and how to import a problem's hidden checks to reuse its inputs and references."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from judge.problem import Kind, load_problem
from tests.conftest import PROBLEMS

ALTERNATIVES = Path(__file__).parent / "alternatives"


def code_problems() -> list[str]:
    """Slugs of the bank's code problems (every problem that is not a quiz), sorted."""
    problems = (load_problem(toml.parent) for toml in sorted(PROBLEMS.glob("*/problem.toml")))
    return [problem.slug for problem in problems if problem.spec.kind is not Kind.QUIZ]


def alternatives(slug: str) -> list[Path]:
    """A code problem's alternative correct solutions: tests/problems/alternatives/<slug, with _>/alt_*.py."""
    return sorted((ALTERNATIVES / slug.replace("-", "_")).glob("alt_*.py"))


def load_checks(slug: str, filename: str) -> ModuleType:
    """The problem's hidden checks module checks/<filename>, imported outside the sandbox so a test can reuse
    its inputs and reference functions."""
    path = PROBLEMS / slug / "checks" / filename
    spec = importlib.util.spec_from_file_location(f"{slug.replace('-', '_')}_checks", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

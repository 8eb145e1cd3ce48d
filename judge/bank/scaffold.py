"""`judge problems new`: a new problem package from the templates in judge/bank/templates/.

Every part a problem needs is written (for a code problem: problem.toml, statement.md, starter.py,
solution.py, probes.py, a hidden check, a public check and one example mutant; for a quiz: quiz.toml,
starter.json, solution.json and a mutant), around one small example interface. What the author must
write is marked `TODO(author)` (judge.bank.validation.TODO_MARKER): validation fails on each marked line,
naming it, and passes once they are all filled in.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from judge.errors import InvalidProblem
from judge.problem import SLUG_PATTERN, Kind

TEMPLATES = Path(__file__).parent / "templates"


def target_name(template: Path, slug: str) -> str:
    """The package-relative path a template is written to: `.tmpl` dropped, the check modules named
    after the slug (pytest imports every check module by its file name, so names must differ per problem)."""
    module = slug.replace("-", "_")
    name = template.as_posix().removesuffix(".tmpl")
    return {
        "checks/test_checks.py": f"checks/test_{module}.py",
        "public/test_public.py": f"public/test_{module}_public.py",
    }.get(name, name)


def scaffold(slug: str, kind: Kind, parent: Path) -> Path:
    """Write a new package `parent/slug` of `kind` and return its directory; InvalidProblem for a slug
    that is not a valid one, or a directory that already exists."""
    if not re.fullmatch(SLUG_PATTERN, slug):
        raise InvalidProblem(
            f"{slug!r} is not a valid slug: 2-63 lower-case letters, digits and hyphens, starting with a letter or digit"
        )
    root = parent / slug
    if root.exists():
        raise InvalidProblem(f"{root} already exists; choose another slug")
    source = TEMPLATES / kind.value
    templates = sorted(path for path in source.rglob("*.tmpl") if path.is_file())
    root.mkdir(parents=True)
    for template in templates:
        path = root / target_name(template.relative_to(source), slug)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template.read_text(encoding="utf-8")).safe_substitute(slug=slug), encoding="utf-8")
    return root

"""Problem packages: the `problem.toml` schema and loading a package directory from disk.

A package is one directory:
    problem.toml   metadata, limits and the list of checks (this module's models)
    statement.md   what the candidate reads (parts only for the web or only for CLI/API users
                   between audience markers: judge.statement)
    starter.py     the stub the candidate starts from (starter.json for quizzes); with several
                   `files`, starter.py, solution.py and the mutants are bundles (judge.bundle)
    solution.py    the reference (solution.json for quizzes)
    probes.py      functions the checks run inside the candidate's process (code problems)
    checks/        hidden pytest checks, run only in the trusted process
    public/        optional public checks a candidate may see and run
    mutants/       known-bad variants the checks must catch
    quiz.toml      questions, hidden key and points (quiz problems)
"""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from judge import bundle
from judge.errors import InvalidProblem, InvalidSubmission
from judge.quiz import Quiz, load_quiz
from judge.statement import Audience, check_markers, for_audience

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
CHECK_ID_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"


class Kind(StrEnum):
    """Whether candidates submit code or quiz answers."""

    CODE = "code"
    QUIZ = "quiz"


class Visibility(StrEnum):
    """Whether a candidate may see a check's source."""

    PUBLIC = "public"
    HIDDEN = "hidden"


class Limits(BaseModel):
    """Per-problem resource limits; the server clamps them to its own maxima."""

    model_config = {"extra": "forbid"}

    check_timeout_s: float = Field(default=30.0, gt=0, le=600)
    run_timeout_s: float = Field(default=120.0, gt=0, le=3600)
    memory_mb: int = Field(default=2048, ge=256, le=65536)

    def clamped(self, *, max_check_timeout_s: float, max_wall_timeout_s: float, max_memory_mb: int) -> Limits:
        """These limits, each cut to the server-wide maximum."""
        return Limits(
            check_timeout_s=min(self.check_timeout_s, max_check_timeout_s),
            run_timeout_s=min(self.run_timeout_s, max_wall_timeout_s),
            memory_mb=min(self.memory_mb, max_memory_mb),
        )


class CheckSpec(BaseModel):
    """One graded check: a pytest function `test_<id>` in checks/ (hidden) or public/ (public)."""

    model_config = {"extra": "forbid"}

    id: str = Field(pattern=CHECK_ID_PATTERN)
    category: str = Field(pattern=r"^[a-z][a-z_]{0,31}$", description="shape, loss, validity, formula, ...")
    points: float = Field(gt=0)
    visibility: Visibility = Visibility.HIDDEN
    title: str = Field(default="", max_length=200)


class ProblemSpec(BaseModel):
    """The contents of `problem.toml`."""

    model_config = {"extra": "forbid"}

    slug: str = Field(pattern=SLUG_PATTERN)
    title: str = Field(min_length=1, max_length=200)
    difficulty: Literal["easy", "medium", "hard"]
    tags: list[str] = Field(default_factory=list)
    kind: Kind
    entrypoint: str = Field(description="The file name the submission is saved under.")
    files: list[str] = Field(
        default_factory=list,
        description="Further files of a code submission (e.g. train.py), written beside the entrypoint and importable from it.",
    )
    limits: Limits = Field(default_factory=Limits)
    checks: list[CheckSpec] = Field(default_factory=list)

    @field_validator("entrypoint")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.(py|json)", value):
            raise ValueError("entrypoint must be a plain file name such as solution.py or answers.json")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ProblemSpec:
        ids = [c.id for c in self.checks]
        if len(ids) != len(set(ids)):
            raise ValueError("check ids must be unique")
        if self.kind is Kind.CODE and not self.checks:
            raise ValueError("a code problem needs at least one check")
        if self.kind is Kind.CODE and not self.entrypoint.endswith(".py"):
            raise ValueError("a code problem's entrypoint must be a .py file")
        if self.kind is Kind.QUIZ and not self.entrypoint.endswith(".json"):
            raise ValueError("a quiz problem's entrypoint must be a .json file")
        if self.files and self.kind is not Kind.CODE:
            raise ValueError("only a code problem may declare files")
        for name in self.files:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.py", name):
                raise ValueError(f"files: {name!r} must be a plain Python file name such as train.py")
        if len(set(self.files) | {self.entrypoint}) != len(self.files) + 1:
            raise ValueError("files must be unique and differ from the entrypoint")
        if self.kind is Kind.QUIZ and self.checks:
            raise ValueError("a quiz problem lists its questions in quiz.toml, not checks")
        return self


class Problem:
    """A loaded problem package: its spec plus the paths of its parts."""

    def __init__(self, spec: ProblemSpec, root: Path, quiz: Quiz | None = None) -> None:
        self.spec = spec
        self.root = root
        self.quiz = quiz

    @property
    def slug(self) -> str:
        """The problem's unique short name."""
        return self.spec.slug

    @property
    def file_names(self) -> list[str]:
        """The files a submission holds: the entrypoint the checks import, then the declared others."""
        return [self.spec.entrypoint, *self.spec.files]

    @property
    def statement_path(self) -> Path:
        """The Markdown statement."""
        return self.root / "statement.md"

    @property
    def starter_path(self) -> Path:
        """The stub a candidate starts from."""
        return self.root / ("starter.json" if self.spec.kind is Kind.QUIZ else "starter.py")

    @property
    def solution_path(self) -> Path:
        """The reference solution (never shown to candidates)."""
        return self.root / ("solution.json" if self.spec.kind is Kind.QUIZ else "solution.py")

    @property
    def probes_path(self) -> Path:
        """Functions the checks run inside the candidate's process."""
        return self.root / "probes.py"

    @property
    def hidden_checks_dir(self) -> Path:
        """Hidden pytest checks."""
        return self.root / "checks"

    @property
    def public_checks_dir(self) -> Path:
        """Public pytest checks a candidate may see."""
        return self.root / "public"

    @cached_property
    def mutants(self) -> list[Path]:
        """Known-bad variants of the solution, sorted by name."""
        suffix = ".json" if self.spec.kind is Kind.QUIZ else ".py"
        mutants_dir = self.root / "mutants"
        return sorted(p for p in mutants_dir.glob(f"*{suffix}") if p.is_file()) if mutants_dir.is_dir() else []

    @cached_property
    def check_specs(self) -> list[CheckSpec]:
        """The graded checks, fixed before any candidate code runs."""
        if self.quiz is not None:
            return [
                CheckSpec(id=q.id, category="quiz", points=q.points, visibility=Visibility.HIDDEN, title=q.prompt[:200])
                for q in self.quiz.questions
            ]
        return list(self.spec.checks)

    @property
    def max_score(self) -> float:
        """The sum of all checks' points."""
        return float(sum(c.points for c in self.check_specs))

    def statement(self, audience: Audience = Audience.CLI) -> str:
        """The statement's Markdown text as `audience` reads it (the CLI and the JSON API by default)."""
        return for_audience(self.statement_path.read_text(encoding="utf-8"), audience)

    def starter(self) -> str:
        """The starter's text."""
        return self.starter_path.read_text(encoding="utf-8")


REQUIRED_FILES = {
    Kind.CODE: ("statement.md", "starter.py", "solution.py", "probes.py"),
    Kind.QUIZ: ("statement.md", "starter.json", "solution.json", "quiz.toml"),
}


def load_problem(root: Path) -> Problem:
    """Load and validate the structure of one problem package directory."""
    root = root.resolve()
    toml_path = root / "problem.toml"
    if not toml_path.is_file():
        raise InvalidProblem(f"{root}: no problem.toml")
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        spec = ProblemSpec.model_validate(raw)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidProblem(f"{toml_path}: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "problem.toml"
        raise InvalidProblem(f"{toml_path}: {where}: {first['msg']}") from exc
    if spec.slug != root.name:
        raise InvalidProblem(f"{toml_path}: slug {spec.slug!r} must equal the directory name {root.name!r}")
    for name in REQUIRED_FILES[spec.kind]:
        if not (root / name).is_file():
            raise InvalidProblem(f"{root}: missing {name}")
    for link in root.rglob("*"):
        if link.is_symlink():
            raise InvalidProblem(f"{root}: {link.relative_to(root)} is a symbolic link; packages hold plain files")
    try:
        check_markers((root / "statement.md").read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidProblem(f"{root}: statement.md is not UTF-8: {exc}") from exc
    except InvalidProblem as exc:
        raise InvalidProblem(f"{root.name}: {exc}") from exc
    quiz = load_quiz(root / "quiz.toml") if spec.kind is Kind.QUIZ else None
    problem = Problem(spec, root, quiz)
    if spec.kind is Kind.CODE:
        _check_files_match_visibility(spec, root)
        if spec.files:
            _check_bundles(problem)
    return problem


def _check_bundles(problem: Problem) -> None:
    """A problem with several files keeps its starter, reference and mutants as bundles of exactly those files."""
    for path in [problem.starter_path, problem.solution_path, *problem.mutants]:
        try:
            bundle.unpack(path.read_text(encoding="utf-8"), problem.file_names)
        except InvalidSubmission as exc:
            raise InvalidProblem(f"{problem.slug}: {path.relative_to(problem.root)}: {exc}") from None


def _check_files_match_visibility(spec: ProblemSpec, root: Path) -> None:
    """Each check's test function lives in the directory its visibility names, exactly once."""
    found: dict[str, list[Visibility]] = {}
    for visibility, folder in ((Visibility.HIDDEN, "checks"), (Visibility.PUBLIC, "public")):
        for path in sorted((root / folder).glob("test_*.py")) if (root / folder).is_dir() else []:
            for name in re.findall(r"^def test_([a-z0-9_]+)\(", path.read_text(encoding="utf-8"), re.M):
                found.setdefault(name, []).append(visibility)
    declared = {c.id: c.visibility for c in spec.checks}
    for check_id, visibility in declared.items():
        places = found.get(check_id, [])
        if places != [visibility]:
            where = "checks/" if visibility is Visibility.HIDDEN else "public/"
            raise InvalidProblem(f"{root.name}: check {check_id!r} must be defined once, as test_{check_id} in {where}")
    extra = sorted(set(found) - set(declared))
    if extra:
        raise InvalidProblem(f"{root.name}: test functions not declared in problem.toml: {', '.join(extra)}")

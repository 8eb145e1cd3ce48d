"""Gradescope autograders: a bank problem exported as a zip that grades with the judge's own harness.

Gradescope unpacks the zip at /autograder/source and runs its `setup.sh` once, as root, when it builds
the autograder's image; then `run_autograder` once per submission, with the student's files in
/autograder/submission, and reads /autograder/results/results.json
(https://gradescope-autograders.readthedocs.io/en/latest/specs/). The zip holds:

    setup.sh            makes a venv with the pinned requirements and the judge wheel
    run_autograder      runs `python -m judge.bank.gradescope /autograder`
    requirements.txt    exact pins of what grading imports (torch 2.13.0 CPU, numpy, pydantic, pytest, ...)
    judge-*.whl         the judge package, built at export time
    autograder.json     this export's settings (AutograderConfig)
    problem/SLUG/       the package without its reference solution and mutants

Each check is one Gradescope test; a submission that is missing, does not compile, crashes or times out
still gets a results.json (score 0, the reason in its output), and so does a fault of the judge.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import tempfile
import time
import tomllib
import traceback
import zipfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Literal

from packaging.requirements import Requirement
from pydantic import BaseModel, Field

from judge import bundle
from judge.errors import InvalidSubmission, JudgeError
from judge.grading import decode_source, grade_checks
from judge.harness import isolation
from judge.problem import CheckSpec, Kind, Problem, ProblemSpec, Visibility
from judge.quiz import load_quiz
from judge.result import GradeResult, Outcome
from judge.sandbox.doctor import smoke_test
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings

#: What the grading process imports besides the sandbox's own distributions (judge.settings, the models).
GRADING_DISTRIBUTIONS = ("pydantic", "pydantic-settings")
#: The package files a grade reads; the reference solution and the mutants stay behind.
PACKAGE_FILES = ("problem.toml", "statement.md", "starter.py", "starter.json", "probes.py", "quiz.toml")
PACKAGE_FOLDERS = ("checks", "public")
CONFIG_NAME = "autograder.json"
#: What a student reads when the judge itself fails; the details go to the instructor's stdout.
JUDGE_FAULT = "The autograder failed while grading this submission (not a fault of your code); please resubmit or tell your instructor."
#: The unprivileged account the grade drops to where the container allows no namespaces (see grade_as_unprivileged).
NOBODY_UID = 65534


class ResultVisibility(StrEnum):
    """When Gradescope shows a test (or the whole result) to the student."""

    VISIBLE = "visible"
    HIDDEN = "hidden"
    AFTER_DUE_DATE = "after_due_date"
    AFTER_PUBLISHED = "after_published"


class AutograderConfig(BaseModel):
    """What `export` decided, read by `run_autograder` from autograder.json."""

    model_config = {"extra": "forbid"}

    slug: str
    hidden_visibility: ResultVisibility = ResultVisibility.AFTER_PUBLISHED
    judge_version: str


class GradescopeTest(BaseModel):
    """One entry of results.json's `tests`: one check of the problem."""

    name: str
    number: str
    score: float = Field(ge=0)
    max_score: float = Field(ge=0)
    status: Literal["passed", "failed"]
    output: str
    visibility: ResultVisibility
    tags: list[str] = Field(default_factory=list)


class GradescopeResults(BaseModel):
    """The whole of results.json, with the fields of Gradescope's specification only."""

    score: float = Field(ge=0)
    execution_time: int = Field(ge=0, description="Seconds.")
    output: str
    visibility: ResultVisibility = ResultVisibility.VISIBLE
    stdout_visibility: ResultVisibility = ResultVisibility.HIDDEN
    extra_data: dict[str, str | float] = Field(default_factory=dict)
    tests: list[GradescopeTest]


def export(
    problem: Problem,
    dest: Path,
    hidden_visibility: ResultVisibility = ResultVisibility.AFTER_PUBLISHED,
    log: Callable[[str], None] = print,
) -> Path:
    """Write the Gradescope autograder zip of `problem` to `dest` (a loaded, validated bank package)."""
    # Imported here: the image builder needs the Docker SDK, which the autograder's venv lacks.
    from judge.sandbox.image import build_judge_wheel, source_root

    with tempfile.TemporaryDirectory(prefix="judge-gradescope-") as tmp:
        wheel = build_judge_wheel(source_root(), Path(tmp), log)
        config = AutograderConfig(
            slug=problem.slug, hidden_visibility=hidden_visibility, judge_version=wheel.name.split("-")[1]
        )
        scripts = Path(__file__).with_name("gradescope_files")
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for script in ("setup.sh", "run_autograder"):
                _add(archive, script, (scripts / script).read_bytes(), executable=True)
            _add(archive, "requirements.txt", ("\n".join(pinned_requirements()) + "\n").encode())
            _add(archive, CONFIG_NAME, config.model_dump_json(indent=2).encode())
            _add(archive, wheel.name, wheel.read_bytes())
            for path in package_files(problem):
                _add(archive, f"problem/{problem.slug}/{path.relative_to(problem.root).as_posix()}", path.read_bytes())
    return dest


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    # Fixed date and modes: the same problem exports to the same bytes.
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def package_files(problem: Problem) -> list[Path]:
    """The files of the package a grade reads (never the reference solution, the mutants or notes)."""
    files = [problem.root / name for name in PACKAGE_FILES if (problem.root / name).is_file()]
    for folder in PACKAGE_FOLDERS:
        if (problem.root / folder).is_dir():
            files += sorted(
                p for p in (problem.root / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
            )
    return files


def pinned_requirements() -> list[str]:
    """`name==version` for every distribution grading imports and everything they require, as installed
    here: the autograder installs exactly what the judge was tested with."""
    from judge.sandbox.image import SANDBOX_DISTRIBUTIONS

    pending = [*SANDBOX_DISTRIBUTIONS, *GRADING_DISTRIBUTIONS]
    pinned: dict[str, str] = {}
    while pending:
        name = pending.pop()
        dist = importlib.metadata.distribution(name)
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in pinned:
            continue
        pinned[key] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return [f"{name}=={version}" for name, version in sorted(pinned.items())]


def load_exported(source: Path) -> tuple[AutograderConfig, Problem]:
    """The export's settings and its problem, from an unpacked autograder zip (without its reference,
    which load_problem would ask for: the package was validated when it was exported)."""
    config = AutograderConfig.model_validate_json((source / CONFIG_NAME).read_text(encoding="utf-8"))
    root = source / "problem" / config.slug
    spec = ProblemSpec.model_validate(tomllib.loads((root / "problem.toml").read_text(encoding="utf-8")))
    quiz = load_quiz(root / "quiz.toml") if spec.kind is Kind.QUIZ else None
    return config, Problem(spec, root, quiz)


def find_submission(problem: Problem, submission_dir: Path) -> bytes:
    """The submission as the judge stores it (one file, or a bundle of the problem's files), each file
    found by name anywhere under `submission_dir` (the shallowest wins). MissingFiles names a file not
    found; InvalidSubmission, a file that is not UTF-8 text."""
    files: dict[str, str] = {}
    for name in problem.file_names:
        found = sorted(submission_dir.rglob(name), key=lambda p: (len(p.parts), str(p)))
        found = [p for p in found if p.is_file()]
        if not found:
            raise MissingFiles(name, problem.file_names)
        try:
            files[name] = found[0].read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidSubmission(f"{name} is not UTF-8 text (byte {exc.start})") from exc
    return bundle.pack(files, problem.file_names).encode("utf-8")


class MissingFiles(JudgeError):
    """The submission lacks a file the problem takes."""

    def __init__(self, name: str, names: list[str]) -> None:
        super().__init__(f"{name} was not found in your submission; this problem takes {', '.join(names)}")


def results_for(
    problem: Problem, result: GradeResult, visibility: ResultVisibility, execution_time: float
) -> GradescopeResults:
    """results.json for a grade: one test per check, public checks visible, hidden ones at `visibility`."""
    specs = {c.id: c for c in problem.check_specs}
    tests = [
        _test(
            specs[check.id],
            number,
            check.points,
            check.outcome is Outcome.PASSED,
            check.message or ("passed" if check.outcome is Outcome.PASSED else check.outcome.value),
            visibility,
        )
        for number, check in enumerate(result.checks, 1)
    ]
    headline = f"{problem.spec.title}: {result.score:g} / {result.max_score:g} points ({result.verdict.value})"
    if result.compile_error is not None:
        headline += f"\nYour code does not compile: {result.compile_error.headline()}"
    return GradescopeResults(
        score=result.score,
        execution_time=round(execution_time),
        output=headline,
        extra_data={"problem": problem.slug, "max_score": result.max_score, "verdict": result.verdict.value},
        tests=tests,
    )


def _test(
    spec: CheckSpec, number: int, score: float, passed: bool, output: str, hidden: ResultVisibility
) -> GradescopeTest:
    """One check as a Gradescope test: public checks always visible, hidden ones at `hidden`."""
    return GradescopeTest(
        name=f"{spec.id}: {spec.title}" if spec.title else spec.id,
        number=str(number),
        score=score,
        max_score=spec.points,
        status="passed" if passed else "failed",
        output=output,
        visibility=ResultVisibility.VISIBLE if spec.visibility is Visibility.PUBLIC else hidden,
        tags=[spec.category, spec.visibility.value],
    )


def failure_results(
    problem: Problem, message: str, visibility: ResultVisibility, execution_time: float
) -> GradescopeResults:
    """results.json when nothing could be graded: every check failed with 0 points, `message` saying why."""
    tests = [_test(spec, number, 0, False, message, visibility) for number, spec in enumerate(problem.check_specs, 1)]
    return GradescopeResults(
        score=0,
        execution_time=round(execution_time),
        output=f"{problem.spec.title}: 0 / {problem.max_score:g} points\n{message}",
        extra_data={"problem": problem.slug, "max_score": problem.max_score, "verdict": "not_graded"},
        tests=tests,
    )


def grade(problem: Problem, source: bytes, settings: Settings, hidden: list[Path]) -> GradeResult:
    """Grade with the process backend and the problem's limits (clamped to the settings' maxima)."""
    return grade_checks(problem, source, settings, ProcessSandbox(settings), hidden).result


def namespaces_work(settings: Settings) -> bool:
    """Whether, as root, the process backend can isolate here: a candidate process starts in its own
    namespaces and uid (a container without CAP_SYS_ADMIN refuses them)."""
    ok, _ = smoke_test(ProcessSandbox(settings), settings)
    return ok


def grade_as_unprivileged(problem: Problem, source: bytes, settings: Settings, hidden: list[Path]) -> GradeResult:
    """Grade in a child process that first drops root for NOBODY_UID: where namespaces are refused the
    student's code then cannot write results.json (the root parent writes it) nor anything root owns."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child only
        code = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY_UID)
            os.setuid(NOBODY_UID)
            # The workspace goes to a private temp dir of the new uid (tempfile caches the old one).
            tempfile.tempdir = tempfile.mkdtemp(prefix="judge-gradescope-", dir="/tmp")
            payload = grade(problem, source, settings, hidden).model_dump_json().encode()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            code = 0
        except BaseException as exc:  # noqa: BLE001 - the parent reports whatever ended the child
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(f"ERROR {type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(child, 0)
    if os.waitstatus_to_exitcode(status) != 0 or payload.startswith(b"ERROR "):
        raise GradingFailed(payload.decode("utf-8", "replace").removeprefix("ERROR ") or f"status {status}")
    return GradeResult.model_validate_json(payload)


class GradingFailed(JudgeError):
    """The unprivileged grading process failed (its error, as text)."""


def run_autograder(autograder: Path, settings: Settings) -> GradescopeResults:
    """Grade /autograder/submission (under `autograder`) and write results/results.json; never raises for
    the submission's sake, and writes a results file (score 0, the reason) when grading fails."""
    started = time.monotonic()
    config, problem = load_exported(autograder / "source")
    hidden = [autograder / "source"]
    try:
        source = find_submission(problem, autograder / "submission")
        # Refused here, before any fork, so that the student reads why (too large, not UTF-8).
        decode_source(source, settings)
        # Quizzes are graded in this process: only code needs the sandbox's isolation.
        if problem.spec.kind is Kind.CODE and isolation.is_root() and not namespaces_work(settings):
            print("no namespaces here: grading as an unprivileged user without them", flush=True)
            result = grade_as_unprivileged(problem, source, settings, hidden)
        else:
            result = grade(problem, source, settings, hidden)
        results = results_for(problem, result, config.hidden_visibility, time.monotonic() - started)
    except (MissingFiles, InvalidSubmission) as exc:
        results = failure_results(problem, str(exc), config.hidden_visibility, time.monotonic() - started)
    except Exception:  # noqa: BLE001 - whatever failed, Gradescope must get a results file
        # The details are for the instructor (Gradescope's stdout, hidden from students).
        traceback.print_exc(file=sys.stdout)
        results = failure_results(problem, JUDGE_FAULT, config.hidden_visibility, time.monotonic() - started)
    write_results(results, autograder / "results" / "results.json")
    return results


def write_results(results: GradescopeResults, path: Path) -> None:
    """Write results.json whole or not at all (a temporary file renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(results.model_dump_json(indent=2), encoding="utf-8")
    partial.replace(path)


def main(argv: list[str]) -> int:
    """`python -m judge.bank.gradescope /autograder`: what run_autograder runs."""
    autograder = Path(argv[1]) if len(argv) > 1 else Path("/autograder")
    results = run_autograder(autograder, Settings())
    print(results.output)
    for test in results.tests:
        print(f"  {test.status:6} {test.score:g}/{test.max_score:g}  {test.name}: {test.output[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

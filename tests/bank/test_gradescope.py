"""The Gradescope export: results.json in Gradescope's format, and the zip graded in a container laid out as
Gradescope lays it out (/autograder/source, setup.sh, /autograder/submission, run_autograder)."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field
from typer.testing import CliRunner

from judge import bundle
from judge.bank.gradescope import (
    CONFIG_NAME,
    AutograderConfig,
    MissingFiles,
    ResultVisibility,
    failure_results,
    find_submission,
    package_files,
    pinned_requirements,
    results_for,
    run_autograder,
    write_results,
)
from judge.cli import app
from judge.problem import load_problem
from judge.result import CheckResult, GradeResult, Outcome, Verdict
from judge.sandbox.image import make_wheelhouse
from judge.settings import Settings
from tests.conftest import PROBLEMS
from tests.environment import Environment

#: The quickest code problem of the bank (its reference grades in a few seconds).
FAST_PROBLEM = "kl-divergence"
VISIBILITY = Literal["hidden", "after_due_date", "after_published", "visible"]


class SpecTest(BaseModel):
    """A test case as Gradescope's autograder specification documents it; no other field allowed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    score: float | None = None
    max_score: float | None = None
    status: Literal["passed", "failed"] | None = None
    name: str | None = None
    name_format: Literal["text", "html", "simple_format", "md", "ansi"] | None = None
    number: str | None = None
    output: str | None = None
    output_format: Literal["text", "html", "simple_format", "md", "ansi"] | None = None
    tags: list[str] | None = None
    visibility: VISIBILITY | None = None
    extra_data: dict | None = None


class SpecResults(BaseModel):
    """The top level of results.json as the specification documents it; no other field allowed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    score: float | None = None
    execution_time: int | None = Field(default=None, ge=0)
    output: str | None = None
    output_format: Literal["text", "html", "simple_format", "md", "ansi"] | None = None
    test_output_format: Literal["text", "html", "simple_format", "md", "ansi"] | None = None
    test_name_format: Literal["text", "html", "simple_format", "md", "ansi"] | None = None
    visibility: VISIBILITY | None = None
    stdout_visibility: VISIBILITY | None = None
    extra_data: dict | None = None
    tests: list[SpecTest] | None = None


def spec_results(text: str) -> SpecResults:
    """results.json parsed against the specification's fields (json.loads keeps 15.0 a float)."""
    return SpecResults.model_validate(json.loads(text))


def kl_result(problem) -> GradeResult:
    """A grade of kl-divergence with each outcome: passed, failed, error and timeout."""
    outcomes = [Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.TIMEOUT]
    checks = [
        CheckResult(
            id=spec.id,
            category=spec.category,
            outcome=outcomes[i % 4],
            points=spec.points if i % 4 == 0 else 0,
            max_points=spec.points,
            message="" if i % 4 == 0 else f"message {i}",
        )
        for i, spec in enumerate(problem.check_specs)
    ]
    score = sum(c.points for c in checks)
    return GradeResult(
        problem=problem.slug, verdict=Verdict.PARTIAL, score=score, max_score=problem.max_score, checks=checks
    )


def test_results_follow_the_specification_one_test_per_check() -> None:
    problem = load_problem(PROBLEMS / FAST_PROBLEM)
    result = kl_result(problem)
    results = results_for(problem, result, ResultVisibility.AFTER_DUE_DATE, 3.4)
    parsed = spec_results(results.model_dump_json())
    assert parsed.tests is not None and len(parsed.tests) == len(problem.check_specs)
    assert parsed.score == result.score and parsed.execution_time == 3
    assert sum(t.score or 0 for t in parsed.tests) == result.score
    assert sum(t.max_score or 0 for t in parsed.tests) == problem.max_score
    for test, spec, check in zip(parsed.tests, problem.check_specs, result.checks):
        assert test.name is not None and test.name.startswith(spec.id)
        assert test.visibility == ("visible" if spec.visibility.value == "public" else "after_due_date")
        assert test.status == ("passed" if check.outcome is Outcome.PASSED else "failed")
        assert test.output == (check.message or "passed")
    assert f"{result.score:g} / {problem.max_score:g}" in (parsed.output or "")


def test_failure_results_score_zero_and_say_why() -> None:
    problem = load_problem(PROBLEMS / FAST_PROBLEM)
    results = failure_results(problem, "solution.py was not found", ResultVisibility.AFTER_PUBLISHED, 0.2)
    parsed = spec_results(results.model_dump_json())
    assert parsed.score == 0 and parsed.tests is not None
    assert all(t.score == 0 and t.status == "failed" and t.output == "solution.py was not found" for t in parsed.tests)
    assert "solution.py was not found" in (parsed.output or "")


def test_results_file_is_written_whole(tmp_path: Path) -> None:
    problem = load_problem(PROBLEMS / FAST_PROBLEM)
    path = tmp_path / "results" / "results.json"
    write_results(results_for(problem, kl_result(problem), ResultVisibility.HIDDEN, 1), path)
    assert spec_results(path.read_text()).tests
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.json"]


def test_the_package_leaves_the_reference_and_mutants_behind() -> None:
    problem = load_problem(PROBLEMS / "gumbel-softmax")
    names = {p.relative_to(problem.root).as_posix() for p in package_files(problem)}
    assert {"problem.toml", "statement.md", "starter.py", "probes.py"} <= names
    assert any(n.startswith("checks/") for n in names) and any(n.startswith("public/") for n in names)
    assert not any(n.startswith("mutants/") or n in ("solution.py", "NOTES.md") for n in names)


def test_requirements_pin_every_distribution_exactly() -> None:
    lines = pinned_requirements()
    assert all("==" in line for line in lines)
    names = {line.split("==")[0] for line in lines}
    assert {"torch", "numpy", "pytest", "pydantic", "pydantic-settings"} <= names
    assert next(line for line in lines if line.startswith("torch==")).startswith("torch==2.13.0")


def test_submission_files_are_found_by_name_anywhere(tmp_path: Path) -> None:
    problem = load_problem(PROBLEMS / "mlp-model-and-training")
    files = bundle.unpack(problem.solution_path.read_text(), problem.file_names)
    (tmp_path / "repo" / "src").mkdir(parents=True)
    for name, text in files.items():
        (tmp_path / "repo" / "src" / name).write_text(text)
    # A shallower copy wins over a deeper one.
    (tmp_path / problem.spec.entrypoint).write_text(files[problem.spec.entrypoint])
    assert bundle.unpack(find_submission(problem, tmp_path).decode(), problem.file_names) == files
    (tmp_path / "repo" / "src" / problem.spec.files[0]).unlink()
    with pytest.raises(MissingFiles, match=problem.spec.files[0]):
        find_submission(problem, tmp_path)


def lay_out(slug: str, autograder: Path) -> None:
    """/autograder as Gradescope leaves it after setup, for a package graded in this process (no wheel)."""
    problem = load_problem(PROBLEMS / slug)
    source = autograder / "source"
    for path in package_files(problem):
        target = source / "problem" / slug / path.relative_to(problem.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    config = AutograderConfig(slug=slug, judge_version="0.1.0")
    (source / CONFIG_NAME).write_text(config.model_dump_json())
    (autograder / "submission").mkdir()


def test_a_quiz_autograder_grades_the_answers_and_reports_a_missing_or_unreadable_file(tmp_path: Path) -> None:
    lay_out("aigc-concepts", tmp_path)
    settings = Settings()
    missing = run_autograder(tmp_path, settings)
    assert missing.score == 0 and "answers.json was not found" in missing.output
    assert spec_results((tmp_path / "results" / "results.json").read_text()).score == 0
    problem = load_problem(PROBLEMS / "aigc-concepts")
    (tmp_path / "submission" / problem.spec.entrypoint).write_bytes(b'{"q1": "\xff"}')
    binary = run_autograder(tmp_path, settings)
    assert binary.score == 0 and all("not UTF-8" in t.output for t in binary.tests)
    shutil.copyfile(problem.solution_path, tmp_path / "submission" / problem.spec.entrypoint)
    full = run_autograder(tmp_path, settings)
    assert full.score == problem.max_score and all(t.status == "passed" for t in full.tests)
    assert {t.visibility for t in full.tests} == {ResultVisibility.AFTER_PUBLISHED}


@pytest.mark.slow
def test_a_code_autograder_grades_here_with_the_process_backend(tmp_path: Path) -> None:
    lay_out(FAST_PROBLEM, tmp_path)
    problem = load_problem(PROBLEMS / FAST_PROBLEM)
    shutil.copyfile(problem.solution_path, tmp_path / "submission" / problem.spec.entrypoint)
    results = run_autograder(tmp_path, Settings())
    assert results.score == problem.max_score and results.extra_data["verdict"] == "accepted"
    assert spec_results((tmp_path / "results" / "results.json").read_text()).score == problem.max_score


# --- The zip in a container laid out as Gradescope's -------------------------------------------------------

#: Gradescope's steps: unpack the zip at /autograder/source (keeping the scripts executable), run setup.sh
#: there as root, copy run_autograder to /autograder; then per submission fill /autograder/submission and
#: run /autograder/run_autograder from /autograder. Each case's results.json and stdout land in /out.
CONTAINER_SCRIPT = r"""
set -euo pipefail
python3 - <<'PY'
import os, zipfile
with zipfile.ZipFile("/mnt/autograder.zip") as z:
    for info in z.infolist():
        path = z.extract(info, "/autograder/source")
        os.chmod(path, (info.external_attr >> 16) & 0o777)
PY
cd /autograder/source && ./setup.sh > /out/setup.log 2>&1
cp /autograder/source/run_autograder /autograder/run_autograder
for case in /mnt/cases/*; do
    name=$(basename "$case")
    rm -rf /autograder/submission /autograder/results
    mkdir -p /autograder/submission
    cp -r "$case/." /autograder/submission/
    cd /autograder && ./run_autograder > "/out/$name.stdout" 2>&1
    cp /autograder/results/results.json "/out/$name.json"
done
"""


@pytest.fixture(scope="module")
def docker_base() -> str:
    """The debootstrapped Debian base (python3, venv; no pip, no network), or a skip (a failure in CI)."""
    image = Settings().images.docker_offline_base_image
    found = shutil.which("docker") and subprocess.run(
        ["docker", "image", "inspect", image], capture_output=True, timeout=60
    )
    if not found or found.returncode != 0:
        if Environment().docker_required:
            pytest.fail(f"Docker and the image {image} are required here (judge sandbox build --offline makes it)")
        pytest.skip(f"needs Docker and the image {image} (judge sandbox build --offline makes it)")
    return image


@pytest.mark.slow
@pytest.mark.integration
def test_the_exported_zip_grades_in_a_gradescope_layout(docker_base: str, tmp_path: Path) -> None:
    problem = load_problem(PROBLEMS / FAST_PROBLEM)
    archive = tmp_path / "autograder.zip"
    exported = CliRunner().invoke(
        app, ["problems", "export", FAST_PROBLEM, "--format", "gradescope", "-o", str(archive)]
    )
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        requirements = z.read("requirements.txt").decode().split()
        wheel = next(n for n in names if n.endswith(".whl"))
        z.extract(wheel, tmp_path)
    assert {"setup.sh", "run_autograder", "requirements.txt", CONFIG_NAME} <= set(names)
    assert not any("solution" in n or "mutants/" in n for n in names), names
    # The offline wheelhouse setup.sh installs from through JUDGE_WHEELS (torch from $PIP_FIND_LINKS).
    make_wheelhouse(tmp_path / wheel, tmp_path / "wheels", "3.11.2", print, wanted=requirements)

    cases = tmp_path / "cases"
    for case, name, text in [
        ("reference", "solution.py", problem.solution_path.read_text()),
        ("mutant", "solution.py", (problem.root / "mutants" / "gaussian_std_as_var.py").read_text()),
        ("missing", "my_solution.py", problem.solution_path.read_text()),
        ("syntax", "solution.py", "def kl_diag_gaussian(:\n"),
        ("crash", "solution.py", "raise RuntimeError('boom at import')\n"),
    ]:
        (cases / case / name).parent.mkdir(parents=True, exist_ok=True)
        (cases / case / name).write_text(text)
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    run = subprocess.run(
        [
            # The venv (1 GB, torch) in memory: no disk writes, and no slow removal with the container.
            "docker", "run", "--rm", "--network", "none", "--tmpfs", "/opt/judge-autograder:exec,size=3g",
            "-e", "JUDGE_WHEELS=/wheelhouse",
            "-v", f"{archive}:/mnt/autograder.zip:ro",
            "-v", f"{tmp_path / 'wheels'}:/wheelhouse:ro",
            "-v", f"{cases}:/mnt/cases:ro",
            "-v", f"{out}:/out",
            docker_base, "bash", "-c", CONTAINER_SCRIPT,
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    setup_log = (out / "setup.log").read_text() if (out / "setup.log").exists() else ""
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n{setup_log[-3000:]}"

    results = {case.name: spec_results((out / f"{case.name}.json").read_text()) for case in cases.iterdir()}
    for name, parsed in results.items():
        assert parsed.tests is not None and len(parsed.tests) == len(problem.check_specs), name
        assert sum(t.score or 0 for t in parsed.tests) == parsed.score, name
    assert results["reference"].score == problem.max_score
    mutant = results["mutant"]
    assert mutant.score is not None and 0 < mutant.score < problem.max_score
    assert any(t.status == "failed" and t.output for t in mutant.tests or [])
    assert results["missing"].score == 0 and "solution.py was not found" in (results["missing"].output or "")
    assert results["syntax"].score == 0 and "does not compile" in (results["syntax"].output or "")
    crash = results["crash"]
    assert crash.score == 0 and any("boom at import" in (t.output or "") for t in crash.tests or [])
    visibilities = {t.visibility for t in results["reference"].tests or []}
    assert visibilities == {"visible", "after_published"}


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--format", "moodle"], "unknown export format 'moodle'"),
        (["--hidden-visibility", "never"], "--hidden-visibility must be one of visible, hidden"),
    ],
)
def test_the_export_command_refuses_bad_options(args: list[str], error: str) -> None:
    refused = CliRunner().invoke(app, ["problems", "export", FAST_PROBLEM, *args])
    assert refused.exit_code == 2 and error in refused.output

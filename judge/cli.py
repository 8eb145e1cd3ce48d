"""The `judge` command line: grade offline, and list, show and validate problems."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.syntax import Syntax
from rich.table import Table

from judge.bank import ProblemBank
from judge.errors import InvalidProblem, InvalidSubmission, JudgeError, ProblemNotFound, SandboxUnavailable
from judge.grading import grade_submission
from judge.result import CheckResult, GradeResult, Outcome
from judge.sandbox.select import choose_sandbox
from judge.settings import Settings

EXIT_BAD_INPUT = 2
EXIT_JUDGE_FAULT = 3

app = typer.Typer(help="Grade generative-AI coding problems in PyTorch.", no_args_is_help=True, add_completion=False)
problems_app = typer.Typer(help="List, show and validate problems.", no_args_is_help=True)
app.add_typer(problems_app, name="problems")
console = Console()
errors = Console(stderr=True, soft_wrap=True)

OUTCOME_STYLE = {Outcome.PASSED: "green", Outcome.FAILED: "red", Outcome.ERROR: "magenta", Outcome.TIMEOUT: "yellow"}


def fail(message: str, code: int) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    errors.print(f"error: {message.splitlines()[0] if message else 'failed'}", markup=False, highlight=False)
    return typer.Exit(code)


def exit_code_for(exc: JudgeError) -> int:
    """Bad input from the user exits 2; a fault of the judge exits 3."""
    return EXIT_BAD_INPUT if isinstance(exc, (InvalidSubmission, ProblemNotFound, InvalidProblem, SandboxUnavailable)) else EXIT_JUDGE_FAULT


def checks_table(title: str, results: list[CheckResult]) -> Table:
    """A Rich table of check results."""
    table = Table(title=title, expand=False)
    table.add_column("check")
    table.add_column("category")
    table.add_column("outcome")
    table.add_column("points", justify="right")
    table.add_column("message", overflow="fold", max_width=70)
    for r in results:
        style = OUTCOME_STYLE[r.outcome]
        table.add_row(r.id, r.category, f"[{style}]{r.outcome.value}[/]", f"{r.points:g}/{r.max_points:g}", r.message)
    return table


@app.command()
def grade(
    problem: Annotated[str, typer.Argument(help="A problem slug, or the path of a problem directory.")],
    submission: Annotated[Path, typer.Argument(help="The submission file (.py, or .json for quizzes).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
    sandbox: Annotated[Optional[str], typer.Option(help="Sandbox backend: auto, docker, bwrap or process.")] = None,
) -> None:
    """Grade one submission and show each check with its points. Exits 0 whenever grading completed."""
    settings = Settings()
    try:
        source = submission.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {submission}: {exc.strerror}", EXIT_BAD_INPUT) from None
    try:
        backend = choose_sandbox(settings, sandbox)
        if json_output:
            result = grade_submission(problem, source, settings, backend)
        else:
            result = _grade_live(problem, source, settings, backend)
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    if json_output:
        sys.stdout.write(result.model_dump_json() + "\n")
    else:
        console.print(checks_table(f"{result.problem}", result.checks))
        console.print(f"verdict: [bold]{result.verdict.value}[/]   score: [bold]{result.score:g}/{result.max_score:g}[/]")


def _grade_live(problem: str, source: bytes, settings: Settings, backend) -> GradeResult:
    finished: list[CheckResult] = []
    with Live(checks_table(f"{problem}: grading…", finished), console=console, transient=True) as live:

        def on_check(result: CheckResult) -> None:
            finished.append(result)
            live.update(checks_table(f"{problem}: grading…", finished))

        return grade_submission(problem, source, settings, backend, on_check=on_check)


@problems_app.command("list")
def problems_list() -> None:
    """List every problem in the bank."""
    settings = Settings()
    try:
        problems = ProblemBank(settings.problems_dirs).problems()
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    table = Table()
    for column in ("slug", "title", "kind", "difficulty", "points", "tags"):
        table.add_column(column)
    for p in problems:
        table.add_row(p.slug, p.spec.title, p.spec.kind.value, p.spec.difficulty, f"{p.max_score:g}", ", ".join(p.spec.tags))
    console.print(table)


@problems_app.command("show")
def problems_show(slug: Annotated[str, typer.Argument(help="The problem's slug.")]) -> None:
    """Show a problem's statement and starter (never its hidden checks, reference or mutants)."""
    settings = Settings()
    try:
        problem = ProblemBank(settings.problems_dirs).get(slug)
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    console.print(Markdown(problem.statement()))
    limits = problem.spec.limits
    console.print(f"\nlimits: {limits.check_timeout_s:g} s per check, {limits.run_timeout_s:g} s per run, {limits.memory_mb} MB")
    if problem.quiz is not None:
        for number, question in enumerate(problem.quiz.questions, 1):
            kind = "choose one" if question.kind == "single" else "choose all that apply"
            console.print(f"\n[bold]{number}. {question.id}[/] ({kind}, {question.points:g} pt)", highlight=False)
            console.print(question.prompt, highlight=False, markup=False)
            for label, option in zip(question.labels, question.options):
                console.print(f"   {label}) {option}", highlight=False, markup=False)
    console.print(f"\n[bold]{problem.starter_path.name}[/] (submit as {problem.spec.entrypoint}):")
    console.print(Syntax(problem.starter(), "json" if problem.quiz is not None else "python"))


@problems_app.command("validate")
def problems_validate(
    slug: Annotated[Optional[str], typer.Argument(help="The problem's slug or directory.")] = None,
    all_problems: Annotated[bool, typer.Option("--all", help="Validate every problem in the bank.")] = False,
    sandbox: Annotated[Optional[str], typer.Option(help="Sandbox backend to grade with.")] = None,
) -> None:
    """Reference full marks, starter 0, every mutant loses a check, two runs identical, within limits."""
    from judge.validation import validate_problem

    settings = Settings()
    if bool(slug) == all_problems:
        raise fail("give one problem slug, or --all", EXIT_BAD_INPUT)
    bank = ProblemBank(settings.problems_dirs)
    try:
        backend = choose_sandbox(settings, sandbox)
        refs = sorted(bank.directories()) if all_problems else [slug]
        failures = 0
        for ref in refs:
            report = validate_problem(bank.get(ref), settings, backend)
            for line in report.lines:
                console.print(line, highlight=False)
            failures += not report.ok
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    if failures:
        raise fail(f"{failures} problem(s) failed validation", 1)

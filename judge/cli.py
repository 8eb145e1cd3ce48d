"""The `judge` command line: grade offline, and list, show and validate problems."""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax
from rich.table import Table

from judge import bundle
from judge.bank.loader import ProblemBank
from judge.errors import InvalidProblem, InvalidSubmission, JudgeError, ProblemNotFound, SandboxUnavailable
from judge.logs import configure as configure_logs
from judge.logs import redact_celery_logs, uvicorn_log_config
from judge.problem import Kind, Problem
from judge.report import check_report_path, write_report
from judge.result import CheckResult, GradeResult, Outcome, Verdict
from judge.settings import Settings
from judge.syntax import SyntaxProblem

if TYPE_CHECKING:
    from judge.assessments.schemas import CandidateProblem, CandidateSubmissionView
    from judge.bank.validation import ValidationReport
    from judge.batch import BatchReport, CandidateReport
    from judge.client import JudgeClient
    from judge.client.errors import JudgeClientError
    from judge.sandbox.base import Sandbox
    from judge.sandbox.select import Choice
    from judge.views import SubmissionView

# Grading and the sandboxes import torch (seconds): they are imported where used, so that quick commands
# (`judge sandbox build --if-stale`, run by every ./scripts/start) stay quick.

EXIT_BAD_INPUT = 2
EXIT_JUDGE_FAULT = 3

app = typer.Typer(help="Grade generative-AI coding problems in PyTorch.", no_args_is_help=True, add_completion=False)
problems_app = typer.Typer(help="List, show and validate problems.", no_args_is_help=True)
app.add_typer(problems_app, name="problems")
sandbox_app = typer.Typer(help="Build the runner image, check and clean up the sandbox backends.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
deploy_app = typer.Typer(help="Build the images docker-compose.yml runs.", no_args_is_help=True)
app.add_typer(deploy_app, name="deploy")
console = Console()
log = logging.getLogger("judge.cli")
errors = Console(stderr=True, soft_wrap=True)

OUTCOME_STYLE = {Outcome.PASSED: "green", Outcome.FAILED: "red", Outcome.ERROR: "magenta", Outcome.TIMEOUT: "yellow"}


def fail(message: str, code: int) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    errors.print(f"error: {message.splitlines()[0] if message else 'failed'}", markup=False, highlight=False)
    return typer.Exit(code)


def cli_sandbox(settings: Settings, name: str | None) -> Choice:
    """The grading commands' backend (`auto` may fall back to process), its warning on stderr in one line."""
    from judge.sandbox.select import choose

    choice = choose(settings, "cli", name)
    if choice.warning:
        errors.print(f"warning: {choice.warning}", style="yellow", markup=False, highlight=False)
    return choice


def service_sandbox(settings: Settings) -> Sandbox:
    """The service's backend (`auto`: docker or bwrap, never process), said on stdout and in the log.

    A backend that suits trusted code only (process, asked for by name) is a warning in both.
    """
    from judge.sandbox.select import choose, tried

    choice = choose(settings, "service")
    name = choice.sandbox.name
    line = f"sandbox: {name}" + (f" (auto passed over {tried(choice.passed_over)})" if choice.passed_over else "")
    console.print(line, markup=False, highlight=False, soft_wrap=True)
    if choice.warning:
        console.print(
            f"warning: sandbox {name}: {choice.warning}", style="yellow", markup=False, highlight=False, soft_wrap=True
        )
        log.warning("sandbox %s: %s", name, choice.warning)
    return choice.sandbox


def exit_code_for(exc: JudgeError) -> int:
    """Bad input from the user exits 2; a fault of the judge exits 3."""
    return (
        EXIT_BAD_INPUT
        if isinstance(exc, (InvalidSubmission, ProblemNotFound, InvalidProblem, SandboxUnavailable))
        else EXIT_JUDGE_FAULT
    )


def terminal_width() -> int:
    """The terminal's width in columns (COLUMNS, else the terminal's size, else 80)."""
    return shutil.get_terminal_size().columns


def print_rows(table: Table, rows: list[list[str]]) -> None:
    """`table` sized to the terminal; when stdout is not a terminal, its title and `rows` as plain
    tab-separated lines instead, so that a pipe gets every value whole (a table would wrap or cut them at
    80 columns)."""
    if console.is_terminal:
        console.print(table, width=terminal_width())
        return
    if table.title:
        sys.stdout.write(f"{table.title}\n")
    for row in rows:
        sys.stdout.write("\t".join(" ".join(value.split()) for value in row) + "\n")
    sys.stdout.flush()


def checks_table(title: str, results: list[CheckResult]) -> Table:
    """A Rich table of check results."""
    table = Table(title=title, expand=False)
    table.add_column("check", no_wrap=True)
    table.add_column("category")
    table.add_column("outcome")
    table.add_column("points", justify="right")
    table.add_column("message", overflow="fold")
    for r in results:
        style = OUTCOME_STYLE[r.outcome]
        table.add_row(r.id, r.category, f"[{style}]{r.outcome.value}[/]", f"{r.points:g}/{r.max_points:g}", r.message)
    return table


@app.command()
def grade(
    problem: Annotated[str, typer.Argument(help="A problem slug, or the path of a problem directory.")],
    submission: Annotated[
        Path,
        typer.Argument(
            help="The submission file (.py, or .json for quizzes); or a directory or .zip of many: one file per candidate "
            "(alice.py, candidate = file name without extension), or one folder per candidate holding the problem's "
            "entrypoint file (alice/solution.py). Hidden files, other files and links are skipped."
        ),
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")] = False,
    sandbox: Annotated[str | None, typer.Option(help="Sandbox backend: auto, docker, bwrap or process.")] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Write the per-candidate report (score, verdict, checks, time, integrity flags, similar candidates) as .csv or .json."
        ),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Batches: submissions graded at once (default: CPU cores)."),
    ] = None,
    similarity_threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Batches: flag pairs of submissions at least this similar (default: settings.assessments.similarity_threshold).",
        ),
    ] = None,
) -> None:
    """Grade one submission and show each check with its points, or grade a directory or .zip of submissions in
    parallel, flagging suspicious code and similar pairs. Exits 0 whenever grading completed (3 if the judge failed
    on some file of a batch, after writing the report)."""
    from judge.batch import Submission, checked, holds_one_submission, is_batch, report_row
    from judge.grading import grade_submission
    from judge.scoring import compile_error

    settings = Settings()
    bank = ProblemBank(settings)
    if report is not None:
        try:
            check_report_path(report)
        except JudgeError as exc:
            raise fail(str(exc), EXIT_BAD_INPUT) from None
    try:
        names = bank.get(problem).file_names
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    if is_batch(submission) and not holds_one_submission(submission, names):
        _grade_batch(bank, problem, submission, sandbox, json_output, report, jobs, similarity_threshold)
        return
    try:
        raw = submission.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {submission}: {exc.strerror}", EXIT_BAD_INPUT) from None
    try:
        # A notebook is graded as its code cells, a zip of a problem's files as those files.
        source = bundle.upload_source(
            submission.name,
            raw,
            names,
            max_source_bytes=settings.limits.max_source_bytes,
            max_upload_bytes=settings.limits.max_upload_bytes,
        )
    except JudgeError as exc:
        raise fail(f"{submission}: {exc}", exit_code_for(exc)) from None
    one = checked(Submission(candidate=submission.stem, origin=submission.name, source=source), settings)
    if one.error is not None:
        raise fail(f"{submission}: {one.error}", EXIT_BAD_INPUT)
    try:
        loaded = bank.get(problem)
        started = time.perf_counter()
        # Checked before a sandbox is chosen: a file that does not compile is reported at once.
        syntax = bundle.syntax_problem(one.text or "", loaded.file_names) if loaded.spec.kind is Kind.CODE else None
        if syntax is not None:
            result = compile_error(loaded, syntax)
        elif json_output:
            backend = cli_sandbox(settings, sandbox).sandbox
            result = grade_submission(loaded, source, settings, backend, bank.hidden_paths())
        else:
            backend = cli_sandbox(settings, sandbox).sandbox
            result = _grade_live(problem, loaded, source, settings, backend, bank.hidden_paths())
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    if report is not None:
        _write_report(
            report,
            [report_row(loaded, one, result, time.perf_counter() - started)],
        )
    if json_output:
        sys.stdout.write(result.model_dump_json() + "\n")
        if result.compile_error is not None:
            raise typer.Exit(EXIT_BAD_INPUT)
        return
    if result.compile_error is not None:
        raise compile_failure(submission, result.compile_error)
    show_result(result)
    quiz = loaded.quiz
    if quiz is not None:
        # Explanations are shown after grading, never with the questions.
        console.print("\n[bold]Explanations[/]")
        for question in quiz.questions:
            console.print(f"[bold]{question.id}[/] ({', '.join(question.answer)}): ", end="", highlight=False)
            console.print(question.explanation, highlight=False, markup=False)


def show_result(result: GradeResult) -> None:
    """Every check of a graded submission, then its verdict and score."""
    print_rows(
        checks_table(f"{result.problem}", result.checks),
        [[r.id, r.category, r.outcome.value, f"{r.points:g}/{r.max_points:g}", r.message] for r in result.checks],
    )
    console.print(f"verdict: [bold]{result.verdict.value}[/]   score: [bold]{result.score:g}/{result.max_score:g}[/]")


def compile_failure(path: Path, syntax: SyntaxProblem) -> typer.Exit:
    """Say on stderr, in one line and the offending code line, where the file does not compile; the Exit
    (bad input) to raise: nothing was graded."""
    errors.print(f"error: {path}: {syntax.headline()}", markup=False, highlight=False)
    errors.print(f"{syntax.line:>6} | {syntax.text}", markup=False, highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


def _grade_batch(
    bank: ProblemBank,
    problem: str,
    path: Path,
    sandbox: str | None,
    json_output: bool,
    report: Path | None,
    jobs: int | None,
    threshold: float | None,
) -> None:
    """Grade every submission of a directory or .zip in parallel, with a progress bar; then the summary and report."""
    from judge.batch import collect_submissions, grade_batch

    settings = bank.settings
    try:
        loaded = bank.get(problem)
        submissions = collect_submissions(path, loaded.spec.entrypoint, settings, loaded.spec.files)
        backend = cli_sandbox(settings, sandbox).sandbox
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=errors, transient=True) as progress:
            task = progress.add_task(f"grading {len(submissions)} submissions", total=len(submissions))

            def on_report(row: CandidateReport) -> None:
                progress.update(task, advance=1, description=f"graded {row.candidate}")

            batch = grade_batch(
                loaded,
                submissions,
                settings,
                backend,
                bank.hidden_paths(),
                jobs=jobs or os.cpu_count() or 1,
                threshold=settings.assessments.similarity_threshold if threshold is None else threshold,
                on_report=on_report,
            )
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    if report is not None:
        _write_report(report, batch.candidates)
    if json_output:
        sys.stdout.write(batch.model_dump_json() + "\n")
    else:
        print_rows(batch_table(batch), [_batch_row(c) for c in batch.candidates])
        if report is not None:
            console.print(f"report written to {report}", highlight=False)
    if batch.judge_failed:
        failed = sum(c.verdict is Verdict.INTERNAL_ERROR for c in batch.candidates)
        raise fail(
            f"the judge failed to grade {failed} submission(s); they are marked internal_error in the report",
            EXIT_JUDGE_FAULT,
        )


def batch_table(batch: BatchReport) -> Table:
    """A Rich table with one line per candidate of a batch."""
    table = Table(title=f"{batch.problem}: {len(batch.candidates)} submissions", expand=False)
    for column in ("candidate", "score", "verdict", "time", "integrity flags", "similar to"):
        table.add_column(column, overflow="fold")
    for c in batch.candidates:
        table.add_row(*_batch_row(c))
    return table


def _batch_row(c: CandidateReport) -> list[str]:
    score = f"{c.score:g}/{c.max_score:g}" if c.score is not None else f"-/{c.max_score:g}"
    if c.verdict is None:
        verdict = f"not graded: {c.error}"
    elif c.verdict is Verdict.COMPILE_ERROR:
        verdict = f"{c.verdict.value}: {c.error}"
    else:
        verdict = c.verdict.value
    flags = ", ".join(sorted({f.kind.value for f in c.flags}))
    return [c.candidate, score, verdict, f"{c.time_s:.1f} s", flags, ", ".join(str(m) for m in c.similar)]


def _write_report(path: Path, rows: list) -> None:
    try:
        write_report(path, rows)
    except JudgeError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror}", EXIT_BAD_INPUT) from None


def _grade_live(
    label: str, problem: Problem, source: bytes, settings: Settings, backend: Sandbox, hidden: list[Path]
) -> GradeResult:
    from judge.grading import grade_submission

    finished: list[CheckResult] = []
    with Live(checks_table(f"{label}: grading…", finished), console=console, transient=True) as live:

        def on_check(result: CheckResult) -> None:
            finished.append(result)
            live.update(checks_table(f"{label}: grading…", finished))

        return grade_submission(problem, source, settings, backend, hidden, on_check=on_check)


@problems_app.command("list")
def problems_list(server: ServerOption = None, key: KeyOption = None, invite: InviteOption = None) -> None:
    """List every problem in the bank (with --server, the problems the service shows this key)."""
    settings = Settings()
    if _remote(settings, server):
        with _client(settings, server, key, invite) as client:
            if _as_candidate(client):
                raise fail(
                    "a candidate's problems are on their invite page; show one with: judge problems show SLUG --invite TOKEN",
                    EXIT_BAD_INPUT,
                )
            problems = _call(lambda: client.list_problems())
    else:
        try:
            from judge.views import ProblemSummary

            problems = [ProblemSummary.of(p) for p in ProblemBank(settings).problems()]
        except JudgeError as exc:
            raise fail(str(exc), exit_code_for(exc)) from None
    rows = [[p.slug, p.title, p.kind.value, p.difficulty, f"{p.max_score:g}", ", ".join(p.tags)] for p in problems]
    table = Table()
    # Slugs are what a user types next: never wrapped or cut; the title and tags fold instead.
    table.add_column("slug", no_wrap=True, min_width=max((len(p.slug) for p in problems), default=4))
    table.add_column("title", overflow="fold")
    for column in ("kind", "difficulty", "points"):
        table.add_column(column, no_wrap=True)
    table.add_column("tags", overflow="fold")
    for row in rows:
        table.add_row(*row)
    print_rows(table, rows)


@problems_app.command("show")
def problems_show(
    slug: Annotated[str, typer.Argument(help="The problem's slug.")],
    server: ServerOption = None,
    key: KeyOption = None,
    invite: InviteOption = None,
) -> None:
    """Show a problem's statement and starter (never its hidden checks, reference or mutants)."""
    settings = Settings()
    if _remote(settings, server):
        with _client(settings, server, key, invite) as client:
            # A candidate's view of a problem has every field shown here, scaled to the assessment's points.
            shown: ProblemDetail | CandidateProblem = _call(
                lambda: client.candidate_problem(slug) if _as_candidate(client) else client.get_problem(slug)
            )
    else:
        try:
            from judge.views import ProblemDetail

            shown = ProblemDetail.of(ProblemBank(settings).get(slug))
        except JudgeError as exc:
            raise fail(str(exc), exit_code_for(exc)) from None
    console.print(Markdown(shown.statement))
    limits = shown.limits
    console.print(
        f"\nlimits: {limits.check_timeout_s:g} s per check, {limits.run_timeout_s:g} s per run, {limits.memory_mb} MB"
    )
    for number, question in enumerate(shown.questions or [], 1):
        kind = "choose one" if question.kind == "single" else "choose all that apply"
        console.print(f"\n[bold]{number}. {question.id}[/] ({kind}, {question.points:g} pt)", highlight=False)
        console.print(question.prompt, highlight=False, markup=False)
        for label, option in question.options.items():
            console.print(f"   {label}) {option}", highlight=False, markup=False)
    quiz = shown.kind is Kind.QUIZ
    console.print(f"\n[bold]{'starter.json' if quiz else 'starter.py'}[/] (submit as {shown.entrypoint}):")
    console.print(Syntax(shown.starter, "json" if quiz else "python"))


@problems_app.command("new")
def problems_new(
    slug: Annotated[str, typer.Argument(help="The new problem's slug (lower-case letters, digits, hyphens).")],
    kind: Annotated[
        Kind, typer.Option(help="code: a Python submission graded by checks; quiz: questions.")
    ] = Kind.CODE,
    directory: Annotated[Path, typer.Option("--dir", help="Where to create the package.")] = Path("problems"),
) -> None:
    """Scaffold a problem package whose TODO(author) lines say what to write; `judge problems validate
    DIR/SLUG` passes once they are filled in."""
    from judge.bank.scaffold import scaffold

    settings = Settings()
    try:
        if slug in ProblemBank(settings).directories():
            raise InvalidProblem(f"the bank already has a problem {slug!r}; choose another slug")
        root = scaffold(slug, kind, directory)
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        console.print(f"created {path}", markup=False, highlight=False)
    console.print(
        f"Fill in every TODO(author), then: judge problems validate {root}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@problems_app.command("validate")
def problems_validate(
    slug: Annotated[str | None, typer.Argument(help="The problem's slug or directory.")] = None,
    all_problems: Annotated[bool, typer.Option("--all", help="Validate every problem in the bank.")] = False,
    sandbox: Annotated[str | None, typer.Option(help="Sandbox backend to grade with.")] = None,
    seeds: Annotated[
        int,
        typer.Option(
            min=1, help="Grade the reference with this many run seeds; report each threshold check's worst margin."
        ),
    ] = 1,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Problems validated at once (default: CPU cores).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object with every report.")] = False,
) -> None:
    """Reference full marks, starter 0, every mutant loses a check, two runs identical, within limits;
    a mutant-by-check table, and checks that catch no mutant as warnings."""
    from concurrent.futures import ThreadPoolExecutor

    from judge.bank.validation import validate_problem

    settings = Settings()
    if bool(slug) == all_problems:
        raise fail("give one problem slug, or --all", EXIT_BAD_INPUT)
    bank = ProblemBank(settings)
    cores = os.cpu_count() or 1
    jobs = jobs or cores
    reports: list[ValidationReport] = []
    try:
        backend = cli_sandbox(settings, sandbox).sandbox
        problems = [bank.get(ref) for ref in (sorted(bank.directories()) if slug is None else [slug])]
        # Each problem grades `workers` submissions at once: together about one grade per core.
        workers = max(1, cores // max(1, min(jobs, len(problems))))
        pool = ThreadPoolExecutor(max_workers=jobs)
        try:
            runs = [
                pool.submit(validate_problem, p, settings, backend, bank.hidden_paths(), workers, seeds)
                for p in problems
            ]
            for run in runs:
                report = run.result()
                reports.append(report)
                if not json_output:
                    for line in report.lines:
                        console.print(line, highlight=False)
                    if report.mutants:
                        print_rows(*mutant_table(report))
        finally:
            # A problem the judge failed on ends the command: the problems not started yet never start.
            pool.shutdown(cancel_futures=True)
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    failures = sum(not report.ok for report in reports)
    if json_output:
        sys.stdout.write(
            json.dumps({"ok": not failures, "problems": [r.model_dump(mode="json") for r in reports]}) + "\n"
        )
    if failures:
        raise fail(f"{failures} problem(s) failed validation", 1)


def mutant_table(report: ValidationReport) -> tuple[Table, list[list[str]]]:
    """Which mutant each check catches: a row per check and a column per mutant, or the transpose when
    that is narrower and the first does not fit the terminal; the plain rows for print_rows too."""
    checks, mutants = report.checks, [m.name for m in report.mutants]

    def width(rows: list[str], columns: list[str]) -> int:
        return max(map(len, rows), default=0) + sum(len(c) + 3 for c in columns) + 4

    by_check = width(checks, mutants) <= terminal_width() or width(checks, mutants) <= width(mutants, checks)
    rows, columns = (checks, mutants) if by_check else (mutants, checks)
    corner = "check \\ mutant" if by_check else "mutant \\ check"
    table = Table(title=f"{report.slug}: mutants caught (x) by each check", expand=False)
    table.add_column(corner, no_wrap=True)
    for column in columns:
        table.add_column(column, justify="center", overflow="fold")
    plain = [[corner, *columns]]
    for row in rows:
        cells = ["x" if report.catches(*((row, c) if by_check else (c, row))) else "." for c in columns]
        idle = by_check and row in report.idle_checks
        table.add_row(f"[yellow]{row}[/]" if idle else row, *cells)
        plain.append([row, *cells])
    return table, plain


@sandbox_app.command("build")
def sandbox_build(
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="No image registry: debootstrap the base, install wheels from a host-made wheelhouse."
        ),
    ] = False,
    rebuild_base: Annotated[
        bool, typer.Option("--rebuild-base", help="With --offline: remake the debootstrapped base image too.")
    ] = False,
    if_stale: Annotated[
        bool,
        typer.Option(
            "--if-stale", help="Build only when the image is missing or holds other harness code than this judge."
        ),
    ] = False,
) -> None:
    """Build the runner image (sandbox/Dockerfile) that candidate containers run."""
    from judge.sandbox.docker import image_status
    from judge.sandbox.engine import Engine
    from judge.sandbox.image import build_image

    settings = Settings()
    try:
        if if_stale:
            status = image_status(Engine(settings), settings.sandbox.docker_image)
            if status.ok:
                console.print(f"{status.detail}: not rebuilt", highlight=False)
                return
        report = build_image(
            settings,
            offline=offline,
            rebuild_base=rebuild_base,
            log=lambda line: errors.print(line, markup=False, highlight=False),
        )
    except JudgeError as exc:
        raise fail(str(exc), EXIT_JUDGE_FAULT) from None
    console.print(
        f"built [bold]{report.image}[/] from {report.base} in {report.seconds:.0f} s ({report.size_bytes / 2**20:.0f} MiB)"
    )


@deploy_app.command("build-images")
def deploy_build_images(
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="No image registry: build on the debootstrapped base, Redis and PostgreSQL from Debian's packages too.",
        ),
    ] = False,
    if_stale: Annotated[
        bool, typer.Option("--if-stale", help="Build only the images missing or built from other sources.")
    ] = False,
) -> None:
    """Build the service image (and offline, Redis and PostgreSQL) for docker-compose.yml.

    Prints the `export` lines that point docker-compose.yml at these images: eval "$(judge deploy build-images --offline)".
    """
    from judge.sandbox.deploy import build_images, compose_environment

    settings = Settings()
    # stdout carries the export lines alone (it is eval'ed): the build's tools (pip) write to stderr.
    sys.stdout.flush()
    exports = os.dup(1)
    os.dup2(2, 1)
    try:
        built = build_images(
            settings,
            offline=offline,
            if_stale=if_stale,
            log=lambda line: errors.print(line, markup=False, highlight=False),
        )
    except JudgeError as exc:
        raise fail(str(exc), EXIT_JUDGE_FAULT) from None
    finally:
        sys.stdout.flush()
        os.dup2(exports, 1)
        os.close(exports)
    for image in built:
        errors.print(
            f"{image.image}: " + (f"built in {image.seconds:.0f} s" if image.built else "up to date"),
            markup=False,
            highlight=False,
        )
    for name, value in compose_environment(settings, offline).items():
        sys.stdout.write(f"export {name}={shlex.quote(value)}\n")


@sandbox_app.command("doctor")
def sandbox_doctor(
    quick: Annotated[
        bool, typer.Option("--quick", help="Only the availability checks; start no candidate process.")
    ] = False,
) -> None:
    """Say which sandbox backends work on this machine and why not the others, and which one the service and
    the CLI would use. Exits 1 when the service would refuse to start."""
    from judge.sandbox.doctor import decide, diagnose

    settings = Settings()
    reports = diagnose(settings, smoke=not quick)
    table = Table(title="sandbox backends")
    for column in ("backend", "works", "why"):
        table.add_column(column, overflow="fold")
    for r in reports:
        detail = "\n".join([r.detail, *r.notes])
        table.add_row(r.name, "[green]yes[/]" if r.ok else "[red]no[/]", detail)
    console.print(table)
    source = "auto" if settings.sandbox.backend == "auto" else f"JUDGE_SANDBOX={settings.sandbox.backend}"
    service = decide(reports, "service", settings.sandbox.backend)
    cli = decide(reports, "cli", settings.sandbox.backend)
    for who, decision, refusing in (
        ("service (judge serve, judge worker)", service, "refuses to start"),
        ("CLI (judge grade, judge problems validate)", cli, "refuses to grade"),
    ):
        verdict = f"uses [bold]{decision.backend}[/]" if decision.backend else f"[red]{refusing}[/]"
        console.print(f"{who}, {source}: {verdict}", highlight=False, soft_wrap=True)
        console.print(f"  why: {decision.why}", markup=False, highlight=False, soft_wrap=True)
    if service.backend is None:
        raise typer.Exit(1)


@sandbox_app.command("reap")
def sandbox_reap() -> None:
    """Remove candidate containers left behind by a judge that died."""
    from judge.limits import stale_after_s
    from judge.sandbox import reaper
    from judge.sandbox.engine import Engine

    settings = Settings()
    try:
        removed = reaper.reap(Engine(settings), stale_after_s=stale_after_s(settings))
    except JudgeError as exc:
        raise fail(str(exc), EXIT_JUDGE_FAULT) from None
    console.print(f"removed {len(removed)} leftover container(s)")


SERVICE_SANDBOX_HELP = (
    "Sandbox backend (default: settings.sandbox.backend): auto takes docker, else bwrap, and refuses to start without either;"
    " process only by name, for trusted code only."
)

#: Open event streams and long polls get this long to finish when `judge serve` is stopped.
GRACEFUL_SHUTDOWN_S = 5
#: Where `judge serve` leaves the first admin key when no terminal is there to show it (under data_dir).
FIRST_ADMIN_KEY_FILE = "first-admin-key"

keys_app = typer.Typer(help="Create, list and revoke the service's API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _service_sessions(settings: Settings):
    """Sessions on the service's database, migrated to the current schema."""
    from judge.storage.db import make_engine, migrate, session_factory

    engine = make_engine(settings)
    migrate(engine)
    return session_factory(engine)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: settings.service.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: settings.service.port).")] = None,
    sandbox: Annotated[str | None, typer.Option(help=SERVICE_SANDBOX_HELP)] = None,
) -> None:
    """Run the HTTP service. Embedded defaults: SQLite under the data dir and in-process grading threads.

    Refuses to start when no sandbox that contains candidate code works here, unless the process
    sandbox is asked for by name. On first start with no admin key, one is created and printed once."""
    import uvicorn

    from judge.app.factory import create_app
    from judge.storage import keys
    from judge.storage.models import Role

    configure_logs()
    settings = Settings()
    listen = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if listen:
        settings = settings.model_copy(update={"service": settings.service.model_copy(update=listen)})
    if sandbox is not None:
        settings = settings.model_copy(update={"sandbox": settings.sandbox.model_copy(update={"backend": sandbox})})
    # Before anything is created: a service that cannot contain candidate code does not start.
    try:
        backend = service_sandbox(settings)
    except SandboxUnavailable as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    sessions = _service_sessions(settings)
    with sessions() as session:
        if not keys.has_admin(session):
            new = keys.create_key(session, Role.ADMIN, "bootstrap admin (judge serve)")
            hand_over_first_key(new.secret, settings)
    # The embedded graders grade and validate uploaded problems in it; with Celery, readiness inspects it.
    application = create_app(settings, sandbox_factory=lambda _s: backend)
    base = f"http://{settings.service.host}:{settings.service.port}"
    console.print(
        f"judge serving on {base} ({settings.queue.backend} queue); API docs at {base}/api/v1/docs\n"
        f"submit with:\n  curl -H 'Authorization: Bearer <key>' -F problem=vae-mnist -F file=@solution.py {base}/api/v1/submissions",
        highlight=False,
        soft_wrap=True,
    )
    uvicorn.run(
        application,
        host=settings.service.host,
        port=settings.service.port,
        log_level="info",
        log_config=uvicorn_log_config(),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


def hand_over_first_key(secret: str, settings: Settings) -> None:
    """Show the first admin key on an interactive terminal; otherwise (a container, a redirected
    stdout: logs that others read and keep) write it to a file only its owner can read, and say where."""
    if sys.stdout.isatty():
        console.print(f"created an admin API key; it is shown only this once:\n  [bold]{secret}[/]", highlight=False)
        return
    path = Path(settings.storage.data_dir) / FIRST_ADMIN_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    # A file left by an earlier start may have looser permissions: O_CREAT's mode applies only to new files.
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    console.print(
        f"created an admin API key; stdout is not a terminal, so it was written to {path.resolve()} (mode 0600)",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def worker(
    hostname: Annotated[
        str | None, typer.Option(help="The Celery worker's node name (default: judge-<host>-<pid>@<host>).")
    ] = None,
    sandbox: Annotated[str | None, typer.Option(help=SERVICE_SANDBOX_HELP)] = None,
) -> None:
    """Run a Celery worker grading submissions from Redis (settings.queue.backend = celery, settings.queue.redis_url).

    Refuses to start when no sandbox that contains candidate code works here, unless the process
    sandbox is asked for by name."""
    from judge.bank.packages import with_uploads
    from judge.queue.celery_app import run_worker
    from judge.sandbox.select import choose_sandbox

    configure_logs()
    redact_celery_logs()
    settings = Settings()
    if sandbox is not None:
        settings = settings.model_copy(update={"sandbox": settings.sandbox.model_copy(update={"backend": sandbox})})
    # Before anything is created: a worker that cannot contain candidate code does not start.
    try:
        service_sandbox(settings)
    except SandboxUnavailable as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    # Each worker process makes its own, by the same rules (settings.sandbox.backend carries the name).
    run_worker(with_uploads(settings), choose_sandbox, hostname=hostname)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="admin, team or candidate.")],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")] = "",
    team: Annotated[
        str | None,
        typer.Option(
            help="The team a team key belongs to: its keys share assessments and private problems (default: a team of its own)."
        ),
    ] = None,
) -> None:
    """Create an API key and print it; it is shown only this once."""
    from judge.storage import keys
    from judge.storage.models import Role

    try:
        chosen = Role(role)
    except ValueError:
        raise fail(f"unknown role {role!r} (choose from admin, team, candidate)", EXIT_BAD_INPUT) from None
    with _service_sessions(Settings())() as session:
        new = keys.create_key(session, chosen, name or f"{chosen.value} key", team=team)
    errors.print(f"created {chosen.value} key {new.row.id}; it is shown only this once:", highlight=False)
    sys.stdout.write(new.secret + "\n")


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (ids, roles and names; never the secrets)."""
    from judge.storage import keys

    table = Table()
    for column in ("id", "role", "team", "name", "created", "revoked"):
        table.add_column(column)
    with _service_sessions(Settings())() as session:
        for row in keys.list_keys(session):
            revoked = row.revoked_at.isoformat(timespec="seconds") if row.revoked_at else ""
            table.add_row(
                row.id,
                row.role,
                keys.team_of(row) or "",
                row.name,
                row.created_at.isoformat(timespec="seconds"),
                revoked,
            )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (from `judge keys list`).")]) -> None:
    """Revoke an API key; requests with it get 401 from then on."""
    from judge.storage import keys

    with _service_sessions(Settings())() as session:
        if not keys.revoke_key(session, key_id):
            raise fail(f"no live key {key_id!r}", EXIT_BAD_INPUT)
    console.print(f"revoked {key_id}")


# ---------------------------------------------------------------- a judge service, from the terminal (judge.client)

T = TypeVar("T")

ServerOption = Annotated[
    str | None,
    typer.Option("--server", help="A judge service's URL, e.g. http://127.0.0.1:8000 (default: JUDGE_SERVER_URL)."),
]
KeyOption = Annotated[str | None, typer.Option("--key", help="The API key to send (default: JUDGE_API_KEY).")]
InviteOption = Annotated[
    str | None,
    typer.Option(
        "--invite", help="A candidate's invitation token, sent instead of a key (default: JUDGE_INVITE_TOKEN)."
    ),
]
#: What `judge submit` sends as the file of a candidate (the candidate API takes text): converted as `judge grade` does.
CONVERTED_SUFFIXES = (".ipynb", ".zip")


def _remote(settings: Settings, server: str | None) -> bool:
    """Whether a problems command reads a service's bank (--server, or JUDGE_SERVER_URL) rather than the local one."""
    return bool(server or settings.client.server_url)


def _client(settings: Settings, server: str | None, key: str | None, invite: str | None) -> JudgeClient:
    """A client of the service named by the options, else by settings.client."""
    from judge.client import JudgeClient

    url = server or settings.client.server_url
    if not url:
        raise fail("give the service's URL: --server URL (or set JUDGE_SERVER_URL)", EXIT_BAD_INPUT)
    # One credential: an option beats the environment, and of the environment's, the key beats the token.
    stored_key, stored_invite = settings.client.api_key, settings.client.invite_token
    if invite or key:
        chosen_key, chosen_invite = key, (invite if not key else None)
    else:
        chosen_key = stored_key.get_secret_value() if stored_key else None
        chosen_invite = stored_invite.get_secret_value() if stored_invite and not stored_key else None
    return JudgeClient(url, api_key=chosen_key, invite_token=chosen_invite, timeout=settings.client.timeout_s)


def _as_candidate(client: JudgeClient) -> bool:
    """Whether the client calls the service as a candidate, with an invitation token."""
    return client.invite_token is not None


def remote_exit_code(exc: JudgeClientError) -> int:
    """The service refused the request (a key, problem, file or state the user can fix) exits 2; an
    unreachable, failing or overloaded service, or grading that did not finish in time, exits 3."""
    from judge.client.errors import JudgeAPIError, RateLimitedError, ServerError

    if isinstance(exc, JudgeAPIError) and not isinstance(exc, (RateLimitedError, ServerError)):
        return EXIT_BAD_INPUT
    return EXIT_JUDGE_FAULT


def remote_failure(exc: JudgeClientError, path: Path | None = None) -> typer.Exit:
    """Say on stderr in one line why the service call failed (a file it refused as not compiling: where,
    as `judge grade` says it); the Exit to raise."""
    from judge.client.errors import UnauthorizedError, UnprocessableError

    if isinstance(exc, UnprocessableError) and path is not None and exc.problem.syntax_error is not None:
        return compile_failure(path, exc.problem.syntax_error)
    message = str(exc)
    if isinstance(exc, UnauthorizedError):
        message += " (send a valid key: --key or JUDGE_API_KEY; a candidate: --invite)"
    return fail(message, remote_exit_code(exc))


def _call(action: Callable[[], T], path: Path | None = None) -> T:
    """`action`'s answer; a failed call exits as remote_failure says."""
    from judge.client.errors import JudgeClientError

    try:
        return action()
    except JudgeClientError as exc:
        raise remote_failure(exc, path) from None


@app.command()
def submit(
    problem: Annotated[str, typer.Argument(help="The problem's slug on the service.")],
    file: Annotated[
        Path, typer.Argument(help="The file to submit: .py, .ipynb, a .zip of a problem's files, a quiz's .json.")
    ],
    server: ServerOption = None,
    key: KeyOption = None,
    invite: InviteOption = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print exactly one JSON object: the graded submission.")
    ] = False,
) -> None:
    """Submit a file to a judge service and show each check as the service grades it, like `judge grade`;
    exits as it does: 0 once graded, 2 for a file that does not compile or a request the service refuses
    (401, 404, 413, 422), 3 when the service cannot be reached or fails to grade."""
    settings = Settings()
    if not file.is_file():
        raise fail(f"cannot read {file}: no such file", EXIT_BAD_INPUT)
    with _client(settings, server, key, invite) as client:
        if _as_candidate(client):
            _submit_candidate(client, problem, file, settings, json_output)
            return
        accepted = _call(lambda: client.submit(problem, file), file)
        if json_output:
            view = _call(lambda: client.wait(accepted.id, timeout=settings.client.wait_s))
        else:
            view = _follow(client, accepted.id, problem, settings.client.wait_s)
    if json_output:
        sys.stdout.write(view.model_dump_json() + "\n")
    result = view.result
    if result is not None and result.compile_error is not None:
        raise compile_failure(file, result.compile_error)
    if result is None or view.verdict is Verdict.INTERNAL_ERROR:
        raise fail(f"the judge failed to grade {file}: {view.error or view.status.value}", EXIT_JUDGE_FAULT)
    if not json_output:
        show_result(result)


def _follow(client: JudgeClient, submission_id: str, label: str, wait_s: float) -> SubmissionView:
    """The submission once finished, its checks shown live from the service's events as they come."""
    from judge.client import CheckEvent

    finished: list[CheckResult] = []
    attempt = 0
    with Live(checks_table(f"{label}: grading…", finished), console=console, transient=True) as live:
        for event in _call(lambda: client.events(submission_id, timeout=wait_s)):
            if not isinstance(event, CheckEvent):
                return event.submission
            if event.attempt != attempt:  # graded again (a worker died): its checks come again
                finished.clear()
                attempt = event.attempt
            finished.append(event.check)
            live.update(checks_table(f"{label}: grading…", finished))
    raise fail("the event stream ended before the result", EXIT_JUDGE_FAULT)


def _submit_candidate(client: JudgeClient, problem: str, file: Path, settings: Settings, json_output: bool) -> None:
    """`judge submit --invite`: one attempt of the candidate's assessment, shown as its feedback level allows."""
    from judge.client import CandidateCheckEvent

    raw = file.read_bytes()
    if file.suffix.lower() in CONVERTED_SUFFIXES:
        names = _call(lambda: client.candidate_problem(problem)).files
        try:
            raw = bundle.upload_source(
                file.name,
                raw,
                names,
                max_source_bytes=settings.limits.max_source_bytes,
                max_upload_bytes=settings.limits.max_upload_bytes,
            )
        except JudgeError as exc:
            raise fail(f"{file}: {exc}", exit_code_for(exc)) from None
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise fail(f"{file}: not UTF-8 text", EXIT_BAD_INPUT) from None
    entry = _call(lambda: client.candidate_submit(problem, source), file)
    view = entry
    if json_output:
        view = _call(lambda: client.candidate_wait(entry.id, timeout=settings.client.wait_s))
    else:
        finished: list[CheckResult] = []
        with Live(checks_table(f"{problem}: grading…", finished), console=console, transient=True) as live:
            for event in _call(lambda: client.candidate_events(entry.id, timeout=settings.client.wait_s)):
                if not isinstance(event, CandidateCheckEvent):
                    view = event.submission
                    break
                if event.check is not None:
                    c = event.check
                    finished.append(
                        CheckResult(
                            id=c.id,
                            category="",
                            outcome=c.outcome,
                            points=c.points,
                            max_points=c.max_points,
                            message=c.message or "",
                        )
                    )
                live.update(checks_table(f"{problem}: grading…", finished))
    if json_output:
        sys.stdout.write(view.model_dump_json() + "\n")
    if view.compile_error is not None:
        raise compile_failure(file, view.compile_error)
    if view.verdict is Verdict.INTERNAL_ERROR or view.status.value == "failed":
        raise fail(f"the judge failed to grade {file}", EXIT_JUDGE_FAULT)
    if not json_output:
        _show_candidate_result(problem, view)


def _show_candidate_result(problem: str, view: CandidateSubmissionView) -> None:
    """A candidate's graded attempt: its checks (when the feedback level shows them), verdict and score."""
    checks = [
        CheckResult(
            id=c.id, category="", outcome=c.outcome, points=c.points, max_points=c.max_points, message=c.message or ""
        )
        for c in view.checks or []
    ]
    if checks:
        print_rows(
            checks_table(problem, checks),
            [[r.id, r.category, r.outcome.value, f"{r.points:g}/{r.max_points:g}", r.message] for r in checks],
        )
    verdict = f"verdict: [bold]{view.verdict.value}[/]   " if view.verdict is not None else ""
    score = f"{view.score:g}/{view.max_score:g}" if view.score is not None else f"-/{view.max_score:g}"
    console.print(f"{verdict}score: [bold]{score}[/]   attempt {view.number}", highlight=False)
    if view.withheld:
        console.print(view.withheld, highlight=False, markup=False)


@problems_app.command("starter")
def problems_starter(
    slug: Annotated[str, typer.Argument(help="The problem's slug on the service.")],
    server: ServerOption = None,
    key: KeyOption = None,
    invite: InviteOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write it (default: the file name the service gives)."),
    ] = None,
    format: Annotated[str, typer.Option(help="py (JSON for a quiz), ipynb or zip.")] = "py",
) -> None:
    """Download a problem's starter from a judge service, to work on offline and then `judge submit`."""
    from judge.app.starters import StarterFormat

    settings = Settings()
    try:
        chosen = StarterFormat(format)
    except ValueError:
        raise fail(f"unknown format {format!r} (choose from py, ipynb, zip)", EXIT_BAD_INPUT) from None
    with _client(settings, server, key, invite) as client:
        if _as_candidate(client):
            starter = _call(lambda: client.candidate_starter(slug, chosen))
        else:
            starter = _call(lambda: client.starter(slug, chosen))
    path = output or Path(starter.filename)
    if output is None and path.exists():
        raise fail(f"{path} exists; name another file with -o", EXIT_BAD_INPUT)
    try:
        path.write_bytes(starter.content)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror}", EXIT_BAD_INPUT) from None
    console.print(
        f"wrote {path} ({len(starter.content)} bytes); submit it with: judge submit {slug} {path} --server {client.base_url}",
        highlight=False,
        soft_wrap=True,
    )


@problems_app.command("export")
def problems_export(
    slug: Annotated[str, typer.Argument(help="The problem's slug or directory.")],
    export_format: Annotated[str, typer.Option("--format", help="The export format: gradescope.")] = "gradescope",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The zip to write (default: SLUG-gradescope.zip).")
    ] = None,
    hidden_visibility: Annotated[
        str,
        typer.Option(
            help="When Gradescope shows students the hidden checks' results: after_published, after_due_date, "
            "hidden or visible (public checks are always visible)."
        ),
    ] = "after_published",
) -> None:
    """Write a Gradescope autograder zip that grades the problem with this judge's harness."""
    from judge.bank.gradescope import ResultVisibility, export

    if export_format != "gradescope":
        raise fail(f"unknown export format {export_format!r}; the one format is gradescope", EXIT_BAD_INPUT)
    try:
        visibility = ResultVisibility(hidden_visibility)
    except ValueError:
        choices = ", ".join(v.value for v in ResultVisibility)
        raise fail(f"--hidden-visibility must be one of {choices}", EXIT_BAD_INPUT) from None
    settings = Settings()
    try:
        problem = ProblemBank(settings).get(slug)
        dest = output or Path(f"{problem.slug}-gradescope.zip")
        export(problem, dest, visibility, log=lambda line: errors.print(line, markup=False, highlight=False))
    except JudgeError as exc:
        raise fail(str(exc), exit_code_for(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}", EXIT_BAD_INPUT) from None
    console.print(f"wrote {dest} ({dest.stat().st_size} bytes)", highlight=False)

"""Grading one submission, top to bottom: prepare workspace, run in sandbox, collect, score."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from judge import bundle
from judge.errors import InvalidSubmission, SandboxFault, SourceTooLarge
from judge.harness import isolation
from judge.harness.events import CheckEvent
from judge.harness.session import RunnerConfig
from judge.limits import candidate_policy, run_limits, runner_deadline_s
from judge.problem import CheckSpec, Kind, Problem, Visibility
from judge.quiz import grade_quiz, parse_answers
from judge.result import CheckResult, GradeResult, Outcome
from judge.sandbox.base import Sandbox, SandboxJob
from judge.scoring import check_results, compile_error, score
from judge.settings import Settings
from judge.workspace import Workspace, fill_workspace, prepare_workspace

CheckCallback = Callable[[CheckResult], None]
#: What judge.harness.runner writes to its stderr, after the checks' own output, before the
#: candidate's captured stdout and stderr.
CANDIDATE_OUTPUT_MARKER = "--- candidate output ---\n"


@dataclass(frozen=True)
class Graded:
    """A grade and what the candidate's code printed while it was graded (capped; "" for a quiz)."""

    result: GradeResult
    output: str


def grade_submission(
    problem: Problem,
    source: bytes,
    settings: Settings,
    sandbox: Sandbox,
    hidden: Sequence[Path],
    on_check: CheckCallback | None = None,
) -> GradeResult:
    """Grade one submission file's bytes against `problem` (the version the caller loaded); candidate
    code sees none of `hidden` (the bank's directories)."""
    return grade_checks(problem, source, settings, sandbox, hidden, on_check).result


def grade_checks(
    problem: Problem,
    source: bytes,
    settings: Settings,
    sandbox: Sandbox,
    hidden: Sequence[Path],
    on_check: CheckCallback | None = None,
    *,
    public_only: bool = False,
    seed: int = 0,
) -> Graded:
    """Grade as `grade_submission` does, keeping the candidate's printed output; with `public_only`
    (a Run) only the problem's public checks are copied in and run, and the result counts only them.
    `seed` is the run's seed (RunnerConfig.seed): every grade uses 0; validation varies it to measure
    the reference's margins."""
    text = decode_source(source, settings)
    if problem.spec.kind is Kind.QUIZ:
        return Graded(grade_answers(problem, text), "")
    if problem.spec.files:
        try:
            bundle.unpack(text, problem.file_names)
        except InvalidSubmission as exc:
            return Graded(_unreadable(problem, exc), "")
    # Checked before a sandbox is taken: a file that does not compile is reported once, at its line.
    syntax = bundle.syntax_problem(text, problem.file_names)
    if syntax is not None:
        return Graded(compile_error(problem, syntax), "")
    specs = public_checks(problem) if public_only else problem.check_specs
    slot = sandbox.take_slot()
    if slot is None:
        uid = isolation.pick_run_uid() if sandbox.drops_privileges else None
        workspace = prepare_workspace(problem, source, uid, public_only=public_only)
    else:
        # A warm sandbox: its workspace is mounted already, its processes wait for this job.
        uid, workspace = slot.uid, slot.workspace
        fill_workspace(workspace, problem, source, public_only=public_only)
    epoch = sandbox.engine_epoch()
    try:
        job = build_job(problem, workspace, settings, uid, hidden, specs, seed=seed)
        run = (slot or sandbox).run(job, _forward(specs, on_check))
    finally:
        if slot is not None:
            slot.discard()
        workspace.remove()
    after = sandbox.engine_epoch()
    if after != epoch:
        # Its containers died with the engine: what the checks saw says nothing of the submission.
        raise SandboxFault(f"the sandbox engine stopped or restarted during the grade ({epoch} -> {after})")
    results = check_results(specs, run.events, run.timed_out)
    graded = score(problem, results, memory_hit=any(e.limit == "memory" for e in run.events))
    return Graded(graded, candidate_output(run.output, settings.limits.output_cap_bytes))


def public_checks(problem: Problem) -> list[CheckSpec]:
    """The checks a candidate may see and run: what a Run grades."""
    return [c for c in problem.check_specs if c.visibility is Visibility.PUBLIC]


def candidate_output(runner_output: str, cap_bytes: int) -> str:
    """The candidate's own printed output from the runner's stderr (the checks' pytest output before
    the marker is left out), at most `cap_bytes` of UTF-8."""
    _, marker, printed = runner_output.partition(CANDIDATE_OUTPUT_MARKER)
    if not marker:
        return ""
    # The runner ends the section with one newline of its own.
    printed = printed.removesuffix("\n")
    data = printed.encode("utf-8")
    if len(data) <= cap_bytes:
        return printed
    return data[:cap_bytes].decode("utf-8", "ignore") + f"\n[output cut: {len(data)} bytes in all]"


def decode_source(source: bytes, settings: Settings) -> str:
    """The submission as text; SourceTooLarge (an InvalidSubmission) over settings.limits.max_source_bytes,
    InvalidSubmission when it is not UTF-8 or holds a NUL character."""
    if len(source) > settings.limits.max_source_bytes:
        raise SourceTooLarge(f"submission is {len(source)} bytes; the limit is {settings.limits.max_source_bytes}")
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidSubmission(f"submission is not UTF-8 text (byte {exc.start})") from exc
    nul = text.find("\0")
    if nul >= 0:
        # Neither Python nor JSON source may hold one: it is a binary file, refused before it is stored.
        raise InvalidSubmission(f"submission holds a NUL character (character {nul}); it is not a text file")
    return text


def grade_answers(problem: Problem, text: str) -> GradeResult:
    """Quiz problems need no sandbox: the answers are data, graded against the hidden key."""
    try:
        answers = parse_answers(text)
    except InvalidSubmission as exc:
        return _unreadable(problem, exc)
    # load_problem gives every quiz-kind problem its quiz.
    assert problem.quiz is not None
    return score(problem, grade_quiz(problem.quiz, answers))


def _unreadable(problem: Problem, exc: InvalidSubmission) -> GradeResult:
    """Every check an error saying why the submission could not be read (quiz answers, a bundle of files)."""
    results = [
        CheckResult(
            id=c.id,
            category=c.category,
            outcome=Outcome.ERROR,
            points=0,
            max_points=c.points,
            message=str(exc)[:300],
        )
        for c in problem.check_specs
    ]
    return score(problem, results)


def build_job(
    problem: Problem,
    workspace: Workspace,
    settings: Settings,
    uid: int | None,
    hidden: Sequence[Path],
    specs: Sequence[CheckSpec] | None = None,
    *,
    seed: int = 0,
) -> SandboxJob:
    """The runner's configuration for this submission, running `specs` (default: every check), limits
    clamped to the server's maxima; the candidate sees none of `hidden`, nor the directory holding the
    problem's package."""
    limits = run_limits(problem.spec.limits, settings)
    policy = candidate_policy(
        settings, workspace, uid, limits.memory_mb, limits.run_timeout_s, [*hidden, problem.root.parent]
    )
    config = RunnerConfig(
        checks_dir=str(workspace.checks_dir),
        ini_path=str(workspace.ini_path),
        probes_path=str(workspace.probes_path),
        candidate_dir=str(workspace.candidate_dir),
        entrypoint=problem.spec.entrypoint,
        check_ids=[c.id for c in (problem.check_specs if specs is None else specs)],
        check_timeout_s=limits.check_timeout_s,
        run_timeout_s=limits.run_timeout_s,
        policy=policy,
        output_cap_bytes=settings.limits.output_cap_bytes,
        seed=seed,
    )
    return SandboxJob(
        workspace=workspace, config=config, wall_timeout_s=runner_deadline_s(limits.run_timeout_s), problem=problem.slug
    )


def _forward(checks: Sequence[CheckSpec], on_check: CheckCallback | None) -> Callable[[CheckEvent], None] | None:
    if on_check is None:
        return None
    specs = {c.id: c for c in checks}

    def forward(event: CheckEvent) -> None:
        spec = specs.get(event.id)
        if spec is not None:
            on_check(check_results([spec], [event], timed_out=False)[0])

    return forward

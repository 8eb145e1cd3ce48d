"""Offline batch grading: every candidate's file in a directory or .zip, graded in parallel, one report.

Layout of the directory (or of the archive's root; a single wrapping folder is looked through):
- one file per candidate, named after the candidate with the problem's entrypoint extension
  (`alice.py`, `bob.py`; `.json` for quizzes): the candidate is the file's stem;
- or one sub-directory per candidate holding the problem's entrypoint file (`alice/solution.py`):
  the candidate is the directory's name, and only the entrypoint file is graded; for a problem of
  several files, every file it declares (`alice/train.py`, `alice/model.py`), packed (judge.bundle);
- a Jupyter notebook per candidate (`alice.ipynb`) for a code problem of one file: its code cells.
Hidden entries, other files and symbolic links are skipped. Archives are read in memory, never
extracted: no member can be written anywhere, and each read stops at the submission size limit.
"""

from __future__ import annotations

import stat
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field

from judge import bundle
from judge.errors import InvalidSubmission, SandboxFault
from judge.grading import decode_source, grade_submission
from judge.integrity import IntegrityFlag, flag_source
from judge.notebook import SUFFIX as NOTEBOOK_SUFFIX
from judge.problem import Problem
from judge.result import GradeResult, Outcome, Verdict
from judge.sandbox.base import Sandbox
from judge.settings import Settings
from judge.similarity import LineRange, SimilarPair, similar_pairs

#: Names that archivers and desktops add beside real files.
JUNK_NAMES = ("__MACOSX", "Thumbs.db", "desktop.ini")


class InvalidBatch(InvalidSubmission):
    """A directory or archive of submissions that cannot be graded as a batch (bad input, exit 2)."""


class Submission(BaseModel):
    """One candidate's file, as found in the batch."""

    candidate: str
    origin: str = Field(description="Where the file was found, relative to the batch (for messages).")
    source: bytes
    text: str | None = Field(default=None, description="The source as text, once `checked` passed it.")
    error: str | None = Field(default=None, description="Why `checked` found the source ungradable (size, not text).")


def checked(submission: Submission, settings: Settings) -> Submission:
    """The submission with its source size-checked and decoded once: its text, or the error that leaves it
    ungraded (one found while collecting it stays; an empty or blank file is one). Grading, integrity flags and
    similarity all read the result."""
    if submission.error is not None:
        return submission
    if not submission.source.strip():
        return submission.model_copy(update={"error": "the file is empty; nothing to grade"})
    try:
        return submission.model_copy(update={"text": decode_source(submission.source, settings)})
    except InvalidSubmission as exc:
        cause = exc.__cause__
        if isinstance(cause, UnicodeDecodeError):
            # Said with the fix: a person reads this next to the file's name.
            return submission.model_copy(update={"error": f"not UTF-8 (byte {cause.start}); save it as UTF-8"})
        return submission.model_copy(update={"error": str(exc)})


class SimilarMatch(BaseModel):
    """Another candidate whose submission is flagged as similar to this one."""

    candidate: str
    score: float
    lines: list[LineRange] = Field(
        default_factory=list, description="Where in this candidate's file the shared code is."
    )

    def __str__(self) -> str:
        return f"{self.candidate} ({self.score:.2f})"


class CandidateReport(BaseModel):
    """One row of a batch report: a candidate's grade, integrity flags and similar submissions."""

    candidate: str
    file: str
    score: float | None = Field(
        description="None only when the judge failed to grade the file (verdict internal_error)."
    )
    max_score: float
    verdict: Verdict | None = Field(description="None when the file could not be graded at all (see error).")
    error: str = Field(default="", description="Why the file was not graded, or where it does not compile.")
    time_s: float = Field(description="Wall-clock seconds spent grading this file, retries included.")
    checks: dict[str, Outcome] = Field(default_factory=dict)
    flags: list[IntegrityFlag] = Field(default_factory=list)
    similar: list[SimilarMatch] = Field(default_factory=list)


class BatchReport(BaseModel):
    """The whole batch: one row per candidate (sorted by name) and every flagged similar pair."""

    problem: str
    similarity_threshold: float
    candidates: list[CandidateReport]
    similar_pairs: list[SimilarPair]

    @property
    def judge_failed(self) -> bool:
        """Whether any file was left ungraded by a fault of the judge (the run should exit non-zero)."""
        return any(c.verdict is Verdict.INTERNAL_ERROR for c in self.candidates)


ReportCallback = Callable[[CandidateReport], None]


def is_batch(path: Path) -> bool:
    """Whether a submission path names a batch (a directory, or a .zip file) rather than one file."""
    return path.is_dir() or (path.suffix.lower() == ".zip" and path.is_file())


def holds_one_submission(path: Path, names: Sequence[str]) -> bool:
    """Whether a .zip given to `judge grade` is one candidate's files rather than a batch: for a problem
    of several files, a zip with the entrypoint at its top or in its only folder."""
    if len(names) == 1 or path.is_dir():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            paths = [p for p in (_safe_parts(i) for i in archive.infolist()) if p is not None]
    except (zipfile.BadZipFile, OSError):
        return False
    tops = {p[0] for p in paths}
    return (names[0],) in paths or (len(tops) == 1 and (*tops, names[0]) in paths)


def collect_submissions(
    path: Path, entrypoint: str, settings: Settings, others: Sequence[str] = ()
) -> list[Submission]:
    """Every candidate's submission in a directory or .zip, sorted by candidate; InvalidBatch if none or
    ambiguous. `others`: the problem's files besides the entrypoint, read from each candidate's folder."""
    names = [entrypoint, *others]
    found = _read_zip(path, names, settings) if path.is_file() else _read_directory(path, names, settings)
    if not found:
        extension = PurePosixPath(entrypoint).suffix
        raise InvalidBatch(
            f"no submissions in {path}: expected one *{extension} file per candidate, or one directory per candidate holding {entrypoint}"
        )
    by_candidate: dict[str, Submission] = {}
    for submission in found:
        clash = by_candidate.get(submission.candidate)
        if clash is not None:
            raise InvalidBatch(
                f"two submissions for candidate {submission.candidate!r}: {clash.origin} and {submission.origin}"
            )
        by_candidate[submission.candidate] = submission
    if len(by_candidate) > settings.batch.max_submissions:
        raise InvalidBatch(
            f"{path} holds {len(by_candidate)} submissions; the limit is {settings.batch.max_submissions}"
        )
    return [by_candidate[name] for name in sorted(by_candidate)]


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in JUNK_NAMES


def _read_directory(root: Path, names: Sequence[str], settings: Settings) -> list[Submission]:
    entrypoint = names[0]
    extension = PurePosixPath(entrypoint).suffix
    found = []
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        raise InvalidBatch(f"cannot read {root}: {exc.strerror}") from None
    for entry in entries:
        # Links could point anywhere on the host; a batch is the files that are really in it.
        if _skipped(entry.name) or entry.is_symlink():
            continue
        if entry.is_file() and entry.suffix == extension:
            found.append(Submission(candidate=entry.stem, origin=entry.name, source=_read_capped(entry, settings)))
        elif entry.is_file() and entry.suffix == NOTEBOOK_SUFFIX and extension == ".py":
            raw = _read_capped(entry, settings, settings.limits.max_upload_bytes)
            found.append(_converted(entry.stem, entry.name, raw, names, settings))
        elif entry.is_dir():
            file = entry / entrypoint
            if file.is_file() and not file.is_symlink():
                files = {
                    name: _read_capped(entry / name, settings)
                    for name in names
                    if (entry / name).is_file() and not (entry / name).is_symlink()
                }
                found.append(_folder(entry.name, f"{entry.name}/{entrypoint}", files, names, settings))
    return found


def _converted(candidate: str, origin: str, raw: bytes, names: Sequence[str], settings: Settings) -> Submission:
    """A candidate's notebook as the source it stands for; the conversion's refusal is its error."""
    try:
        source = bundle.upload_source(
            origin,
            raw,
            names,
            max_source_bytes=settings.limits.max_source_bytes,
            max_upload_bytes=settings.limits.max_upload_bytes,
        )
    except InvalidSubmission as exc:
        return Submission(candidate=candidate, origin=origin, source=raw, error=str(exc))
    return Submission(candidate=candidate, origin=origin, source=source)


def _folder(
    candidate: str, origin: str, files: dict[str, bytes], names: Sequence[str], settings: Settings
) -> Submission:
    """A candidate's folder: the entrypoint alone, or every declared file packed; a missing or unreadable
    file is its error."""
    if len(names) == 1:
        return Submission(candidate=candidate, origin=origin, source=files[names[0]])
    try:
        texts = {name: decode_source(data, settings) for name, data in files.items()}
        source = bundle.pack(texts, names).encode("utf-8")
    except InvalidSubmission as exc:
        return Submission(candidate=candidate, origin=origin, source=files[names[0]], error=str(exc))
    return Submission(candidate=candidate, origin=origin, source=source)


def _read_capped(path: Path, settings: Settings, limit: int | None = None) -> bytes:
    # One byte over the limit is enough for grading to refuse the file with its size.
    try:
        with path.open("rb") as f:
            return f.read((limit or settings.limits.max_source_bytes) + 1)
    except OSError as exc:
        raise InvalidBatch(f"cannot read {path}: {exc.strerror}") from None


def _read_zip(path: Path, names: Sequence[str], settings: Settings) -> list[Submission]:
    entrypoint = names[0]
    size = path.stat().st_size
    if size > settings.batch.max_archive_bytes:
        raise InvalidBatch(
            f"{path} is {size} bytes; the limit for an archive of submissions is {settings.batch.max_archive_bytes}"
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidBatch(f"{path} is not a readable zip archive ({exc})") from None
    with archive:
        members = {}
        for info in archive.infolist():
            parts = _safe_parts(info)
            if parts is not None:
                members[parts] = info
        prefix = _wrapper(list(members), entrypoint)
        extension = PurePosixPath(entrypoint).suffix
        found = []
        for parts, info in sorted(members.items()):
            inner = parts[len(prefix) :] if parts[: len(prefix)] == prefix else None
            if inner is None:
                continue
            suffix = PurePosixPath(inner[0]).suffix
            if len(inner) == 1 and suffix == extension:
                candidate = PurePosixPath(inner[0]).stem
                found.append(
                    Submission(
                        candidate=candidate,
                        origin="/".join(parts),
                        source=_member(archive, info, path, settings.limits.max_source_bytes),
                    )
                )
            elif len(inner) == 1 and suffix == NOTEBOOK_SUFFIX and extension == ".py":
                raw = _member(archive, info, path, settings.limits.max_upload_bytes)
                found.append(_converted(PurePosixPath(inner[0]).stem, "/".join(parts), raw, names, settings))
            elif len(inner) == 2 and inner[1] == entrypoint:
                folder = parts[:-1]
                files = {
                    name: _member(archive, members[(*folder, name)], path, settings.limits.max_source_bytes)
                    for name in names
                    if (*folder, name) in members
                }
                found.append(_folder(inner[0], "/".join(parts), files, names, settings))
    return found


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, limit: int) -> bytes:
    """A member's bytes, one past `limit` at most (enough for grading to refuse it with its size)."""
    try:
        with archive.open(info) as f:
            return f.read(limit + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise InvalidBatch(f"cannot read {info.filename} from {path} ({exc})") from None


def _safe_parts(info: zipfile.ZipInfo) -> tuple[str, ...] | None:
    """The member's path components, or None for anything not to be read: folders, links, encrypted or unsafe names."""
    if info.is_dir() or info.flag_bits & 0x1:
        return None
    # Unix archivers store the file type in the high bits; zero means no type recorded (Windows, zipfile.writestr).
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind and kind != stat.S_IFREG:
        return None
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if not parts or ".." in parts or any(_skipped(p) for p in parts):
        return None
    return parts


def _wrapper(paths: list[tuple[str, ...]], entrypoint: str) -> tuple[str, ...]:
    """The folder every member sits in when an archive wraps the batch in one (zip of `submissions/`)."""
    prefix: tuple[str, ...] = ()
    while paths and all(len(p) > len(prefix) + 1 for p in paths):
        top = {p[len(prefix)] for p in paths}
        # A single folder holding the entrypoint itself is one candidate's, not a wrapper.
        if len(top) != 1 or any(len(p) == len(prefix) + 2 and p[-1] == entrypoint for p in paths):
            break
        prefix += (top.pop(),)
    return prefix


def grade_batch(
    problem: Problem,
    submissions: list[Submission],
    settings: Settings,
    sandbox: Sandbox,
    hidden: Sequence[Path],
    jobs: int,
    threshold: float,
    on_report: ReportCallback | None = None,
) -> BatchReport:
    """Grade every submission, `jobs` at a time, then flag integrity and similarity; rows sorted by
    candidate. Candidate code sees none of `hidden` (the bank's directories)."""
    python = problem.spec.entrypoint.endswith(".py")
    submissions = [checked(s, settings) for s in submissions]
    reports: dict[str, CandidateReport] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade")
    try:
        futures = [pool.submit(grade_one, problem, s, settings, sandbox, hidden) for s in submissions]
        for future in as_completed(futures):
            report = future.result()
            reports[report.candidate] = report
            if on_report is not None:
                on_report(report)
    finally:
        # On Ctrl-C, submissions not yet started are dropped rather than graded before the command exits.
        pool.shutdown(wait=True, cancel_futures=True)
    pairs: list[SimilarPair] = []
    if python:
        texts = {s.candidate: s.text for s in submissions if s.text is not None}
        pairs = similar_pairs(texts, problem.starter(), threshold)
        for pair in pairs:
            reports[pair.a].similar.append(SimilarMatch(candidate=pair.b, score=pair.score, lines=pair.a_lines))
            reports[pair.b].similar.append(SimilarMatch(candidate=pair.a, score=pair.score, lines=pair.b_lines))
    return BatchReport(
        problem=problem.slug,
        similarity_threshold=threshold,
        candidates=[reports[name] for name in sorted(reports)],
        similar_pairs=pairs,
    )


def grade_one(
    problem: Problem, submission: Submission, settings: Settings, sandbox: Sandbox, hidden: Sequence[Path]
) -> CandidateReport:
    """One candidate's row. A fault of the submission is its result; a sandbox fault is retried, then reported as internal_error."""
    started = time.perf_counter()
    if submission.error is not None:
        return _ungraded(problem, submission, None, submission.error, time.perf_counter() - started)
    delay, tries = settings.queue.retry_backoff_s, 0
    while True:
        tries += 1
        try:
            result = grade_submission(problem, submission.source, settings, sandbox, hidden)
            return report_row(problem, submission, result, time.perf_counter() - started)
        except SandboxFault as exc:
            if tries == settings.queue.max_tries:
                error = f"the judge failed {tries} times: {exc}"
                return _ungraded(problem, submission, Verdict.INTERNAL_ERROR, error, time.perf_counter() - started)
            time.sleep(delay)
            delay *= 2
        except Exception as exc:  # noqa: BLE001 - a bug grading one file must not lose the others' results
            error = f"the judge failed: {type(exc).__name__}: {exc}"
            return _ungraded(problem, submission, Verdict.INTERNAL_ERROR, error, time.perf_counter() - started)


def report_row(problem: Problem, submission: Submission, result: GradeResult, time_s: float) -> CandidateReport:
    """The report row of a graded submission, with its integrity flags."""
    return CandidateReport(
        candidate=submission.candidate,
        file=submission.origin,
        score=result.score,
        max_score=result.max_score,
        verdict=result.verdict,
        error=result.compile_error.headline() if result.compile_error is not None else "",
        time_s=round(time_s, 3),
        checks={check.id: check.outcome for check in result.checks},
        flags=_flags(problem, submission),
    )


def _ungraded(
    problem: Problem, submission: Submission, verdict: Verdict | None, error: str, time_s: float
) -> CandidateReport:
    # A file the judge could not grade scores nothing it could be ranked by; one it failed on has no score at all.
    return CandidateReport(
        candidate=submission.candidate,
        file=submission.origin,
        score=None if verdict is Verdict.INTERNAL_ERROR else 0.0,
        max_score=problem.max_score,
        verdict=verdict,
        error=error,
        time_s=round(time_s, 3),
        flags=_flags(problem, submission),
    )


def _flags(problem: Problem, submission: Submission) -> list[IntegrityFlag]:
    if not problem.spec.entrypoint.endswith(".py") or submission.text is None:
        return []
    return flag_source(submission.text)

"""Code playback: what a candidate did in a problem's editor, recorded by the page (static/playback.js),
replayed for the hiring team, and the facts and flags derived from it (never scored).

The recorder of each page load (its `page` id) sends batches of events: edits (a splice of one file's
text, computed from the text before and after), snapshots (every file's whole text: on load, every
~30 s of typing and after each paste), pastes (size and text, bounded) and focus changes (away: the
page hidden or the window left; back). Batches are numbered per page load, so a retried batch is stored
once. Event times are the browser's; each page load's times are moved onto the server's clock by the
smallest offset its batches measured on arrival (the one least inflated by network delay).

Replaying applies each page load's events to its own texts; the text at a moment is that of the page
load that changed last. Packed as the editor packs it (judge/web/static/editor.js: one editor's text,
or each file under its marker line), it is what a Submit at that moment sends.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy.orm import Session

from judge import bundle
from judge.assessments import clock, service
from judge.assessments.attempts import Attempt, compared, load_attempts
from judge.assessments.errors import PlaybackFull
from judge.assessments.events_summary import (
    AwaySpan,
    EventsSummary,
    FlagEvidence,
    PasteFact,
    PlaybackFlag,
    PlaybackFlagKind,
)
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.errors import InvalidSubmission
from judge.problem import Kind
from judge.settings import PlaybackSettings
from judge.storage import edit_logs as stored
from judge.storage.models import Assessment, AssessmentProblem, EditLog, Invitation, ScoringPolicy

#: Most characters of a paste's text kept (its size is always kept whole).
PASTE_TEXT_MAX = 20_000
#: Most events in one batch: the recorder sends every few seconds, far fewer.
BATCH_EVENTS_MAX = 5_000
#: A browser's clock, moved onto the server's by an offset that carries one network delay, may put the
#: last keystrokes before a Submit slightly after it: a submission is matched against the log this much
#: past its moment.
SUBMIT_GRACE_MS = 5_000
#: Pastes shorter than this (a name, a bracket) are not worth a flag's evidence.
PASTE_MIN_CHARS = 20
#: inputType values of the input events that are not the candidate typing.
#: A file's marker line in a packed bundle (judge/bundle.py), as editor.js tests for it.
MARKER = re.compile(r"^# ==== file: \S+ ====$", re.M)
NOT_TYPED = frozenset({"insertFromPaste", "insertFromDrop", "insertFromYank", "historyUndo", "historyRedo"})

PageId = Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{8,32}$", description="The page load's random id.")]
FileName = Annotated[str | None, Field(max_length=200, description="The file's tab; null for a one-file editor.")]
Millis = Annotated[int, Field(ge=0, description="Milliseconds since the epoch.")]


class EditEvent(BaseModel):
    """One change of one file's text: `delete` characters at `at` replaced by `insert`."""

    model_config = {"extra": "forbid"}

    type: Literal["edit"] = "edit"
    t: Millis
    file: FileName = None
    at: int = Field(ge=0)
    delete: int = Field(ge=0)
    insert: str
    input: str | None = Field(default=None, max_length=40, description="The input event's inputType.")


class FileText(BaseModel):
    """One file's whole text."""

    model_config = {"extra": "forbid"}

    file: FileName = None
    text: str


class SnapshotEvent(BaseModel):
    """Every file's whole text, in the editor's order."""

    model_config = {"extra": "forbid"}

    type: Literal["snapshot"] = "snapshot"
    t: Millis
    reason: Literal["load", "periodic", "paste"]
    files: list[FileText] = Field(min_length=1, max_length=64)


class PasteEvent(BaseModel):
    """A paste into the editor: its size in characters, and its text up to PASTE_TEXT_MAX characters."""

    model_config = {"extra": "forbid"}

    type: Literal["paste"] = "paste"
    t: Millis
    file: FileName = None
    size: int = Field(ge=0)
    text: str = Field(max_length=PASTE_TEXT_MAX)


class AwayEvent(BaseModel):
    """The page was hidden (another tab, minimised) or its window lost the focus."""

    model_config = {"extra": "forbid"}

    type: Literal["away"] = "away"
    t: Millis
    reason: Literal["hidden", "blur"]


class BackEvent(BaseModel):
    """The page is visible and focused again."""

    model_config = {"extra": "forbid"}

    type: Literal["back"] = "back"
    t: Millis


Event = Annotated[EditEvent | SnapshotEvent | PasteEvent | AwayEvent | BackEvent, Field(discriminator="type")]
_EVENTS = TypeAdapter(list[Event])


class PlaybackBatch(BaseModel):
    """A batch of one page load's events, numbered from 0 by that page load."""

    model_config = {"extra": "forbid"}

    page: PageId
    seq: int = Field(ge=0, le=10_000_000)
    sent_at: Millis = Field(description="The browser's clock when sent (puts its events on the server's clock).")
    events: list[Event] = Field(max_length=BATCH_EVENTS_MAX)


class BatchReceipt(BaseModel):
    """A batch accepted: stored now, or stored before (a retry); the candidate's bytes used of the bound."""

    seq: int
    stored: bool = Field(description="False when this batch had arrived before: it is kept once.")
    used_bytes: int
    max_bytes: int


class LoggedEvent(BaseModel):
    """An event of the log, its time (`event.t`) on the server's clock, with the page load it came from."""

    page: str
    event: Event


class SubmissionMark(BaseModel):
    """A submitted attempt on the timeline: the position in the log whose text it corresponds to."""

    entry_id: str
    number: int
    submitted_at: datetime
    t: int = Field(description="submitted_at in milliseconds since the epoch.")
    position: int = Field(description="How many events of the log precede it (the player shows the text after them).")
    matches_log: bool = Field(description="Whether its code is the editor's text at or before that moment.")


class PlaybackView(BaseModel):
    """One candidate's log of one problem, for the team's player."""

    assessment_id: str
    invitation_id: str
    candidate_name: str
    problem: str
    title: str
    files: list[str] = Field(description="The problem's files when it has several (the editor's tabs), else empty.")
    events: list[LoggedEvent]
    submissions: list[SubmissionMark]
    summary: EventsSummary
    flags: list[PlaybackFlag]


class CandidatePlayback(BaseModel):
    """Every code problem's events summary and the playback flags of one candidate."""

    summaries: list[EventsSummary]
    flags: list[PlaybackFlag]


# --- recording -------------------------------------------------------------------------------------


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _moment(millis: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)


def record(
    session: Session,
    bank: ProblemBank,
    invitation: Invitation,
    slug: str,
    batch: PlaybackBatch,
    now: datetime,
) -> BatchReceipt:
    """Store one batch of the candidate's events for code problem `slug`: only while their time runs
    (NotStarted, OutsideWindow, TimeUp), a batch seen before is not stored again, and PlaybackFull when
    it would take the candidate past settings.playback.max_bytes (nothing of it is stored then)."""
    settings = bank.settings
    limit = settings.playback.max_bytes
    assessment = service.assessment_of(session, invitation)
    choice = service.assessment_choice(session, assessment, slug)
    problem = service.choice_problem(bank, choice)
    if problem is not None and problem.spec.kind is not Kind.CODE:
        raise InvalidSubmission(f"{slug!r} is a quiz: edits are recorded for code problems only")
    clock.require_running(
        assessment,
        invitation,
        now,
        "press Start first: edits are recorded while your time runs",
        "the edits were not recorded",
    )
    used = stored.total_bytes(session, invitation.id)
    if stored.find(session, invitation.id, slug, batch.page, batch.seq) is not None:
        return BatchReceipt(seq=batch.seq, stored=False, used_bytes=used, max_bytes=limit)
    for event in batch.events:
        if isinstance(event, SnapshotEvent) and any(
            len(f.text.encode("utf-8")) > settings.limits.max_source_bytes for f in event.files
        ):
            raise InvalidSubmission(f"a snapshot's file is over {settings.limits.max_source_bytes} bytes")
    events = _EVENTS.dump_json(batch.events).decode("utf-8")
    size = len(events.encode("utf-8"))
    if used + size > limit:
        raise PlaybackFull(
            f"recording is full: at most {limit} bytes of edit log are kept per candidate"
            f" (settings.playback.max_bytes); {used} are used and this batch has {size}."
            " Your work is not affected: drafts and submissions go on as before."
        )
    row = EditLog(
        invitation_id=invitation.id,
        problem=slug,
        page=batch.page,
        seq=batch.seq,
        received_at=now,
        clock_offset_ms=_millis(now) - batch.sent_at,
        events=events,
        size_bytes=size,
    )
    kept = stored.add(session, row)
    return BatchReceipt(seq=batch.seq, stored=kept is row, used_bytes=used + size, max_bytes=limit)


# --- replay ----------------------------------------------------------------------------------------


def merged_events(rows: Sequence[EditLog]) -> list[LoggedEvent]:
    """The events of `rows` (one problem's batches) on the server's clock, in time order; within a page
    load, in the order it recorded them."""
    by_page: dict[str, list[EditLog]] = defaultdict(list)
    for row in rows:
        by_page[row.page].append(row)
    ordered: list[LoggedEvent] = []
    for page, batches in by_page.items():
        offset = min(b.clock_offset_ms for b in batches)
        last = 0
        for batch in sorted(batches, key=lambda b: b.seq):
            for event in _EVENTS.validate_json(batch.events):
                # One page load's events keep their order even if its clock stepped back.
                last = max(last, event.t + offset)
                event.t = last  # parsed just now: nothing else holds it
                ordered.append(LoggedEvent.model_construct(page=page, event=event))
    ordered.sort(key=lambda e: e.event.t)  # stable: a page load's own order is kept on ties
    return ordered


def pack(files: dict[str | None, str], order: Sequence[str | None]) -> str:
    """The texts of one page load's editors as a Submit sends them (judgeEditor.source in editor.js)."""
    if None in files or not order:
        return files.get(None, "")
    parts = []
    for name in order:
        text = files.get(name, "")
        if MARKER.search(text):  # the server refuses it, naming the file: sent as it is
            parts.append(text)
        else:
            parts.append(f"{bundle.marker(str(name))}\n{text}" + ("\n" if text and not text.endswith("\n") else ""))
    return "".join(parts)


@dataclass
class _PageText:
    files: dict[str | None, str] = field(default_factory=dict)
    order: list[str | None] = field(default_factory=list)

    def apply(self, event: EditEvent | SnapshotEvent) -> None:
        if isinstance(event, SnapshotEvent):
            self.files = {f.file: f.text for f in event.files}
            self.order = [f.file for f in event.files]
            return
        if event.file not in self.files:
            self.files[event.file] = ""
            self.order.append(event.file)
        text = self.files[event.file]
        at = min(event.at, len(text))
        self.files[event.file] = text[:at] + event.insert + text[at + event.delete :]

    def packed(self) -> str:
        return pack(self.files, self.order)


def texts(events: Sequence[LoggedEvent]) -> Iterator[tuple[int, LoggedEvent, str | None]]:
    """After each event (position 1, 2, ...): its position, the event, and the packed text of the page
    load it belongs to when it changed that text (None for pastes and focus events)."""
    pages: dict[str, _PageText] = defaultdict(_PageText)
    for position, logged in enumerate(events, start=1):
        event = logged.event
        if isinstance(event, EditEvent | SnapshotEvent):
            page = pages[logged.page]
            page.apply(event)
            yield position, logged, page.packed()
        else:
            yield position, logged, None


def files_at(events: Sequence[LoggedEvent], position: int) -> list[FileText]:
    """Each file's text after the first `position` events, as the page load that changed last had them."""
    pages: dict[str, _PageText] = defaultdict(_PageText)
    current: _PageText | None = None
    for logged in events[:position]:
        if isinstance(logged.event, EditEvent | SnapshotEvent):
            current = pages[logged.page]
            current.apply(logged.event)
    if current is None:
        return []
    return [FileText(file=name, text=current.files.get(name, "")) for name in current.order]


def text_at(events: Sequence[LoggedEvent], position: int) -> str:
    """The editor's packed text after the first `position` events (that of the page load changed last)."""
    files = files_at(events, position)
    return pack({f.file: f.text for f in files}, [f.file for f in files])


def _normal(code: str) -> str:
    # A form's textarea is sent with CRLF line ends; the editor's text has LF.
    return code.replace("\r\n", "\n")


def _marks(events: Sequence[LoggedEvent], attempts: Sequence[Attempt]) -> list[SubmissionMark]:
    """Where on the timeline each attempt was submitted: the last position up to its moment (plus the
    grace) whose text is its code, else the last position before its moment. One replay for them all."""
    if not attempts:
        return []
    moments = [_millis(a.entry.submitted_at) for a in attempts]
    codes = [_normal(a.current.source.decode("utf-8", errors="replace")) for a in attempts]
    matched: list[int | None] = [None] * len(attempts)
    horizon = max(moments) + SUBMIT_GRACE_MS
    for position, logged, text in texts(events):
        if logged.event.t > horizon:
            break
        if text is None:
            continue
        for index, code in enumerate(codes):
            if logged.event.t <= moments[index] + SUBMIT_GRACE_MS and len(text) == len(code) and text == code:
                matched[index] = position
    marks = []
    for attempt, moment, found in zip(attempts, moments, matched, strict=True):
        before = sum(1 for e in events if e.event.t <= moment)
        marks.append(
            SubmissionMark(
                entry_id=attempt.entry.id,
                number=attempt.entry.number,
                submitted_at=attempt.entry.submitted_at,
                t=moment,
                position=found if found is not None else before,
                matches_log=found is not None,
            )
        )
    return marks


# --- facts and flags --------------------------------------------------------------------------------


def _surviving(pasted: str, code: str) -> int:
    """Characters of `pasted` found in `code`: all of it when it is there whole, else its lines that are
    lines of the code (indentation aside)."""
    stripped = pasted.strip()
    if not stripped:
        return 0
    if stripped in code:
        return len(stripped)
    lines = {line.strip() for line in code.splitlines() if line.strip()}
    return sum(len(line.strip()) for line in pasted.splitlines() if line.strip() in lines and line.strip())


def _away_spans(events: Sequence[LoggedEvent]) -> list[AwaySpan]:
    """Each time away: from an `away` event to the next event of the same page load (its `back`, or any
    sign it was used again); a page load that never came back (closed, or left for another page) is not
    counted, since nothing says how long it was away."""
    spans = []
    left: dict[str, int] = {}
    for logged in events:
        event = logged.event
        if isinstance(event, AwayEvent):
            left.setdefault(logged.page, event.t)
        elif logged.page in left:
            start = left.pop(logged.page)
            spans.append(
                AwaySpan(start=_moment(start), end=_moment(event.t), seconds=round((event.t - start) / 1000, 3))
            )
    return spans


def _union_seconds(spans: Sequence[AwaySpan]) -> float:
    total, reach = 0.0, None
    for span in sorted(spans, key=lambda s: s.start):
        start = span.start if reach is None else max(span.start, reach)
        if span.end > start:
            total += (span.end - start).total_seconds()
        reach = span.end if reach is None else max(reach, span.end)
    return round(total, 3)


def events_summary(
    problem: str, rows: Sequence[EditLog], code: str | None, events: Sequence[LoggedEvent] | None = None
) -> EventsSummary:
    """The facts of one problem's log (`rows`, and their `events` when merged already), against `code`:
    the compared attempt's code, if any."""
    events = merged_events(rows) if events is None else events
    code = _normal(code) if code is not None else None
    typed = 0
    pastes = []
    before = ""
    for _position, logged, text in texts(events):
        event = logged.event
        if isinstance(event, EditEvent) and event.input not in NOT_TYPED:
            typed += len(event.insert)
        if isinstance(event, PasteEvent):
            body = event.text.strip()
            surviving = _surviving(event.text, code) if code is not None else 0
            pastes.append(
                PasteFact(
                    t=event.t,
                    at=_moment(event.t),
                    file=event.file,
                    size=event.size,
                    from_editor=bool(body) and body in before,
                    survives=bool(body) and surviving * 2 >= len(body),
                    surviving_chars=surviving,
                )
            )
        if text is not None:
            before = text
    share = None
    if code is not None and code.strip():
        outside = sum(p.surviving_chars for p in pastes if not p.from_editor)
        share = round(min(100.0, 100.0 * outside / len(code.strip())), 1)
    away = _away_spans(events)
    return EventsSummary(
        problem=problem,
        recorded=bool(rows),
        bytes=sum(r.size_bytes for r in rows),
        characters_typed=typed,
        characters_pasted=sum(p.size for p in pastes),
        pastes=pastes,
        pasted_share_percent=share,
        away=away,
        away_s=_union_seconds(away),
        away_count=len(away),
    )


def _minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.0f}" if minutes >= 10 else f"{minutes:.1f}"


def playback_flags(
    summaries: Sequence[EventsSummary],
    marks: dict[str, list[SubmissionMark]],
    settings: PlaybackSettings,
) -> list[PlaybackFlag]:
    """The flags of one candidate: per problem, pasted text that makes up a large share of the compared
    code, and each attempt whose code the log never held (or a problem the page recorded nothing of while
    it recorded others); and time away from the problem pages in all."""
    flags = []
    anything = any(s.recorded for s in summaries)
    for summary in summaries:
        outside = [p for p in summary.pastes if not p.from_editor and p.surviving_chars >= PASTE_MIN_CHARS]
        chars = sum(p.surviving_chars for p in outside)
        percent = summary.pasted_share_percent
        if outside and percent is not None and percent >= settings.paste_flag_percent:
            flags.append(
                PlaybackFlag(
                    key=f"paste:{summary.problem}",
                    kind=PlaybackFlagKind.PASTE,
                    problem=summary.problem,
                    message=f"{chars} characters pasted that make up {percent:.0f}% of the submitted code",
                    evidence=FlagEvidence(pasted_chars=chars, percent=percent, pastes=outside),
                )
            )
        for mark in marks.get(summary.problem, []):
            if mark.matches_log or not anything:
                continue
            why = (
                "the editor never held this code" if summary.recorded else "the page recorded nothing for this problem"
            )
            flags.append(
                PlaybackFlag(
                    key=f"no_history:{summary.problem}:{mark.entry_id}",
                    kind=PlaybackFlagKind.NO_HISTORY,
                    problem=summary.problem,
                    message=f"attempt {mark.number}: the submitted code appeared with no typing history ({why})",
                    evidence=FlagEvidence(entry_id=mark.entry_id, submitted_at=mark.submitted_at),
                )
            )
    spans = [span for s in summaries for span in s.away]
    total = _union_seconds(spans)
    if spans and total >= settings.away_flag_s:
        flags.append(
            PlaybackFlag(
                key="away",
                kind=PlaybackFlagKind.AWAY,
                problem=None,
                message=(
                    f"away from the page for {_minutes(total)} minutes in total"
                    f" ({len(spans)} time{'' if len(spans) == 1 else 's'})"
                ),
                evidence=FlagEvidence(away_s=total, away_count=len(spans), away=spans),
            )
        )
    return flags


# --- the team's reads -------------------------------------------------------------------------------


@dataclass
class _Candidate:
    assessment: Assessment
    invitation: Invitation
    choices: list[AssessmentProblem]
    attempts: dict[str, list[Attempt]]
    logs: dict[str, list[EditLog]]


def _candidate(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, invitation_id: str
) -> _Candidate:
    assessment, invitation = service.team_invitation(session, viewer, assessment_id, invitation_id)
    choices = [
        c
        for c in service.assessment_problems(session, assessment.id)
        if (p := service.choice_problem(bank, c)) is None or p.spec.kind is Kind.CODE
    ]
    attempts: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in load_attempts(session, assessment.id, invitation.id):
        attempts[attempt.entry.problem].append(attempt)
    logs = {c.problem: stored.for_problem(session, invitation.id, c.problem) for c in choices}
    return _Candidate(assessment, invitation, choices, attempts, logs)


def _facts(
    candidate: _Candidate, choice: AssessmentProblem
) -> tuple[list[LoggedEvent], EventsSummary, list[SubmissionMark]]:
    rows = candidate.logs[choice.problem]
    events = merged_events(rows)
    mine = candidate.attempts.get(choice.problem, [])
    shown = compared(mine, ScoringPolicy(candidate.assessment.scoring), choice.points)
    code = shown.current.source.decode("utf-8", errors="replace") if shown is not None else None
    return events, events_summary(choice.problem, rows, code, events), _marks(events, mine)


def candidate_playback(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, invitation_id: str
) -> CandidatePlayback:
    """Every code problem's events summary and the playback flags of one candidate of one of the
    viewer's team's assessments (AssessmentNotFound, InvitationNotFound otherwise)."""
    candidate = _candidate(session, bank, viewer, assessment_id, invitation_id)
    summaries, marks = [], {}
    for choice in candidate.choices:
        _events, summary, problem_marks = _facts(candidate, choice)
        summaries.append(summary)
        marks[choice.problem] = problem_marks
    return CandidatePlayback(summaries=summaries, flags=playback_flags(summaries, marks, bank.settings.playback))


def team_playback(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, invitation_id: str, slug: str
) -> PlaybackView:
    """One candidate's log of code problem `slug`, with the submission marks, summary and flags, for the
    player (AssessmentNotFound, InvitationNotFound, ProblemNotInAssessment otherwise)."""
    candidate = _candidate(session, bank, viewer, assessment_id, invitation_id)
    choice = service.assessment_choice(session, candidate.assessment, slug)
    problem = service.choice_problem(bank, choice)
    if problem is not None and problem.spec.kind is not Kind.CODE:
        raise InvalidSubmission(f"{slug!r} is a quiz: it has no editor to play back")
    facts = {each.problem: _facts(candidate, each) for each in candidate.choices}
    events, summary, _marks = facts[slug]
    marks = {name: problem_marks for name, (_events, _summary, problem_marks) in facts.items()}
    flags = playback_flags([s for _e, s, _m in facts.values()], marks, bank.settings.playback)
    files = list(problem.file_names) if problem is not None and len(problem.file_names) > 1 else []
    return PlaybackView(
        assessment_id=candidate.assessment.id,
        invitation_id=candidate.invitation.id,
        candidate_name=candidate.invitation.candidate_name,
        problem=slug,
        title=problem.spec.title if problem is not None else slug,
        files=files,
        events=events,
        submissions=marks[slug],
        summary=summary,
        flags=[f for f in flags if f.problem in (slug, None)],
    )

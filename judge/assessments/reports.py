"""What a team reads about an assessment: each candidate's results (scores under the policy,
attempts, time used, verdicts, code, integrity flags, similar pairs), the ranking, the score
distribution, and the CSV and JSON exports.

Integrity flags and similarity are computed when the report is made, from the stored sources: a
change of their rules applies to old assessments too, and nothing has to be kept in step.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from judge.assessments import clock, flags, matches, playback
from judge.assessments.attempts import Attempt, compared, counted, load_attempts, pending
from judge.assessments.events_summary import PlaybackFlag
from judge.assessments.feedback import scale
from judge.assessments.flags import (
    CodeEvidence,
    EventsEvidence,
    FlagReviewView,
    FlagSource,
    MatchEvidence,
    ReviewableFlag,
    SimilarityEvidence,
)
from judge.assessments.matches import MatchFlag, MatchKind
from judge.assessments.schemas import (
    AssessmentExport,
    AssessmentReport,
    CandidateReport,
    CandidateRow,
    EntryReport,
    GradingView,
    ProblemReport,
    ScoreBucket,
    ScoreDistribution,
    SimilarPairView,
)
from judge.assessments.service import (
    assessment_problems,
    assessment_view,
    choice_problem,
    invitation_view,
    list_rejudges,
    team_assessment,
    team_invitation,
)
from judge.bank.loader import ProblemBank
from judge.bank.ownership import Viewer
from judge.integrity import IntegrityFlag, flag_source
from judge.problem import Kind, Problem
from judge.quiz import AnsweredQuestion, answered_questions
from judge.report import rows_to_csv
from judge.result import Verdict
from judge.similarity import similar_pairs
from judge.storage import flag_reviews
from judge.storage.models import Assessment, AssessmentProblem, Invitation, ScoringPolicy, SubmissionStatus
from judge.storage.submissions import result_of

HISTOGRAM_BUCKETS = 10


@dataclass
class _Context:
    """Everything one report needs, read once."""

    assessment: Assessment
    choices: list[AssessmentProblem]
    problems: dict[str, Problem | None]
    invitations: list[Invitation]
    attempts: dict[tuple[str, str], list[Attempt]]  # (invitation id, problem) -> attempts by number
    pairs: list[SimilarPairView]
    now: datetime
    reviews: dict[str, dict[str, FlagReviewView]]  # invitation id -> flag key -> review
    session: Session
    bank: ProblemBank
    viewer: Viewer
    # invitation id -> its editor log's facts and its matches with known code, each computed once per report
    recorded: dict[str, playback.CandidatePlayback]
    matched: dict[str, list[MatchFlag]]
    # Whose matches with known code to search (None: everyone's): the search costs up to a few hundred ms
    # per candidate, so the ranking alone (dashboard, assessment report) leaves it to the candidate's
    # report and the exports.
    match_for: set[str] | None = None

    @property
    def policy(self) -> ScoringPolicy:
        """The assessment's scoring policy."""
        return ScoringPolicy(self.assessment.scoring)


def _text(source: bytes) -> str:
    return source.decode("utf-8", errors="replace")


def _context(session: Session, bank: ProblemBank, viewer: Viewer, assessment: Assessment, now: datetime) -> _Context:
    choices = assessment_problems(session, assessment.id)
    problems = {c.problem: choice_problem(bank, c) for c in choices}
    query = (
        select(Invitation)
        .where(Invitation.assessment_id == assessment.id)
        .order_by(Invitation.created_at, Invitation.id)
    )
    invitations = list(session.scalars(query))
    attempts: dict[tuple[str, str], list[Attempt]] = defaultdict(list)
    for attempt in load_attempts(session, assessment.id):
        attempts[(attempt.entry.invitation_id, attempt.entry.problem)].append(attempt)
    reviews: dict[str, dict[str, FlagReviewView]] = defaultdict(dict)
    for review in flag_reviews.of_assessment(session, assessment.id):
        reviews[review.invitation_id][review.key] = flags.review_view(review)
    context = _Context(
        assessment, choices, problems, invitations, attempts, [], now, reviews, session, bank, viewer, {}, {}
    )
    context.pairs = _similar_pairs(context, bank.settings.assessments.similarity_threshold)
    return context


def _compared_attempt(context: _Context, invitation: Invitation, choice: AssessmentProblem) -> Attempt | None:
    """The attempt a candidate is compared by: the one that counts, else their latest."""
    return compared(context.attempts.get((invitation.id, choice.problem), []), context.policy, choice.points)


def _similar_pairs(context: _Context, threshold: float) -> list[SimilarPairView]:
    """Similar pairs per code problem, between the candidates' compared attempts, starter excluded."""
    names = {i.id: i.candidate_name for i in context.invitations}
    found = []
    for choice in context.choices:
        problem = context.problems[choice.problem]
        if problem is None or problem.spec.kind is not Kind.CODE:
            continue
        sources = {}
        for invitation in context.invitations:
            attempt = _compared_attempt(context, invitation, choice)
            if attempt is not None:
                sources[invitation.id] = _text(attempt.current.source)
        if len(sources) < 2:
            continue
        for pair in similar_pairs(sources, problem.starter(), threshold):
            found.append(
                SimilarPairView(
                    problem=choice.problem,
                    invitation_a=pair.a,
                    candidate_a=names[pair.a],
                    invitation_b=pair.b,
                    candidate_b=names[pair.b],
                    similarity=pair.score,
                    a_lines=pair.a_lines,
                    b_lines=pair.b_lines,
                )
            )
    return found


def _entry_report(
    attempt: Attempt, choice: AssessmentProblem, problem: Problem | None, is_counted: bool
) -> EntryReport:
    row = attempt.current
    result = result_of(row) if row.status == SubmissionStatus.COMPLETED.value else None
    source = _text(row.source)
    is_code = problem is None or problem.spec.kind is Kind.CODE
    return EntryReport(
        id=attempt.entry.id,
        number=attempt.entry.number,
        submitted_at=attempt.entry.submitted_at,
        status=SubmissionStatus(row.status),
        verdict=Verdict(row.verdict) if row.verdict else None,
        score=attempt.points(choice.points),
        raw_score=row.score,
        raw_max_score=row.max_score,
        counted=is_counted,
        source=source,
        integrity_flags=flag_source(source) if is_code else [],
        checks=result.checks if result is not None and result.compile_error is None else [],
        compile_error=result.compile_error if result is not None else None,
        gradings=[
            GradingView(
                round=grading.round,
                submission_id=submission.id,
                status=SubmissionStatus(submission.status),
                verdict=Verdict(submission.verdict) if submission.verdict else None,
                score=scale(choice.points, submission.score, submission.max_score)
                if submission.status == SubmissionStatus.COMPLETED.value
                else None,
            )
            for grading, submission in attempt.gradings
        ],
        answers=_answers(problem, source, choice.points),
    )


def _answers(problem: Problem | None, source: str, points: float) -> list[AnsweredQuestion] | None:
    """A quiz attempt's answers as a table, each question's points scaled like the problem's."""
    if problem is None or problem.quiz is None:
        return None
    rows = answered_questions(problem.quiz, source)
    if rows is None:
        return None
    return [
        row.model_copy(
            update={
                "points": scale(points, row.points, problem.max_score) or 0.0,
                "max_points": scale(points, row.max_points, problem.max_score) or 0.0,
            }
        )
        for row in rows
    ]


def _candidate(context: _Context, invitation: Invitation) -> tuple[CandidateRow, list[ProblemReport]]:
    """One candidate's row of the ranking (rank still unset) and per-problem results."""
    problem_reports = []
    total = 0.0
    ast_flags = 0
    waiting = 0
    for choice in context.choices:
        mine = context.attempts.get((invitation.id, choice.problem), [])
        chosen = counted(mine, context.policy, choice.points)
        problem = context.problems[choice.problem]
        entries = [_entry_report(a, choice, problem, a is chosen) for a in mine]
        score = chosen.points(choice.points) if chosen else None
        total += score or 0.0
        ast_flags += sum(len(e.integrity_flags) for e in entries)
        waiting += pending(mine)
        problem_reports.append(
            ProblemReport(
                problem=choice.problem,
                title=problem.spec.title if problem else choice.problem,
                points=choice.points,
                score=score,
                attempts=len(mine),
                verdict=Verdict(chosen.current.verdict) if chosen and chosen.current.verdict else None,
                entries=entries,
            )
        )
    max_total = sum(c.points for c in context.choices)
    names = {i.id: i.candidate_name for i in context.invitations}
    similar = sorted(
        {
            names[p.invitation_b if p.invitation_a == invitation.id else p.invitation_a]
            for p in context.pairs
            if invitation.id in (p.invitation_a, p.invitation_b)
        }
    )
    recorded = _recorded(context, invitation)
    summaries = {s.problem: s for s in recorded.summaries}
    for report in problem_reports:
        report.events = summaries.get(report.problem)
    found = _flags(context, invitation, problem_reports)
    row = CandidateRow(
        rank=None,
        invitation_id=invitation.id,
        candidate_name=invitation.candidate_name,
        candidate_email=invitation.candidate_email,
        state=clock.state_of(context.assessment, invitation, context.now),
        started_at=invitation.started_at,
        time_used_s=clock.time_used_s(invitation, context.now),
        total_score=round(total, 6),
        max_score=max_total,
        percent=round(100.0 * total / max_total, 2) if max_total > 0 else 0.0,
        attempts=sum(p.attempts for p in problem_reports),
        scores={p.problem: p.score for p in problem_reports},
        verdicts={p.problem: p.verdict for p in problem_reports},
        integrity_flags=ast_flags,
        similar_to=similar,
        pending=waiting,
        flags=len(found),
        unreviewed_flags=sum(1 for f in found if f.review is None),
        flag_list=flags.summary(found),
        pasted_chars=sum(s.characters_pasted for s in recorded.summaries),
        away_s=round(sum(s.away_s for s in recorded.summaries), 1),
    )
    return row, problem_reports


def _flags(context: _Context, invitation: Invitation, problems: list[ProblemReport]) -> list[ReviewableFlag]:
    """Every flag of the candidate with its review: one line per source below (a new source is one more line)."""
    return flags.candidate_flags(
        [
            _code_flags(problems),
            _similarity_flags(context.assessment.id, invitation.id, context.pairs),
            _match_flags(_matched(context, invitation))
            if context.match_for is None or invitation.id in context.match_for
            else [],
            _events_flags(context.assessment.id, invitation.id, _recorded(context, invitation).flags),
        ],
        context.reviews.get(invitation.id, {}),
    )


def _code_flags(problems: Iterable[ProblemReport]) -> list[ReviewableFlag]:
    """The AST flags of every attempt, one flag per problem, kind and line (listing the attempts that have it)."""
    found: dict[str, tuple[str, IntegrityFlag, list[int]]] = {}
    for problem in problems:
        for entry in problem.entries:
            for flag in entry.integrity_flags:
                key = f"ast:{problem.problem}:{flag.kind.value}:{flag.line}"
                found.setdefault(key, (problem.problem, flag, []))[2].append(entry.number)
    return [
        ReviewableFlag(
            key=key,
            source=FlagSource.CODE,
            kind=flag.kind.value,
            problem=slug,
            message=flag.message,
            evidence=CodeEvidence(line=flag.line, snippet=flag.snippet, attempts=numbers),
        )
        for key, (slug, flag, numbers) in found.items()
    ]


def _similarity_flags(assessment_id: str, invitation_id: str, pairs: Iterable[SimilarPairView]) -> list[ReviewableFlag]:
    """A flag per similar pair the candidate is part of."""
    found = []
    for pair in pairs:
        if invitation_id not in (pair.invitation_a, pair.invitation_b):
            continue
        mine_a = pair.invitation_a == invitation_id
        other_id, other_name = (
            (pair.invitation_b, pair.candidate_b) if mine_a else (pair.invitation_a, pair.candidate_a)
        )
        found.append(
            ReviewableFlag(
                key=f"similar:{pair.problem}:{other_id}",
                source=FlagSource.SIMILARITY,
                kind="similar_code",
                problem=pair.problem,
                message=f"{pair.similarity:.0%} of the code is shared with {other_name}'s",
                evidence=SimilarityEvidence(
                    similarity=pair.similarity,
                    other_invitation_id=other_id,
                    other_candidate=other_name,
                    lines=pair.a_lines if mine_a else pair.b_lines,
                    other_lines=pair.b_lines if mine_a else pair.a_lines,
                    compare_url=f"/team/assessments/{assessment_id}/similar/{pair.problem}"
                    f"/{pair.invitation_a}/{pair.invitation_b}",
                ),
            )
        )
    return found


def _ranked(context: _Context) -> list[tuple[CandidateRow, list[ProblemReport]]]:
    """Every candidate, best total first (less time used breaks ties); those who never started last, unranked."""
    results = [_candidate(context, invitation) for invitation in context.invitations]
    took_part = [r for r in results if r[0].started_at is not None or r[0].attempts]
    took_part.sort(
        key=lambda r: (
            -r[0].total_score,
            r[0].time_used_s if r[0].time_used_s is not None else float("inf"),
            r[0].candidate_name,
        )
    )
    for rank, (row, _problems) in enumerate(took_part, start=1):
        row.rank = rank
    return took_part + [r for r in results if r not in took_part]


def distribution(rows: list[CandidateRow]) -> ScoreDistribution:
    """Statistics and a 10-bucket histogram (by percent of the maximum) of ranked candidates' totals."""
    ranked = [r for r in rows if r.rank is not None]
    totals = [r.total_score for r in ranked]
    width = 100.0 / HISTOGRAM_BUCKETS
    counts = [0] * HISTOGRAM_BUCKETS
    for row in ranked:
        counts[min(HISTOGRAM_BUCKETS - 1, int(row.percent // width))] += 1
    return ScoreDistribution(
        count=len(totals),
        mean=round(statistics.fmean(totals), 6) if totals else None,
        median=statistics.median(totals) if totals else None,
        min=min(totals) if totals else None,
        max=max(totals) if totals else None,
        buckets=[
            ScoreBucket(lower_percent=i * width, upper_percent=(i + 1) * width, count=c) for i, c in enumerate(counts)
        ],
    )


def candidate_report(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, invitation_id: str, now: datetime
) -> CandidateReport:
    """One candidate of one of the viewer's team's assessments, in full (code included)."""
    assessment, invitation = team_invitation(session, viewer, assessment_id, invitation_id)
    context = _context(session, bank, viewer, assessment, now)
    context.match_for = {invitation.id}
    for row, problems in _ranked(context):
        if row.invitation_id == invitation.id:
            return _candidate_report(context, invitation, row, problems)
    raise AssertionError("an invitation of the assessment is missing from its own ranking")


def _candidate_report(
    context: _Context, invitation: Invitation, row: CandidateRow, problems: list[ProblemReport]
) -> CandidateReport:
    return CandidateReport(
        assessment_id=context.assessment.id,
        invitation=invitation_view(context.assessment, invitation, context.now),
        row=row,
        problems=problems,
        similar_pairs=[p for p in context.pairs if invitation.id in (p.invitation_a, p.invitation_b)],
        flags=_flags(context, invitation, problems),
    )


def assessment_report(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, now: datetime
) -> AssessmentReport:
    """The ranking, score distribution, similar pairs and rejudges of one of the viewer's team's assessments."""
    fields, _context, _ranked = _report_fields(session, bank, viewer, assessment_id, now, with_matches=False)
    return AssessmentReport(**fields)


def export(session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, now: datetime) -> AssessmentExport:
    """The report plus every candidate's full detail, matches with known code included: the exports."""
    fields, context, ranked = _report_fields(session, bank, viewer, assessment_id, now, with_matches=True)
    invitations = {i.id: i for i in context.invitations}
    candidates = [_candidate_report(context, invitations[row.invitation_id], row, problems) for row, problems in ranked]
    return AssessmentExport(**fields, candidates=candidates)


def _report_fields(
    session: Session, bank: ProblemBank, viewer: Viewer, assessment_id: str, now: datetime, with_matches: bool
) -> tuple[dict[str, Any], _Context, list[tuple[CandidateRow, list[ProblemReport]]]]:
    assessment = team_assessment(session, viewer, assessment_id)
    context = _context(session, bank, viewer, assessment, now)
    context.match_for = None if with_matches else set()
    ranked = _ranked(context)
    rows = [row for row, _problems in ranked]
    fields = {
        "assessment": assessment_view(session, bank, assessment),
        "generated_at": now,
        "ranking": rows,
        "distribution": distribution(rows),
        "similar_pairs": context.pairs,
        "rejudges": list_rejudges(session, viewer, assessment_id),
        "similarity_threshold": bank.settings.assessments.similarity_threshold,
    }
    return fields, context, ranked


def ranking_csv(report: AssessmentReport) -> str:
    """The ranking as CSV: one line per candidate, a score and verdict column per problem."""
    return rows_to_csv(report.ranking)


def _recorded(context: _Context, invitation: Invitation) -> playback.CandidatePlayback:
    """The candidate's events summaries and playback flags, read once per report."""
    if invitation.id not in context.recorded:
        context.recorded[invitation.id] = playback.candidate_playback(
            context.session, context.bank, context.viewer, context.assessment.id, invitation.id
        )
    return context.recorded[invitation.id]


def _matched(context: _Context, invitation: Invitation) -> list[MatchFlag]:
    """The candidate's matches with known solutions and other assessments, searched once per report."""
    if invitation.id not in context.matched:
        context.matched[invitation.id] = matches.candidate_matches(
            context.session, context.bank, context.viewer, context.assessment.id, invitation.id
        )
    return context.matched[invitation.id]


def _match_flags(found: Iterable[MatchFlag]) -> list[ReviewableFlag]:
    """A flag per match with a known solution or a candidate of another assessment."""
    return [
        ReviewableFlag(
            key=match.key,
            source=FlagSource.KNOWN_SOLUTION if match.kind is MatchKind.KNOWN_SOLUTION else FlagSource.CROSS_ASSESSMENT,
            kind=match.kind.value,
            problem=match.problem,
            message=match.message,
            evidence=MatchEvidence(
                similarity=match.similarity,
                other_label=match.other_label,
                other_assessment_id=match.other_assessment_id,
                other_assessment_title=match.other_assessment_title,
                other_invitation_id=match.other_invitation_id,
                lines=match.lines,
                link=match.link,
            ),
        )
        for match in found
    ]


def _events_flags(assessment_id: str, invitation_id: str, found: Iterable[PlaybackFlag]) -> list[ReviewableFlag]:
    """A flag per fact of the editor log worth a look: pastes, code with no typing history, time away."""
    return [
        ReviewableFlag(
            key=flag.key,
            source=FlagSource.EVENTS,
            kind=flag.kind.value,
            problem=flag.problem,
            message=flag.message,
            evidence=EventsEvidence(
                facts=flag.evidence,
                playback_url=f"/team/assessments/{assessment_id}/candidates/{invitation_id}/playback/{flag.problem}"
                if flag.problem
                else None,
            ),
        )
        for flag in found
    ]

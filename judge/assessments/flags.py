"""Every integrity flag of a candidate in one shape, from whichever source raised it, with its evidence and
what the team decided about it (a review).

A flag is computed when the report is made, never stored; its `key` is stable within an invitation, so a
review (stored by key) stays with its flag, and a review whose flag has gone (a rule changed) is not shown.
Each source turns its own findings into `ReviewableFlag`s (the AST's and the similar pairs' in
judge.assessments.reports, beside what they are computed from); `candidate_flags` joins the sources and
the reviews. Flags are hints for a reviewer; none of them ever changes a score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from judge.assessments.events_summary import FlagEvidence
from judge.similarity import LineRange
from judge.storage.models import FlagReview

#: Longest note a reviewer may write about one flag.
MAX_NOTE_CHARS = 2_000
#: What a flag key looks like: a source's prefix, then parts (slugs, ids, kinds, lines) joined by colons.
KEY_PATTERN = r"^[a-z_]+(:[A-Za-z0-9_.-]+)*$"
MAX_KEY_CHARS = 200


class FlagSource(StrEnum):
    """Where a flag comes from."""

    CODE = "code"  # the submitted code's AST
    SIMILARITY = "similarity"  # another candidate of the same assessment
    EVENTS = "events"  # the editor's paste, focus and typing history
    KNOWN_SOLUTION = "known_solution"  # a reference, alternative or team-owned known solution
    CROSS_ASSESSMENT = "cross_assessment"  # a candidate of another of the team's assessments


class ReviewOutcome(StrEnum):
    """What a reviewer concluded."""

    DISMISSED = "dismissed"  # looked at; nothing wrong
    CONFIRMED = "confirmed"  # looked at; a real concern


class CodeEvidence(BaseModel):
    """A construct in the submitted code."""

    type: Literal["code"] = "code"
    line: int
    snippet: str
    attempts: list[int] = Field(description="The attempts (numbers) whose code has it at this line.")


class SimilarityEvidence(BaseModel):
    """Code shared with another candidate of the assessment."""

    type: Literal["similarity"] = "similarity"
    similarity: float = Field(description="0..1: the larger share of either one's own code found in the other's.")
    other_invitation_id: str
    other_candidate: str
    lines: list[LineRange] = Field(description="Where in this candidate's code the shared code is.")
    other_lines: list[LineRange] = Field(description="Where in the other candidate's code it is.")
    compare_url: str = Field(description="The team page showing both side by side.")


class EventsEvidence(BaseModel):
    """What the editor recorded: pastes, a submission with no typing history, or time away."""

    type: Literal["events"] = "events"
    facts: FlagEvidence
    playback_url: str | None = Field(description="The team's player for the problem; None for the whole assessment.")


class MatchEvidence(BaseModel):
    """Code shared with a known solution, or with a candidate of another of the team's assessments."""

    type: Literal["match"] = "match"
    similarity: float = Field(description="0..1: the larger share of either side's own code found in the other.")
    other_label: str = Field(description="The known solution's label, or the other candidate's name.")
    other_assessment_id: str | None
    other_assessment_title: str | None
    other_invitation_id: str | None
    lines: list[LineRange] = Field(description="Where in this candidate's code the shared code is.")
    link: str = Field(description="The team page that shows the evidence.")


Evidence = Annotated[CodeEvidence | SimilarityEvidence | EventsEvidence | MatchEvidence, Field(discriminator="type")]


class FlagReviewView(BaseModel):
    """What a team member decided about a flag."""

    outcome: ReviewOutcome
    note: str
    reviewer: str = Field(description="The name of the key the reviewer signed in or called with.")
    reviewed_at: datetime


class ReviewableFlag(BaseModel):
    """One integrity flag of a candidate: where it comes from, why, the evidence, and its review if any."""

    key: str = Field(description="Stable within the invitation: the flag's id in the review routes.")
    source: FlagSource
    kind: str = Field(description="What was found, within the source (e.g. ctypes, similar_code).")
    problem: str | None = Field(description="The problem it is about; None for the whole assessment.")
    message: str
    evidence: Evidence
    review: FlagReviewView | None = Field(default=None, description="None until a team member reviews it.")

    @property
    def anchor(self) -> str:
        """The id of the flag's element on the team's candidate page."""
        return anchor_of(self.key)


class FlagReviewCreate(BaseModel):
    """A review of one flag."""

    model_config = {"extra": "forbid"}

    outcome: ReviewOutcome
    note: str = Field(default="", max_length=MAX_NOTE_CHARS, description="Why; shown beside the flag.")


def anchor_of(key: str) -> str:
    """The id of a flag's element on the team's candidate page: its key, with every character that a CSS
    selector would have to escape made a dash."""
    return "flag-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def review_view(row: FlagReview) -> FlagReviewView:
    """A stored review as the reports show it."""
    return FlagReviewView(
        outcome=ReviewOutcome(row.outcome), note=row.note, reviewer=row.reviewer, reviewed_at=row.reviewed_at
    )


def candidate_flags(
    sources: Iterable[Iterable[ReviewableFlag]], reviews: Mapping[str, FlagReviewView]
) -> list[ReviewableFlag]:
    """The flags of every source, in the order given (a key raised twice is kept once), each with its review."""
    flags: dict[str, ReviewableFlag] = {}
    for source in sources:
        for flag in source:
            flags.setdefault(flag.key, flag.model_copy(update={"review": reviews.get(flag.key)}))
    return list(flags.values())


def summary(flags: Iterable[ReviewableFlag]) -> str:
    """The flags in one line for a CSV cell: `key=outcome` (or `key=unreviewed`), separated by `; `."""
    return "; ".join(f"{f.key}={f.review.outcome.value if f.review else 'unreviewed'}" for f in flags)

"""What a candidate's editor log shows, as the reports carry it: the events summary of one problem (typing,
pastes, time away) and the flags derived from it. Computed in judge.assessments.playback; kept apart so
the report schemas and the flag list can name these models without importing the playback service.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from judge.problem import SLUG_PATTERN


class PasteFact(BaseModel):
    """One paste and what became of its text."""

    t: int
    at: datetime
    file: str | None
    size: int
    from_editor: bool = Field(description="Its text was already in the editor (moved or copied within the code).")
    survives: bool = Field(description="Most of its text is in the compared submission's code.")
    surviving_chars: int


class AwaySpan(BaseModel):
    """One time away from the problem page."""

    start: datetime
    end: datetime
    seconds: float


class EventsSummary(BaseModel):
    """What the log of one problem shows, against the candidate's compared (counted, else latest) attempt."""

    problem: str = Field(pattern=SLUG_PATTERN)
    recorded: bool = Field(description="Whether the page recorded anything for this problem.")
    bytes: int
    characters_typed: int
    characters_pasted: int
    pastes: list[PasteFact]
    pasted_share_percent: float | None = Field(
        description="Surviving pasted characters (not from the editor itself) as a share of the compared code."
    )
    away: list[AwaySpan]
    away_s: float
    away_count: int


class PlaybackFlagKind(StrEnum):
    """What a playback flag says."""

    PASTE = "paste"
    NO_HISTORY = "no_history"
    AWAY = "away"


class FlagEvidence(BaseModel):
    """What a flag rests on; the fields of its kind are set."""

    pasted_chars: int | None = None
    percent: float | None = None
    pastes: list[PasteFact] | None = None
    entry_id: str | None = None
    submitted_at: datetime | None = None
    away_s: float | None = None
    away_count: int | None = None
    away: list[AwaySpan] | None = None


class PlaybackFlag(BaseModel):
    """A hint for a reviewer derived from the edit log; never scored. `key` is stable across reports."""

    key: str
    kind: PlaybackFlagKind
    problem: str | None
    message: str
    evidence: FlagEvidence

"""A candidate's clock: when their time ends, how much is left, and which state they are in.

The clock starts when the candidate presses Start, not when the window opens; it runs for the
assessment's duration but never past the window's close. Every function takes `now`, so that
callers (and tests) decide what time it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from judge.assessments.errors import NotStarted, OutsideWindow, TimeUp
from judge.assessments.schemas import CandidateState
from judge.storage.models import Assessment, Invitation


def deadline_for(assessment: Assessment, started_at: datetime) -> datetime:
    """When a candidate who started at `started_at` runs out of time."""
    return min(started_at + timedelta(seconds=assessment.duration_s), assessment.closes_at)


def ends_at(invitation: Invitation) -> datetime | None:
    """When the candidate's time ended or will end (ending early counts); None before Start."""
    if invitation.deadline_at is None:
        return None
    if invitation.finished_at is not None:
        return min(invitation.deadline_at, invitation.finished_at)
    return invitation.deadline_at


def state_of(assessment: Assessment, invitation: Invitation, now: datetime) -> CandidateState:
    """Invited (not started), in progress, or finished (time up, ended early or closed)."""
    end = ends_at(invitation)
    if end is None:
        return CandidateState.FINISHED if now >= assessment.closes_at else CandidateState.INVITED
    return CandidateState.IN_PROGRESS if now < end else CandidateState.FINISHED


def remaining_s(invitation: Invitation, now: datetime) -> float | None:
    """Seconds left on the candidate's clock (0 when up); None before Start."""
    end = ends_at(invitation)
    return None if end is None else max(0.0, (end - now).total_seconds())


def time_used_s(invitation: Invitation, now: datetime) -> float | None:
    """Seconds between Start and the end of the candidate's time (or now, while it runs)."""
    end = ends_at(invitation)
    if invitation.started_at is None or end is None:
        return None
    return max(0.0, (min(end, now) - invitation.started_at).total_seconds())


def require_running(assessment: Assessment, invitation: Invitation, now: datetime, start_hint: str, lost: str) -> None:
    """Refuse work sent outside the candidate's running time: NotStarted (`start_hint`), OutsideWindow or
    TimeUp, each message ending in `lost` (what was not kept, e.g. "the draft was not saved")."""
    if invitation.started_at is None:
        raise NotStarted(start_hint)
    if now < assessment.opens_at or now >= assessment.closes_at:
        raise OutsideWindow(f"the assessment is not open; {lost}")
    end = ends_at(invitation)
    if end is not None and now >= end:
        raise TimeUp(f"your time is up; {lost}")

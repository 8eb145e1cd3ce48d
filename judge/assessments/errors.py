"""The refusals of assessments, each with a message meant for the person refused (mapped to HTTP
in judge/app/errors.py)."""

from __future__ import annotations

from judge.errors import JudgeError, Overloaded


class AssessmentError(JudgeError):
    """Base of every assessment refusal."""


class AssessmentNotFound(AssessmentError):
    """No such assessment, or one of another team."""


class InvitationNotFound(AssessmentError):
    """No such invitation in this assessment."""


class EntryNotFound(AssessmentError):
    """No such submission among the candidate's own (or the assessment's)."""


class ProblemNotInAssessment(AssessmentError):
    """The problem is not part of this assessment."""


class InvalidAssessment(AssessmentError):
    """An assessment, invitation or rejudge request that cannot be made as asked."""


class RejudgeInProgress(AssessmentError):
    """A rejudge round of this assessment is still grading; one round at a time."""


class RejudgeQueueFull(AssessmentError, Overloaded):
    """A rejudge round would queue more gradings than the queue limit allows on top of those waiting."""


class ProblemNotUsable(AssessmentError):
    """A problem the team may not put in an assessment (practice-only for it)."""


class InvalidInvitationToken(AssessmentError):
    """An unknown, malformed or revoked invitation token."""


class InvitationExpired(AssessmentError):
    """An invitation token past its expiry."""


class OutsideWindow(AssessmentError):
    """Before the assessment opens or after it closes."""


class TimeUp(AssessmentError):
    """The candidate's own time has ended."""


class NotStarted(AssessmentError):
    """The candidate has not pressed Start yet."""


class AttemptsExhausted(AssessmentError):
    """Every attempt at this problem is used."""


class InvalidInvitationList(AssessmentError):
    """A list of candidates to invite (CSV) with rows that cannot be read; each problem names its line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class DuplicateInvitation(AssessmentError):
    """Candidates already invited to this assessment (same name or email), invited again without confirming."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class FlagNotFound(AssessmentError):
    """No flag with that key among the candidate's current flags (flags are recomputed with each report)."""


class KnownSolutionNotFound(AssessmentError):
    """No such known solution, or one of another team."""


class InvalidKnownSolution(AssessmentError):
    """A known solution that cannot be stored: not UTF-8, not Python that compiles, or an unusable problem."""


class KnownSolutionTooLarge(InvalidKnownSolution):
    """A known solution over the submission size limit."""


class PlaybackFull(AssessmentError):
    """The candidate's edit log reached its bound (settings.playback.max_bytes): nothing more is recorded."""

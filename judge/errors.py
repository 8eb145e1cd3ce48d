"""Exceptions of the judge. A fault of the judge is raised, never stored as a candidate's score."""

from judge.syntax import SyntaxProblem


class JudgeError(Exception):
    """Base of every error the judge raises on purpose; its message is meant for people."""


class ProblemNotFound(JudgeError):
    """No problem with that slug or directory exists."""


class InvalidProblem(JudgeError):
    """A problem package does not follow the package format."""


class InvalidSubmission(JudgeError):
    """A submission cannot be graded at all (missing, too large, not text)."""


class SourceTooLarge(InvalidSubmission):
    """A submission over settings.limits.max_source_bytes."""


class CompileError(InvalidSubmission):
    """A submission refused because it does not compile; `problem` says where and why."""

    def __init__(self, problem: SyntaxProblem) -> None:
        super().__init__(f"the file does not compile: {problem.headline()}")
        self.problem = problem


class Overloaded(JudgeError):
    """The judge has more work waiting than it takes on; the caller may retry after `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CallbackRefused(JudgeError):
    """A callback_url names a destination the judge will not POST to (not http(s), or not public)."""


class SandboxUnavailable(JudgeError):
    """The requested sandbox backend cannot run on this machine."""


class SandboxFault(JudgeError):
    """The sandbox itself failed (not the submission): the grade must be retried, not scored."""


class ChecksFault(SandboxFault):
    """The runner failed in the problem's own code: its checks did not collect, or the runner died or
    was killed (a check may fork-bomb, fill memory or exit). Never the submission's fault: for a bank
    problem it is retried like any fault of the judge; a package being validated is refused for it."""


class NothingToRun(InvalidSubmission):
    """A Run of a problem with no public checks (a quiz, or a problem that keeps every check hidden)."""


class RunNotFound(JudgeError):
    """No such Run among the caller's own."""

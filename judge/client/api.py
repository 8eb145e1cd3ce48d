"""JudgeClient: the judge service's HTTP API as typed Python calls, on httpx.

Answers are the service's own pydantic models (judge.views, judge.api.schemas, judge.assessments.schemas);
an error answer is raised as a JudgeAPIError subclass carrying the problem+json (judge.client.errors).
Team and admin calls send the API key; the candidate calls (`candidate_*`) send the invitation token.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter

from judge.api.schemas import SubmissionAccepted, SubmissionCreate
from judge.app.starters import StarterFormat
from judge.assessments.schemas import (
    AssessmentCreate,
    AssessmentExport,
    AssessmentReport,
    AssessmentView,
    CandidateOverview,
    CandidateProblem,
    CandidateReport,
    CandidateSubmissionCreate,
    CandidateSubmissionView,
    InvitationCreate,
    InvitationIssued,
    InvitationView,
)
from judge.client.errors import (
    JudgeClientError,
    JudgeConnectionError,
    RateLimitedError,
    WaitTimedOut,
    error_of,
    retry_after_s,
)
from judge.client.events import (
    TIMEOUT_EVENT,
    CandidateEvent,
    ServerSentEvent,
    SubmissionEvent,
    candidate_event,
    parse_stream,
    submission_event,
)
from judge.storage.models import SubmissionStatus
from judge.views import API_PREFIX, ProblemDetail, ProblemSummary, SubmissionView

Model = TypeVar("Model", bound=BaseModel)
Event = TypeVar("Event")


class Graded(Protocol):
    """A submission as the service shows it: to a key, or to its candidate."""

    @property
    def status(self) -> SubmissionStatus:
        """queued, running, completed or failed."""
        ...


View = TypeVar("View", bound=Graded)

FINISHED = (SubmissionStatus.COMPLETED, SubmissionStatus.FAILED)
#: One long poll asks the service to wait this long; it caps ?wait= itself (settings.service.max_wait_s).
LONG_POLL_S = 60.0
#: Waiting for Retry-After when the service sent none (or a date).
DEFAULT_RETRY_AFTER_S = 1.0


class Starter(BaseModel):
    """A problem's starter as downloaded: the file name to save it as, its media type and its bytes."""

    filename: str
    media_type: str
    content: bytes


class JudgeClient:
    """A judge service at `base_url` (e.g. http://127.0.0.1:8000), with an API key (team, admin or
    candidate role) and/or a candidate's invitation token.

    With `retry_rate_limited`, a 429 is retried after its Retry-After, at most `max_retries` times;
    otherwise it is raised as RateLimitedError at once. `http` is an httpx.Client to send through (e.g.
    a Starlette TestClient), whose own timeout then applies except to long polls and event streams; by
    default the client makes its own, closed by `close()` or `with`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        invite_token: str | None = None,
        *,
        timeout: float = 30.0,
        retry_rate_limited: bool = False,
        max_retries: int = 3,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.invite_token = invite_token
        self.timeout = timeout
        self.retry_rate_limited = retry_rate_limited
        self.max_retries = max_retries
        self._owned = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)

    def __enter__(self) -> JudgeClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections (only those of an httpx.Client this client made)."""
        if self._owned:
            self._http.close()

    # ------------------------------------------------------------ submissions

    def submit(
        self,
        problem: str,
        file: Path | str | None = None,
        *,
        source: str | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> SubmissionAccepted:
        """Submit a file (sent as multipart with its name: a .py, a .ipynb notebook, a .zip of a problem's
        files, a quiz's .json) or a source text (sent as JSON); the submission is queued."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if file is not None and source is not None:
            raise ValueError("give a file or a source, not both")
        if source is not None:
            body = SubmissionCreate.model_validate({"problem": problem, "source": source, "callback_url": callback_url})
            answer = self._request(
                "POST", "/submissions", json=body.model_dump(mode="json", exclude_none=True), headers=headers
            )
        elif file is not None:
            path = Path(file)
            data = {"problem": problem, **({"callback_url": callback_url} if callback_url else {})}
            answer = self._request(
                "POST", "/submissions", data=data, files={"file": (path.name, _read(path))}, headers=headers
            )
        else:
            raise ValueError("give a file or a source")
        return SubmissionAccepted.model_validate_json(answer.content)

    def get_submission(self, submission_id: str, *, wait: float = 0) -> SubmissionView:
        """A submission's status and, once completed, its result; `wait` long-polls up to that many seconds
        (the service caps it) for it to finish."""
        return self._get(SubmissionView, f"/submissions/{submission_id}", wait)

    def wait(self, submission_id: str, *, timeout: float = 1800.0) -> SubmissionView:
        """Long-poll until the submission is completed or failed; WaitTimedOut after `timeout` seconds."""
        return self._wait(lambda seconds: self.get_submission(submission_id, wait=seconds), submission_id, timeout)

    def events(self, submission_id: str, *, timeout: float | None = None) -> Iterator[SubmissionEvent]:
        """The submission's events as they happen: a CheckEvent per finished check, then one ResultEvent,
        then the iterator ends. A stream the service ends for time is resumed where it stopped. With
        `timeout`, WaitTimedOut once that many seconds pass without the result (noticed within the
        service's keep-alive interval, 15 s)."""
        return self._events(f"/submissions/{submission_id}/events", self._key_headers(), submission_event, timeout)

    def list_submissions(self, *, limit: int = 50, offset: int = 0) -> list[SubmissionView]:
        """A page of the submissions this key may read, newest first."""
        answer = self._request("GET", "/submissions", params={"limit": limit, "offset": offset})
        return [SubmissionView.model_validate(item) for item in answer.json()["items"]]

    # ------------------------------------------------------------ problems

    def list_problems(self) -> list[ProblemSummary]:
        """The problems this key sees: the public bank and the team's private ones."""
        return _list(ProblemSummary, self._request("GET", "/problems"))

    def get_problem(self, slug: str) -> ProblemDetail:
        """A problem's statement, starter, limits and public checks."""
        return ProblemDetail.model_validate_json(self._request("GET", f"/problems/{slug}").content)

    def starter(self, slug: str, format: StarterFormat = StarterFormat.PY) -> Starter:
        """A problem's starter: py (JSON for a quiz), ipynb (one-file code problems) or zip (each file)."""
        return _starter(self._request("GET", f"/problems/{slug}/starter", params={"format": format.value}))

    # ------------------------------------------------------------ assessments (team and admin keys)

    def create_assessment(self, assessment: AssessmentCreate) -> AssessmentView:
        """Create an assessment for the key's team."""
        return self._post(AssessmentView, "/assessments", assessment)

    def list_assessments(self) -> list[AssessmentView]:
        """The team's assessments, newest first."""
        return _list(AssessmentView, self._request("GET", "/assessments"))

    def get_assessment(self, assessment_id: str) -> AssessmentView:
        """One of the team's assessments."""
        return AssessmentView.model_validate_json(self._request("GET", f"/assessments/{assessment_id}").content)

    def invite(self, assessment_id: str, invitation: InvitationCreate) -> InvitationIssued:
        """Invite a candidate: the answer holds the token and link, shown only this once."""
        return self._post(InvitationIssued, f"/assessments/{assessment_id}/invitations", invitation)

    def list_invitations(self, assessment_id: str) -> list[InvitationView]:
        """The assessment's invitations (without tokens), oldest first."""
        return _list(InvitationView, self._request("GET", f"/assessments/{assessment_id}/invitations"))

    def assessment_report(self, assessment_id: str) -> AssessmentReport:
        """Ranking, score distribution, similar pairs and rejudges."""
        answer = self._request("GET", f"/assessments/{assessment_id}/report")
        return AssessmentReport.model_validate_json(answer.content)

    def candidate_report(self, assessment_id: str, invitation_id: str) -> CandidateReport:
        """One candidate of an assessment in full (scores, attempts, code, integrity flags)."""
        answer = self._request("GET", f"/assessments/{assessment_id}/report/candidates/{invitation_id}")
        return CandidateReport.model_validate_json(answer.content)

    def export(self, assessment_id: str) -> AssessmentExport:
        """The report plus every candidate in full."""
        answer = self._request("GET", f"/assessments/{assessment_id}/export", params={"format": "json"})
        return AssessmentExport.model_validate_json(answer.content)

    def export_csv(self, assessment_id: str) -> str:
        """The ranking as CSV, one line per candidate."""
        return self._request("GET", f"/assessments/{assessment_id}/export", params={"format": "csv"}).text

    # ------------------------------------------------------------ a candidate, with the invitation token

    def candidate_overview(self) -> CandidateOverview:
        """The assessment, the candidate's clock and problems."""
        return CandidateOverview.model_validate_json(self._candidate("GET", "/candidate").content)

    def candidate_start(self) -> CandidateOverview:
        """Start the candidate's clock (starting again changes nothing)."""
        return CandidateOverview.model_validate_json(self._candidate("POST", "/candidate/start").content)

    def candidate_problem(self, slug: str) -> CandidateProblem:
        """One problem of the assessment, once started."""
        return CandidateProblem.model_validate_json(self._candidate("GET", f"/candidate/problems/{slug}").content)

    def candidate_starter(self, slug: str, format: StarterFormat = StarterFormat.PY) -> Starter:
        """One problem's starter, once started."""
        return _starter(self._candidate("GET", f"/candidate/problems/{slug}/starter", params={"format": format.value}))

    def candidate_submit(self, problem: str, source: str) -> CandidateSubmissionView:
        """Submit an attempt (the code, or a quiz's answers JSON as text)."""
        body = CandidateSubmissionCreate(problem=problem, source=source).model_dump(mode="json")
        return CandidateSubmissionView.model_validate_json(
            self._candidate("POST", "/candidate/submissions", json=body).content
        )

    def candidate_submissions(self) -> list[CandidateSubmissionView]:
        """The candidate's submissions, newest first."""
        return _list(CandidateSubmissionView, self._candidate("GET", "/candidate/submissions"))

    def candidate_submission(self, entry_id: str, *, wait: float = 0) -> CandidateSubmissionView:
        """One of the candidate's submissions; `wait` long-polls for it to finish."""
        answer = self._candidate(
            "GET", f"/candidate/submissions/{entry_id}", params={"wait": wait}, timeout=self.timeout + wait
        )
        return CandidateSubmissionView.model_validate_json(answer.content)

    def candidate_wait(self, entry_id: str, *, timeout: float = 1800.0) -> CandidateSubmissionView:
        """Long-poll until the candidate's submission finishes; WaitTimedOut after `timeout` seconds."""
        return self._wait(lambda seconds: self.candidate_submission(entry_id, wait=seconds), entry_id, timeout)

    def candidate_events(self, entry_id: str, *, timeout: float | None = None) -> Iterator[CandidateEvent]:
        """The candidate's submission's events, as the feedback level shows them, then its result; `timeout`
        as for `events`."""
        return self._events(
            f"/candidate/submissions/{entry_id}/events", self._token_headers(), candidate_event, timeout
        )

    # ------------------------------------------------------------ plumbing

    def _key_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _token_headers(self) -> dict[str, str]:
        # Bearer, not X-Invitation-Token: the service reads the Authorization header first, and an API key
        # there would be taken for the token.
        return {"Authorization": f"Bearer {self.invite_token}"} if self.invite_token else {}

    def _candidate(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._request(method, path, auth_headers=self._token_headers(), **kwargs)

    def _get(self, model: type[Model], path: str, wait: float) -> Model:
        answer = self._request("GET", path, params={"wait": wait}, timeout=self.timeout + wait)
        return model.model_validate_json(answer.content)

    def _post(self, model: type[Model], path: str, body: BaseModel) -> Model:
        answer = self._request("POST", path, json=body.model_dump(mode="json", exclude_unset=True))
        return model.model_validate_json(answer.content)

    def _wait(self, poll: Callable[[float], View], what: str, timeout: float) -> View:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            view = poll(max(0.0, min(LONG_POLL_S, left)))
            if view.status in FINISHED:
                return view
            if time.monotonic() >= deadline:
                raise WaitTimedOut(f"{what} did not finish within {timeout:g} s (still {view.status})")

    def _request(
        self,
        method: str,
        path: str,
        *,
        auth_headers: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request (again after a 429's Retry-After, when asked); the answer, or its error raised."""
        sent = {**(self._key_headers() if auth_headers is None else auth_headers), **(headers or {})}
        for tries in range(self.max_retries + 1):
            try:
                # Only a long poll needs its own timeout; other requests take the httpx.Client's.
                answer = self._http.request(
                    method,
                    self._url(path),
                    headers=sent,
                    timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
                    **kwargs,
                )
            except httpx.TransportError as exc:
                raise JudgeConnectionError(f"cannot reach {self.base_url}: {_reason(exc)}") from exc
            if answer.is_success:
                return answer
            error = error_of(answer)
            if isinstance(error, RateLimitedError) and self.retry_rate_limited and tries < self.max_retries:
                time.sleep(retry_after_s(answer.headers) or DEFAULT_RETRY_AFTER_S)
                continue
            raise error
        raise AssertionError("unreachable: the last try returns or raises")

    def _events(
        self,
        path: str,
        headers: dict[str, str],
        parse: Callable[[ServerSentEvent], Event | None],
        timeout_s: float | None,
    ) -> Iterator[Event]:
        last_id: str | None = None
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            sent = {**headers, **({"Last-Event-ID": last_id} if last_id else {})}
            # Keep-alives come every 15 s; a read that waits longer than that (plus slack) means a dead link.
            timeout = httpx.Timeout(self.timeout, read=max(self.timeout, 60.0))
            try:
                with self._http.stream("GET", self._url(path), headers=sent, timeout=timeout) as answer:
                    if not answer.is_success:
                        answer.read()
                        raise error_of(answer)
                    for message in parse_stream(_until(answer.iter_lines(), deadline, path)):
                        last_id = message.id or last_id
                        if message.event == TIMEOUT_EVENT:
                            break
                        typed = parse(message)
                        if typed is not None:
                            yield typed
                        if message.event == "result":
                            return
                    else:
                        raise JudgeConnectionError(f"the event stream of {path} ended before the result")
            except httpx.TransportError as exc:
                raise JudgeConnectionError(f"cannot reach {self.base_url}: {_reason(exc)}") from exc

    def _url(self, path: str) -> str:
        return f"{self.base_url}{API_PREFIX}{path}"


def _until(lines: Iterator[str], deadline: float | None, what: str) -> Iterator[str]:
    """`lines` until `deadline` (time.monotonic()); WaitTimedOut after it. Keep-alive lines count, so an
    idle stream is noticed too."""
    for line in lines:
        if deadline is not None and time.monotonic() > deadline:
            raise WaitTimedOut(f"no result on {what} within the time allowed")
        yield line


def _list(model: type[Model], answer: httpx.Response) -> list[Model]:
    return TypeAdapter(list[model]).validate_json(answer.content)  # type: ignore[valid-type]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise JudgeClientError(f"cannot read {path}: {exc.strerror}") from None


def _starter(answer: httpx.Response) -> Starter:
    disposition = answer.headers.get("Content-Disposition", "")
    found = re.search(r'filename="([^"]+)"', disposition)
    return Starter(
        filename=Path(found.group(1)).name if found else "starter",
        media_type=answer.headers.get("Content-Type", "application/octet-stream").split(";")[0],
        content=answer.content,
    )


def _reason(exc: httpx.TransportError) -> str:
    """The transport error in words (httpx's own message is sometimes empty)."""
    return str(exc) or type(exc).__name__

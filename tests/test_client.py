"""judge.client against the real app in-process (FakeSandbox grading), and against a live `judge serve`
grading a seed reference for real."""

from __future__ import annotations

import ast
import io
import json
import signal
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from judge.app.starters import StarterFormat
from judge.assessments.schemas import AssessmentCreate, CandidateSubmissionView, InvitationCreate
from judge.client import (
    CandidateCheckEvent,
    CandidateResultEvent,
    CheckEvent,
    ConflictError,
    JudgeClient,
    JudgeConnectionError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitedError,
    ResultEvent,
    UnauthorizedError,
    UnprocessableError,
    WaitTimedOut,
)
from judge.client.errors import ServerError, error_of
from judge.client.events import ServerSentEvent, parse_stream
from judge.result import Outcome, Verdict
from judge.storage.models import SubmissionStatus
from judge.views import ProblemDetail, SubmissionView
from tests.api.conftest import Service, service, start_service  # noqa: F401 - the API tests' fixtures
from tests.api.support import ServiceProcess, create_key, free_port, judge_command, service_env, wait_healthy
from tests.conftest import PROBLEMS

CLIENT_PACKAGE = Path(__file__).resolve().parent.parent / "judge" / "client"
#: What judge.client may import of the judge: the service's models and the client's own modules.
CLIENT_MAY_IMPORT = (
    "judge.client",
    "judge.api.schemas",
    "judge.app.errors",  # ProblemDetails, the problem+json model
    "judge.app.starters",  # StarterFormat
    "judge.assessments.schemas",
    "judge.result",
    "judge.storage.models",  # the enums the models use (SubmissionStatus)
    "judge.views",
)


def connect(service: Service, key: str | None = None, **options) -> JudgeClient:
    """A client of the in-process service, through its TestClient."""
    return JudgeClient("http://testserver", api_key=key, http=service.client, **options)


def test_the_client_imports_only_the_services_models():
    wrong = []
    for path in sorted(CLIENT_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("judge"):
                if not node.module.startswith(CLIENT_MAY_IMPORT):
                    wrong.append(f"{path.name}: {node.module}")
    assert not wrong, wrong


def test_submit_a_source_and_a_file_wait_and_read_typed_views(service, tmp_path):
    client = connect(service, service.candidate)
    accepted = client.submit("vae-mnist", source="# fine\n")
    assert accepted.status is SubmissionStatus.QUEUED and accepted.problem == "vae-mnist"
    done = client.wait(accepted.id, timeout=30)
    assert isinstance(done, SubmissionView)
    assert done.status is SubmissionStatus.COMPLETED and done.verdict is Verdict.ACCEPTED
    assert done.result is not None and done.score == done.max_score == done.result.max_score > 0
    file = tmp_path / "solution.py"
    file.write_text("# fake: fail=all\n")
    wrong = client.wait(client.submit("vae-mnist", file).id, timeout=30)
    assert wrong.verdict is Verdict.WRONG_ANSWER and wrong.score == 0
    assert {s.id for s in client.list_submissions()} == {accepted.id, wrong.id}
    assert client.get_submission(wrong.id).result == wrong.result


def test_a_multi_file_problem_is_submitted_as_a_zip_of_its_files(service, tmp_path):
    client = connect(service, service.candidate)
    slug = _multi_file()[0]
    detail = client.get_problem(slug)
    assert len(detail.files) > 1
    archive = tmp_path / f"{slug}.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name in detail.files:
            out.writestr(name, "# fine\n")
    done = client.wait(client.submit(slug, archive).id, timeout=30)
    assert done.verdict is Verdict.ACCEPTED, done


def _multi_file() -> list[str]:
    """Slugs of the seed problems a submission of several files answers."""
    return sorted(p.parent.name for p in PROBLEMS.glob("*/problem.toml") if "\nfiles" in p.read_text())


def test_events_are_typed_checks_then_the_result(service):
    client = connect(service, service.candidate)
    accepted = client.submit("vae-mnist", source="# fake: fail=all\n# fake: sleep=0.02\n")
    events = list(client.events(accepted.id, timeout=30))
    checks, last = events[:-1], events[-1]
    assert checks and all(isinstance(e, CheckEvent) and e.attempt == 1 for e in checks)
    assert isinstance(last, ResultEvent) and last.submission.result is not None
    assert [e.check for e in checks if isinstance(e, CheckEvent)] == last.submission.result.checks
    assert all(e.check.outcome is Outcome.FAILED for e in checks if isinstance(e, CheckEvent))


def test_a_stream_the_service_ends_for_time_is_resumed_after_the_last_event(start_service):
    service = start_service(service={"stream_max_s": 0.3})
    client = connect(service, service.candidate)
    accepted = client.submit("vae-mnist", source="# fake: sleep=0.15\n")
    events = list(client.events(accepted.id, timeout=60))
    checks = [e.check.id for e in events if isinstance(e, CheckEvent)]
    result = events[-1]
    assert isinstance(result, ResultEvent) and result.submission.result is not None
    # Grading outlasts one stream (0.15 s a check): several streams, each ended by a `timeout` event, yet
    # every check exactly once, in order.
    assert len(checks) * 0.15 > 2 * 0.3
    assert checks == [c.id for c in result.submission.result.checks]


def test_an_error_answer_that_is_not_problem_json_still_raises_with_its_status():
    error = error_of(httpx.Response(502, text="<html>Bad gateway</html>\n<p>nginx</p>"))
    assert isinstance(error, ServerError)
    assert (error.status, error.title, error.detail) == (502, "Bad Gateway", "<html>Bad gateway</html>")


def test_problems_and_starters(service):
    client = connect(service, service.candidate)
    slugs = [p.slug for p in client.list_problems()]
    assert "vae-mnist" in slugs and slugs == sorted(slugs)
    detail = client.get_problem("vae-mnist")
    assert isinstance(detail, ProblemDetail) and detail.entrypoint == "solution.py" and detail.statement
    starter = client.starter("vae-mnist")
    assert starter.filename == "solution.py" and starter.content.decode() == detail.starter
    notebook = client.starter("vae-mnist", StarterFormat.IPYNB)
    assert notebook.filename == "solution.ipynb" and json.loads(notebook.content)["cells"]
    archive = client.starter("vae-mnist", StarterFormat.ZIP)
    assert zipfile.ZipFile(io.BytesIO(archive.content)).namelist() == ["solution.py"]


def test_errors_carry_the_problem_json(start_service, tmp_path):
    service = start_service(limits={"max_source_bytes": 1000})
    client = connect(service, service.candidate)
    with pytest.raises(UnauthorizedError) as refused:
        connect(service, "judge_not_a_key").list_problems()
    assert refused.value.status == 401 and refused.value.title == "Unauthorized" and refused.value.detail
    assert refused.value.headers["WWW-Authenticate"].startswith("Bearer")
    with pytest.raises(NotFoundError) as missing:
        client.submit("no-such-problem", source="x = 1\n")
    assert missing.value.detail == "unknown problem 'no-such-problem'" or "no-such-problem" in missing.value.detail
    with pytest.raises(NotFoundError):
        client.get_submission("0" * 32)
    with pytest.raises(PayloadTooLargeError) as large:
        client.submit("vae-mnist", source="#" * 2000)
    assert large.value.status == 413
    with pytest.raises(UnprocessableError) as invalid:
        client.get_problem("Not_A_Slug")
    assert invalid.value.extensions["errors"][0]["loc"] == ["path", "slug"]
    # Over the practice API a file that does not compile is graded compile_error (candidates get a 422).
    broken = client.wait(client.submit("vae-mnist", source="def broken(:\n    pass\n").id, timeout=30)
    assert broken.verdict is Verdict.COMPILE_ERROR and broken.result and broken.result.compile_error
    with pytest.raises(ConflictError):
        client.submit("vae-mnist", source="a = 1\n", idempotency_key="k1")
        client.submit("vae-mnist", source="b = 2\n", idempotency_key="k1")
    with pytest.raises(WaitTimedOut):
        client.wait(client.submit("vae-mnist", source="# fake: sleep=1\n").id, timeout=0.2)


def test_a_429_is_raised_or_waited_out_as_the_caller_asks(start_service):
    service = start_service(rate_limits={"per_minute": 1000, "burst": 1})
    impatient = connect(service, service.candidate)
    with pytest.raises(RateLimitedError) as limited:
        for _ in range(3):
            impatient.list_problems()
    assert limited.value.retry_after_s is not None and limited.value.retry_after_s >= 1
    patient = connect(service, service.team, retry_rate_limited=True)
    assert [len(patient.list_problems()) for _ in range(3)] == [len(patient.list_problems())] * 3


def test_an_unreachable_service_is_a_connection_error():
    with JudgeClient(f"http://127.0.0.1:{free_port()}", api_key="k", timeout=5) as client:
        with pytest.raises(JudgeConnectionError, match="cannot reach http://127.0.0.1:"):
            client.list_problems()


def test_a_team_runs_an_assessment_and_a_candidate_takes_it(service):
    team = connect(service, service.team)
    now = datetime.now(UTC)
    assessment = team.create_assessment(
        AssessmentCreate(
            title="screen",
            problems=[{"problem": "vae-mnist", "points": 10}],  # type: ignore[list-item]
            opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1),
            duration_s=1800,
        )
    )
    assert team.get_assessment(assessment.id) == assessment and assessment in team.list_assessments()
    issued = team.invite(assessment.id, InvitationCreate(candidate_name="Ada"))
    assert [i.id for i in team.list_invitations(assessment.id)] == [issued.id]

    candidate = JudgeClient("http://testserver", invite_token=issued.token, http=service.client)
    assert candidate.candidate_overview().candidate_name == "Ada"
    assert candidate.candidate_start().started_at is not None
    problem = candidate.candidate_problem("vae-mnist")
    assert candidate.candidate_starter("vae-mnist").content.decode() == problem.starter
    with pytest.raises(UnprocessableError) as broken:
        candidate.candidate_submit("vae-mnist", "def broken(:\n    pass\n")
    syntax = broken.value.problem.syntax_error
    assert syntax is not None and syntax.line == 1 and syntax.text == "def broken(:"
    assert broken.value.extensions["syntax_error"]["line"] == 1
    entry = candidate.candidate_submit("vae-mnist", "# fake: fail=none\n")
    events = list(candidate.candidate_events(entry.id, timeout=30))
    assert all(isinstance(e, CandidateCheckEvent) and e.check is not None for e in events[:-1]) and events[:-1]
    result = events[-1]
    assert isinstance(result, CandidateResultEvent) and result.submission.score == 10
    assert candidate.candidate_wait(entry.id, timeout=10) == result.submission
    assert candidate.candidate_submissions() == [result.submission]
    assert isinstance(candidate.candidate_submission(entry.id), CandidateSubmissionView)

    report = team.assessment_report(assessment.id)
    assert [row.invitation_id for row in report.ranking] == [issued.id]
    full = team.candidate_report(assessment.id, issued.id)
    assert full.row.total_score == 10
    assert [(c.invitation.id, c.row.total_score) for c in team.export(assessment.id).candidates] == [(issued.id, 10)]
    assert "Ada" in team.export_csv(assessment.id)
    with pytest.raises(NotFoundError):
        connect(service, service.admin).candidate_report(assessment.id, "0" * 32)
    with pytest.raises(UnauthorizedError):
        JudgeClient("http://testserver", invite_token="inv_nope", http=service.client).candidate_overview()


def test_the_event_stream_parser_follows_the_wire_format():
    lines = [
        ": keep-alive",
        "",
        "id: 7",
        "event: check",
        'data: {"a":',
        "data: 1}",
        "",
        "event: result",
        "data: {}",
        "",
    ]
    assert list(parse_stream(lines)) == [
        ServerSentEvent(event="check", data='{"a":\n1}', id="7"),
        ServerSentEvent(event="result", data="{}"),
    ]


# ---------------------------------------------------------------- a live `judge serve`, graded for real


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A real `judge serve` (process sandbox, two grading threads) and a team key."""
    tmp = tmp_path_factory.mktemp("live")
    port = free_port()
    env = service_env(tmp, port=str(port), workers="2", poll_interval_s="0.2")
    process = ServiceProcess(judge_command("serve"), env, tmp / "serve.log").start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base, create_key(env, "team"), env
    finally:
        process.kill(signal.SIGTERM)


#: A seed problem whose reference grades in seconds.
LIVE_PROBLEM = "kl-divergence"


def test_a_live_service_grades_a_seed_reference_with_every_check_passed(live):
    base, key, _env = live
    with JudgeClient(base, api_key=key) as client:
        accepted = client.submit(LIVE_PROBLEM, PROBLEMS / LIVE_PROBLEM / "solution.py")
        events = list(client.events(accepted.id, timeout=300))
        done = client.wait(accepted.id, timeout=60)
    checks = [e.check for e in events if isinstance(e, CheckEvent)]
    assert isinstance(events[-1], ResultEvent) and events[-1].submission == done
    assert done.verdict is Verdict.ACCEPTED and done.result is not None, done
    # Events come as checks finish; the result lists them in the problem's order.
    assert sorted(checks, key=lambda c: c.id) == sorted(done.result.checks, key=lambda c: c.id)
    assert all(c.outcome is Outcome.PASSED for c in checks)
    assert done.score == done.max_score > 0

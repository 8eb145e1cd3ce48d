"""Health, readiness, metrics, the OpenAPI document, callbacks and recovery after a crash."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from judge.app.factory import create_app
from judge.errors import SandboxUnavailable
from judge.queue import callbacks
from judge.sandbox.select import TRUSTED_CODE_ONLY, choose_sandbox
from judge.settings import Settings
from judge.storage import keys, submissions
from judge.storage.db import make_engine, migrate, session_factory
from judge.storage.models import Role, Submission, SubmissionStatus, utcnow
from judge.storage.submissions import NewSubmission
from tests.api.support import fake_sandbox_factory, wait_for
from tests.conftest import PROBLEMS


def test_healthz_and_readyz(service):
    assert service.client.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = service.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "queue": "ok", "sandbox": "ok"}
    assert ready.json()["sandbox"] == {"name": "fake", "trusted_code_only": False, "warning": None}


def test_readyz_says_the_process_sandbox_asked_for_by_name_is_for_trusted_code_only(tmp_path):
    settings = Settings(
        problems={"dirs": [PROBLEMS]}, storage={"data_dir": tmp_path / "data"}, sandbox={"backend": "process"}
    )
    with TestClient(create_app(settings, sandbox_factory=choose_sandbox)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["sandbox"] == {"name": "process", "trusted_code_only": True, "warning": TRUSTED_CODE_ONLY}


def test_readyz_is_503_when_no_sandbox_can_be_made(start_service, monkeypatch):
    service = start_service()

    def refuse(_settings):
        raise SandboxUnavailable("no sandbox that contains candidate code works here (docker: gone; bwrap: gone)")

    monkeypatch.setattr(service.state, "sandbox_factory", refuse)
    answer = service.client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["sandbox"].startswith("unavailable: no sandbox that contains candidate code")
    assert answer.json()["sandbox"] is None


def test_readyz_is_503_when_the_broker_is_down(start_service):
    service = start_service(queue={"backend": "celery", "redis_url": "redis://127.0.0.1:1/0"})
    answer = service.client.get("/readyz")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "10"
    assert answer.json()["checks"]["queue"] == "the queue's broker does not answer (ConnectionError)"


def test_a_submission_taken_while_the_broker_is_down_stays_queued(start_service):
    service = start_service(queue={"backend": "celery", "redis_url": "redis://127.0.0.1:1/0"})
    created = service.submit(service.candidate, "x\n")
    with service.state.sessions() as session:
        row = submissions.get(session, created["id"])
        assert row.status == "queued" and row.dispatched_at is None
        assert submissions.undispatched(session) == [created["id"]]


def test_metrics(service):
    accepted = service.submit(service.candidate, "# fine\n")
    partial = service.submit(service.candidate, "# fake: fail=loss_formula\n")
    service.wait(service.candidate, accepted["id"])
    service.wait(service.candidate, partial["id"])
    text = service.client.get("/metrics").text
    assert 'judge_submissions_total{verdict="accepted"} 1.0' in text
    assert 'judge_submissions_total{verdict="partial"} 1.0' in text
    assert 'judge_submissions_by_status{status="completed"} 2.0' in text
    assert "judge_queue_depth 0.0" in text
    assert 'judge_grading_seconds_bucket{le="+Inf"} 2.0' in text
    assert "judge_grading_seconds_count 2.0" in text


def test_openapi_is_complete(service):
    spec = service.client.get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation.get("description"), f"{method} {path} has no description"
            if path.startswith("/api/v1"):
                assert "401" in operation["responses"], f"{method} {path} does not document 401"
    body = spec["paths"]["/api/v1/submissions"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert {"HTTPBearer", "APIKeyHeader"} <= set(spec["components"]["securitySchemes"])
    for name, schema in spec["components"]["schemas"].items():
        if not name.startswith(("Body_", "HTTPValidationError", "ValidationError")):
            assert schema.get("description"), f"schema {name} has no description"


class _Receiver(BaseHTTPRequestHandler):
    """Answers 500 to the first `failures` POSTs, then 200; keeps what it got."""

    failures = 1
    received: list[tuple[dict, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        """Record the delivery and answer."""
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        status = 500 if len(type(self).received) <= type(self).failures else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture
def receiver():
    """A callback receiver on the loopback."""
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_callback_is_signed_and_retried_with_backoff(start_service, receiver):
    service = start_service(callbacks={"secret": "s3cret", "allowed_hosts": ["127.0.0.1"]})
    created = service.submit(service.team, "# fine\n", callback_url=receiver)
    service.wait(service.team, created["id"])
    wait_for(lambda: len(_Receiver.received) >= 2, 10, "the callback to be retried")
    headers, body = _Receiver.received[-1]
    assert callbacks.verify("s3cret", headers["X-Judge-Signature"], body)
    assert not callbacks.verify("wrong", headers["X-Judge-Signature"], body)
    assert headers["X-Judge-Delivery"] == created["id"]
    assert [h["X-Judge-Attempt"] for h, _ in _Receiver.received] == ["1", "2"]
    payload = json.loads(body)
    assert payload["id"] == created["id"] and payload["verdict"] == "accepted"

    def delivered():
        view = service.client.get(f"/api/v1/submissions/{created['id']}", headers=service.auth(service.team)).json()
        return view["callback"]["state"] == "delivered" and view

    view = wait_for(delivered, 10, "the callback to be marked delivered")
    assert view["callback"]["attempts"] == 2


def test_callback_gives_up_after_its_attempts(start_service, receiver):
    _Receiver.failures = 100
    try:
        service = start_service(callbacks={"secret": "s3cret", "max_deliveries": 3, "allowed_hosts": ["127.0.0.1"]})
        created = service.submit(service.admin, "# fine\n", callback_url=receiver)

        def failed():
            view = service.client.get(
                f"/api/v1/submissions/{created['id']}", headers=service.auth(service.admin)
            ).json()
            return view["callback"]["state"] == "failed" and view

        view = wait_for(failed, 10, "the callback to be given up on")
        assert view["callback"]["attempts"] == 3 and view["callback"]["error"] == "the receiver answered 500"
        assert len(_Receiver.received) == 3
    finally:
        _Receiver.failures = 1


def test_restart_regrades_what_a_crash_left_queued_or_running(tmp_path):
    settings = Settings(
        problems={"dirs": [PROBLEMS]},
        storage={"data_dir": tmp_path / "data"},
        service={"poll_interval_s": 0.05},
        queue={"heartbeat_timeout_s": 1.0, "heartbeat_interval_s": 0.2},
    )
    engine = make_engine(settings)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        key = keys.create_key(session, Role.ADMIN, "admin").secret
        queued, _ = submissions.create(session, NewSubmission(problem="vae-mnist", source=b"# queued\n"))
        running, _ = submissions.create(session, NewSubmission(problem="vae-mnist", source=b"# running\n"))
        # As a crashed process left it: running, attempt 1, its heartbeat going stale.
        row = session.get(Submission, running.id)
        row.status, row.attempts, row.heartbeat_at = (
            SubmissionStatus.RUNNING.value,
            1,
            utcnow() - timedelta(seconds=0.5),
        )
        session.commit()
    engine.dispose()
    app = create_app(settings, sandbox_factory=fake_sandbox_factory)
    with TestClient(app) as client:
        for submission_id, attempts in ((queued.id, 1), (running.id, 2)):
            body = client.get(
                f"/api/v1/submissions/{submission_id}", params={"wait": 20}, headers={"X-API-Key": key}
            ).json()
            assert body["status"] == "completed" and body["attempts"] == attempts


def test_a_grade_whose_worker_stops_beating_is_taken_over_while_the_service_runs(start_service):
    service = start_service(queue={"heartbeat_timeout_s": 0.5, "sweep_interval_s": 0.1})
    created = service.submit(service.admin, "# fine\n")
    service.wait(service.admin, created["id"])
    with service.state.sessions() as session:
        orphan, _ = submissions.create(session, NewSubmission(problem="vae-mnist", source=b"# orphan\n"))
        # Claimed by a worker on another host that died at once: nothing but the sweeper sends it again.
        submissions.claim(session, orphan.id, worker="dead-host:1", max_tries=3, heartbeat_timeout_s=0.5)
    body = service.wait(service.admin, orphan.id)
    assert body["status"] == "completed" and body["verdict"] == "accepted" and body["attempts"] == 2


def test_a_submission_whose_grader_keeps_dying_ends_internal_error(tmp_path):
    """Each start finds it running with a dead grader; the attempt counter stops the loop at 3."""
    settings = Settings(
        problems={"dirs": [PROBLEMS]},
        storage={"data_dir": tmp_path / "data"},
        queue={"heartbeat_timeout_s": 0.01, "max_tries": 3},
    )
    engine = make_engine(settings)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        created, _ = submissions.create(session, NewSubmission(problem="vae-mnist", source=b"x"))
        states = []
        for _ in range(4):
            claim = submissions.claim(session, created.id, worker="w", max_tries=3, heartbeat_timeout_s=0.0)
            states.append((claim.state.value, claim.try_number))
        row = submissions.get(session, created.id)
    assert states == [("claimed", 1), ("claimed", 2), ("claimed", 3), ("exhausted", 0)]
    assert row.status == "failed" and row.verdict == "internal_error" and row.attempts == 3
    assert row.error == "grading failed 3 times (its worker died or the sandbox failed); giving up"


def test_openapi_references_resolve(service):
    # ReDoc refuses a whole document over one dangling $ref (Swagger UI only marks that operation).
    spec = service.client.get("/api/v1/openapi.json").json()
    named = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert named and named <= set(spec["components"]["schemas"]), named - set(spec["components"]["schemas"])


def test_api_docs_pages_load_their_assets_from_this_server(service):
    for path, assets in (
        ("/api/v1/docs", ("swagger-ui-bundle.js", "swagger-ui.css")),
        ("/api/v1/redoc", ("redoc.standalone.js",)),
    ):
        page = service.client.get(path)
        assert page.status_code == 200 and "/api/v1/openapi.json" in page.text
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page.text)
        assert not external, f"{path} loads {external}"
        for asset in assets:
            assert f"/api/v1/docs-assets/{asset}" in page.text
            answer = service.client.get(f"/api/v1/docs-assets/{asset}")
            assert answer.status_code == 200 and len(answer.content) > 10_000, asset

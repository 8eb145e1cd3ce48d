"""No log line of the service carries a token, a key or a session: the access log of a real `judge serve` included."""

from __future__ import annotations

import logging
import signal

import httpx
import pytest
from uvicorn.logging import AccessFormatter

from judge.logs import RedactSecrets, redact, redact_celery_logs
from tests.api.support import ServiceProcess, first_admin_key, free_port, judge_command, service_env, wait_healthy

INVITATION = "inv_0123456789abcdef_" + "S3cr3t-invitation_token" * 2
API_KEY = "judge_0a1b2c3d4e5f_" + "S3cr3t-api-key_value" * 2


@pytest.mark.parametrize(
    "line, secret, kept",
    [
        (f"GET /invite/{INVITATION} HTTP/1.1", INVITATION, "/invite/inv_0123456789abcdef_[redacted]"),
        ("GET /invite/inv_not-shaped-like-a-token HTTP/1.1", "not-shaped-like-a-token", "/invite/inv_[redacted]"),
        (f"presented {API_KEY}", API_KEY, "judge_0a1b2c3d4e5f_[redacted]"),
        ("Authorization: Bearer opaque.credential-123", "opaque.credential-123", "Bearer [redacted]"),
        (
            "Cookie: judge_session=eyJrIjoiYWJjIn0.c2lnbmF0dXJl; judge_csrf=abcDEF123",
            "eyJrIjoiYWJjIn0",
            "judge_session=[redacted]; judge_csrf=[redacted]",
        ),
        ("Cookie: judge_invitation=opaqueInvite1", "opaqueInvite1", "judge_invitation=[redacted]"),
        (
            "X-API-Key: opaqueKey2, X-CSRF-Token: opaqueCsrf3",
            "opaque",
            "X-API-Key: [redacted], X-CSRF-Token: [redacted]",
        ),
        ("POST /team/x csrf_token=Zm9vYmFy&name=a", "Zm9vYmFy", "csrf_token=[redacted]&name=a"),
        ("GET /api/v1/problems?wait=5&token=opaque123&x=1", "opaque123", "?wait=5&token=[redacted]&x=1"),
        ("GET /hook?api_key=opaque456", "opaque456", "?api_key=[redacted]"),
        ("GET /hook?X-Amz-Signature=opaque789", "opaque789", "?X-Amz-Signature=[redacted]"),
    ],
)
def test_redact_takes_out_each_kind_of_secret(line, secret, kept):
    cleaned = redact(line)
    assert secret not in cleaned and kept in cleaned


def test_an_access_record_keeps_its_shape_for_uvicorns_formatter():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/invite/{INVITATION}", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s", use_colors=False).format(record)
    assert line == "127.0.0.1:5000 GET /invite/inv_0123456789abcdef_[redacted] HTTP/1.1 200 OK"


def test_a_record_whose_argument_or_traceback_holds_a_secret_is_redacted():
    try:
        raise ValueError(f"bad key {API_KEY}")
    except ValueError as exc:
        record = logging.LogRecord(
            "judge.x", logging.ERROR, __file__, 1, "failed: %s", (exc,), (type(exc), exc, exc.__traceback__)
        )
    RedactSecrets().filter(record)
    line = logging.Formatter().format(record)
    assert "failed: bad key judge_0a1b2c3d4e5f_[redacted]" in line and "Traceback" in line
    assert API_KEY not in line


def test_celerys_own_handlers_get_the_filter_when_a_worker_sets_up_logging():
    from celery.signals import after_setup_logger

    logger = logging.getLogger("tests.celery-like")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        redact_celery_logs()
        # What Celery sends after replacing the root logger's handlers at worker start.
        after_setup_logger.send(
            sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="", colorize=False
        )
        assert any(isinstance(f, RedactSecrets) for f in handler.filters)
    finally:
        logger.removeHandler(handler)


def test_the_access_log_of_judge_serve_carries_no_token(tmp_path):
    port = free_port()
    env = service_env(tmp_path, port=str(port))
    service = ServiceProcess(judge_command("serve"), env, tmp_path / "serve.log").start()
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, service)
        key = first_admin_key(env)
        with httpx.Client(base_url=base, timeout=30) as client:
            client.get(f"/invite/{INVITATION}")
            client.get(
                "/api/v1/problems",
                params={"token": "query-secret-1", "wait": "1"},
                headers={"Authorization": f"Bearer {key}"},
            )
            client.get("/api/v1/problems", params={"api_key": key})
            client.get(f"/api/v1/problems/{API_KEY}", headers={"X-API-Key": key})
    finally:
        service.kill(signal.SIGTERM)
    log = service.log()
    assert "/invite/inv_0123456789abcdef_[redacted] HTTP/1.1" in log, log[-3000:]
    assert "/api/v1/problems?token=[redacted]&wait=1 HTTP/1.1" in log
    assert "/api/v1/problems?api_key=[redacted] HTTP/1.1" in log
    for secret in (INVITATION, key, key.rsplit("_", 1)[1], "query-secret-1", API_KEY):
        assert secret not in log

"""The service's log lines, with every secret taken out before a handler writes them.

Invitation tokens travel in URL paths (`/invite/inv_...`), API keys and tokens in Authorization
headers and sometimes in query strings: an access log would keep them for anyone who reads the
container's logs. A filter on every handler `judge serve` and `judge worker` install redacts them.
"""

from __future__ import annotations

import copy
import logging
import re

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"

# Invitation tokens `inv_<16 hex id>_<secret>` and API keys `judge_<12 hex id>_<secret>`
# (judge/assessments/tokens.py, judge/storage/keys.py): the id stays, to tell lines apart.
_INVITATION = re.compile(r"\binv_(?:([0-9a-f]{16})_)?[A-Za-z0-9_-]+")
_API_KEY = re.compile(r"\bjudge_([0-9a-f]{12})_[A-Za-z0-9_-]+")
_AUTHORIZATION = re.compile(r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# Cookies and form fields that carry a session or CSRF token (judge/app/cookies.py).
_COOKIE = re.compile(r"\b(judge_session|judge_csrf|judge_invitation|csrf_token)=[^;&\s\"']+")
# Headers that carry a credential, should a line quote them.
_HEADER = re.compile(r"\b(X-API-Key|X-Invitation-Token|X-CSRF-Token)(\s*[:=]\s*)[^\s,;\"']+", re.IGNORECASE)
# Query parameters whose name says they carry a credential, whatever its shape.
_QUERY_SECRET = re.compile(
    r"([?&][^=&\s\"']*(?:token|key|secret|password|passwd|session|csrf|signature|auth|code)[^=&\s\"']*=)[^&\s\"']*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` without invitation tokens, API keys, bearer credentials, session/CSRF tokens and secret query values."""
    text = _INVITATION.sub(lambda m: f"inv_{m.group(1)}_{REDACTED}" if m.group(1) else f"inv_{REDACTED}", text)
    text = _API_KEY.sub(lambda m: f"judge_{m.group(1)}_{REDACTED}", text)
    text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _COOKIE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _QUERY_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """A handler filter that redacts a record's message, its arguments and its traceback text."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` in place; never drops it."""
        if isinstance(record.args, tuple) and record.name == "uvicorn.access":
            # uvicorn's AccessFormatter unpacks the five arguments itself: redact each, keep the shape.
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
            record.msg = redact(str(record.msg))
        else:
            # Any argument's str() may hold a secret (an exception naming a URL): format now, then redact.
            record.msg = redact(record.getMessage())
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Add RedactSecrets to every handler of `logger` (default: the root logger) that lacks one."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())


def configure() -> None:
    """Log INFO and above to stderr, redacted (what `judge serve` and `judge worker` do first)."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    install_redaction()


def uvicorn_log_config() -> dict:
    """uvicorn's own logging configuration with RedactSecrets on each of its handlers (the access log among them)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_secrets")
    return config


def redact_celery_logs() -> None:
    """Keep the filter when Celery replaces the root logger's handlers at worker start (once per process)."""
    from celery.signals import after_setup_logger, after_setup_task_logger

    after_setup_logger.connect(_on_celery_logger, weak=False, dispatch_uid="judge.logs.redact")
    after_setup_task_logger.connect(_on_celery_logger, weak=False, dispatch_uid="judge.logs.redact-task")


def _on_celery_logger(logger: logging.Logger, **_signal_arguments) -> None:
    install_redaction(logger)

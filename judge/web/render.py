"""Rendering pages: the Jinja2 environment, security headers, and the CSRF cookie every form needs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from judge.app.cookies import CSRF_COOKIE, secure_cookies
from judge.app.sessions import csrf_token, new_csrf_cookie, session_secret
from judge.settings import Settings
from judge.web import plot
from judge.web.markdown import render_markdown

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Scripts and styles come only from /static: no inline script can run, whatever a page shows.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    # Candidate pages carry the invitation token in their URL: never send it to another site.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _points(value: float | None) -> str:
    if value is None:
        return "–"
    # Scaled points come out like 0.666667: two decimals are what people read.
    return f"{round(value, 2):g}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one template environment: autoescaped HTML, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = render_markdown
    env.filters["duration"] = _duration
    env.filters["points"] = _points
    env.globals["series_chart"] = plot.series_chart
    env.globals["histogram_chart"] = plot.histogram_chart
    env.globals["series_label"] = plot.series_label
    env.globals["series_meaning"] = plot.series_meaning
    return env


def page(
    request: Request, settings: Settings, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render `template` with `context`, plus the CSRF token of this browser (setting its cookie if new)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    fresh = cookie is None
    if cookie is None:
        cookie = new_csrf_cookie()
    token = csrf_token(session_secret(settings), cookie)
    html = environment().get_template(template).render(request=request, csrf_token=token, **context)
    response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
    if fresh:
        response.set_cookie(
            CSRF_COOKIE, cookie, httponly=True, samesite="strict", secure=secure_cookies(request, settings), path="/"
        )
    return response

"""Errors on page paths are pages: the same status and message the API would answer, as HTML; a team
page that needs a signed-in member sends the browser to the sign-in form instead."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from judge.web.render import SECURITY_HEADERS, environment

#: Page paths: errors under these prefixes are answered as HTML.
PAGE_PREFIXES = ("/team", "/take", "/invite")
LOGIN_PATH = "/team/login"

Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_page(path: str) -> bool:
    """Whether `path` is one of the web pages (not the API, not static files)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PAGE_PREFIXES)


def error_page(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """An error as a page; 401 on a team page becomes a redirect to sign in, coming back afterwards."""
    path = request.url.path
    if (
        status == HTTPStatus.UNAUTHORIZED
        and path.startswith("/team")
        and path != LOGIN_PATH
        and request.method == "GET"
    ):
        return RedirectResponse(
            f"{LOGIN_PATH}?next={quote(path, safe='/')}", status_code=303, headers={"Cache-Control": "no-store"}
        )
    link = {"href": LOGIN_PATH, "text": "Sign in"} if path.startswith("/team") and status in (401, 403) else None
    html = environment().get_template("error.html").render(title=HTTPStatus(status).phrase, detail=detail, link=link)
    kept = {k: v for k, v in (headers or {}).items() if k.lower() in ("retry-after",)}
    return HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, **kept})


def for_pages(handler: Handler) -> Handler:
    """Wrap an API exception handler so that, on a page path, its problem+json answer becomes a page."""

    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not is_page(request.url.path) or response.media_type != "application/problem+json":
            return response
        detail = json.loads(response.body).get("detail", "")
        return error_page(request, response.status_code, detail, dict(response.headers))

    return handle

"""The exception handlers: every error the service raises, answered from the exception itself
(judge.app.errors maps it) as application/problem+json, or, on page paths, as an HTML page with the
same status and message; a team page that needs a signed-in member sends the browser to sign in."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from judge.app.errors import HANDLED, http_error_of, problem_response
from judge.web.render import SECURITY_HEADERS, environment

#: Page paths: errors under these prefixes are answered as HTML.
PAGE_PREFIXES = ("/team", "/take", "/invite")
LOGIN_PATH = "/team/login"


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


async def answer(request: Request, exc: Exception) -> Response:
    """The answer to `exc`: a page on page paths, else problem+json."""
    error = http_error_of(exc)
    if is_page(request.url.path):
        return error_page(request, error.status, error.detail, error.headers)
    return problem_response(error.status, error.detail, error.headers, error.errors, error.syntax_error)


def install(app: FastAPI) -> None:
    """Answer every exception with `answer`: the mapped ones, and any other as a 500."""
    for kind in (*HANDLED, Exception):
        app.add_exception_handler(kind, answer)

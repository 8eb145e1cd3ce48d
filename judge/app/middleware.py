"""The service's ASGI middleware: the request-body limit, and HSTS on answers over HTTPS."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from judge.app.client import over_https
from judge.app.errors import PayloadTooLarge, problem_response
from judge.settings import Settings

#: Browsers that reached us over HTTPS keep to it for a year (sent on HTTPS answers only, as RFC 6797 asks).
HSTS_HEADER = "max-age=31536000"


class BodyLimit:
    """Refuses request bodies over `limit` bytes with 413, by Content-Length or as they stream in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then count what arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            response = problem_response(413, f"the request body is {int(declared)} bytes; the limit is {self.limit}")
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise PayloadTooLarge(f"the request body is over the {self.limit}-byte limit")
            return message

        await self.app(scope, counted, send)


class StrictTransportSecurity:
    """Adds Strict-Transport-Security to every answer to a request that came over HTTPS (directly or
    through a trusted proxy); a plain-HTTP answer never carries it."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the header to the answer's start when it came over HTTPS."""
        if scope["type"] != "http" or not over_https(HTTPConnection(scope), self.settings):
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Strict-Transport-Security"] = HSTS_HEADER
            await send(message)

        await self.app(scope, receive, send_with_hsts)

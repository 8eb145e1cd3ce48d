"""The client's address and scheme: forwarded headers count only from a trusted proxy; HSTS over HTTPS only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from starlette.requests import Request

from judge.app.client import client_address, over_https
from judge.app.middleware import HSTS_HEADER
from judge.settings import Settings


def _request(peer: str, headers: dict[str, str], scheme: str = "http") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "client": (peer, 5000),
            "headers": raw,
            "path": "/",
            "server": ("judge", 80),
            "query_string": b"",
        }
    )


def test_forwarded_headers_from_an_untrusted_peer_are_ignored():
    settings = Settings(service={"trusted_proxies": ["10.0.0.0/8"]})
    request = _request("203.0.113.9", {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"})
    assert client_address(request, settings) == "203.0.113.9"
    assert not over_https(request, settings)


def test_a_trusted_proxy_names_the_client_and_the_scheme():
    settings = Settings(service={"trusted_proxies": ["10.0.0.0/8"]})
    request = _request("10.1.2.3", {"X-Forwarded-For": "198.51.100.1", "X-Forwarded-Proto": "https"})
    assert client_address(request, settings) == "198.51.100.1"
    assert over_https(request, settings)


def test_a_client_cannot_prepend_its_way_past_the_proxy():
    settings = Settings(service={"trusted_proxies": ["10.0.0.0/8"]})
    # The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the address it saw.
    request = _request("10.1.2.3", {"X-Forwarded-For": "1.1.1.1, 198.51.100.7"})
    assert client_address(request, settings) == "198.51.100.7"


def test_without_trusted_proxies_only_the_real_scheme_counts():
    settings = Settings()
    assert over_https(_request("127.0.0.1", {}, scheme="https"), settings)
    assert not over_https(_request("127.0.0.1", {"X-Forwarded-Proto": "https"}), settings)
    assert client_address(_request("127.0.0.1", {"X-Forwarded-For": "8.8.8.8"}), settings) == "127.0.0.1"


def _hsts(service, base_url: str, peer: str, headers: dict[str, str]) -> list[str | None]:
    client = TestClient(service.client.app, base_url=base_url, client=(peer, 5000), headers=headers)
    answers = [client.get("/healthz"), client.get("/api/v1/problems"), client.get("/team/login")]
    return [a.headers.get("strict-transport-security") for a in answers]


def test_hsts_is_sent_over_https_and_only_then(start_service):
    service = start_service(service={"trusted_proxies": ["10.0.0.0/8"]})
    assert _hsts(service, "https://testserver", "203.0.113.9", {}) == [HSTS_HEADER] * 3
    assert _hsts(service, "http://testserver", "10.1.2.3", {"X-Forwarded-Proto": "https"}) == [HSTS_HEADER] * 3
    assert _hsts(service, "http://testserver", "10.1.2.3", {}) == [None] * 3
    assert _hsts(service, "http://testserver", "203.0.113.9", {"X-Forwarded-Proto": "https"}) == [None] * 3, (
        "not from an untrusted peer"
    )
    assert HSTS_HEADER == "max-age=31536000"

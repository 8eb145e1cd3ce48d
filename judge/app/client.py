"""Who sent a request and how: the client's address and whether it came over HTTPS, believing
X-Forwarded-For and X-Forwarded-Proto only from a proxy that settings.service.trusted_proxies names."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

from judge.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies)


def _is_trusted(address: str | None, settings: Settings) -> bool:
    if not address or not settings.service.trusted_proxies:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.service.trusted_proxies)))


def _peer(connection: HTTPConnection) -> str | None:
    return connection.client.host if connection.client else None


def client_address(connection: HTTPConnection, settings: Settings) -> str:
    """The address the request came from: the peer's, or, behind trusted proxies, the nearest address in
    X-Forwarded-For that is not itself a trusted proxy. "unknown" when there is no peer (tests, sockets)."""
    peer = _peer(connection)
    if not _is_trusted(peer, settings):
        return peer or "unknown"
    hops = [h.strip() for h in ",".join(connection.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    # Walk from the nearest hop back: a client can prepend anything, only what trusted proxies appended counts.
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer or "unknown"
        if not _is_trusted(hop, settings):
            return hop
    return hops[0] if hops else (peer or "unknown")


def over_https(connection: HTTPConnection, settings: Settings) -> bool:
    """Whether the client reached us over HTTPS: the request's own scheme, or the X-Forwarded-Proto a
    trusted proxy set (its last value, the one that proxy wrote)."""
    if connection.url.scheme in ("https", "wss"):
        return True
    if not _is_trusted(_peer(connection), settings):
        return False
    values = [
        v.strip().lower() for v in ",".join(connection.headers.getlist("x-forwarded-proto")).split(",") if v.strip()
    ]
    return bool(values) and values[-1] == "https"

"""Result callbacks: the submission's JSON POSTed to its callback_url, signed with HMAC-SHA256.

Headers: `X-Judge-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the callback
secret>`, `X-Judge-Delivery` (the submission id) and `X-Judge-Attempt` (the delivery's number,
from 1). A receiver recomputes the HMAC over the raw body, compares in constant time and rejects
stale timestamps.

A callback_url is chosen by a team, and the judge POSTs from inside its network: the host must resolve
only to public addresses (settings.callbacks.allowed_hosts names exceptions). The address that was
checked is the one dialled, so that a second DNS answer cannot swap in an internal one; redirects are
not followed, proxies from the environment are not used, and what went wrong in the network is logged,
never stored where the team reads it (it would map ports of internal hosts).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from judge.errors import CallbackRefused
from judge.settings import Settings
from judge.storage.models import Submission
from judge.views import SubmissionView

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: host, port -> every address the host resolves to (a seam: tests answer differently on each call).
Resolver = Callable[[str, int], list[IPAddress]]

#: What a team reads when the network failed; the reason (refused, timed out, TLS) is in the server log.
UNREACHABLE = "the receiver could not be reached"

# Not public whatever `is_global` says on this Python version: shared address space (CGNAT), link-local
# (cloud metadata at 169.254.169.254), multicast, "this network", reserved and broadcast, IPv6 unique-local,
# link-local, site-local and multicast, and the IPv6 forms that embed an IPv4 address (checked separately).
_NOT_PUBLIC = [
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: IPAddress) -> bool:
    """Whether `address` is a public unicast address (an IPv6 one embedding an IPv4 address: that one's)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    if any(address in network for network in _NOT_PUBLIC if network.version == address.version):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives `host` (IPv4 and IPv6), in its order of preference."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(answer[4][0]) for answer in answers))


@dataclass(frozen=True)
class Destination:
    """A callback_url whose host was checked, and the one address to dial for it."""

    url: httpx.URL
    address: IPAddress


def destination(url: str, settings: Settings, resolve: Resolver = resolve_host) -> Destination:
    """Resolve `url`'s host once and check every address; raise CallbackRefused unless each is public
    or allowed by settings.callbacks.allowed_hosts. The message names no resolved address."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise CallbackRefused("not a valid http(s) URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise CallbackRefused("not a valid http(s) URL")
    host = parsed.raw_host.decode("ascii").lower().rstrip(".")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(host)]
        host = str(addresses[0])  # one spelling of an address however the URL wrote it
    except ValueError:
        addresses = []
    refused = CallbackRefused(
        f"{host} is not a public address or does not resolve only to public addresses"
        " (an internal receiver must be listed in JUDGE_CALLBACK_ALLOWED_HOSTS)"
    )
    if not addresses:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            raise refused from None
    if not addresses:
        raise refused
    names, networks = _allowed(settings)
    if host not in names:
        for address in addresses:
            if not (
                is_public(address)
                or any(address in network for network in networks if network.version == address.version)
            ):
                raise refused
    return Destination(parsed, addresses[0])


def _allowed(settings: Settings) -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in settings.callbacks.allowed_hosts:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return names, networks


def payload(row: Submission) -> bytes:
    """The body of a callback: exactly what GET /submissions/{id} answers."""
    return SubmissionView.of(row).model_dump_json().encode("utf-8")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Judge-Signature header value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, max_age_s: float = 300.0) -> bool:
    """Whether `header` is a valid, fresh signature of `body` (what a receiver does)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > max_age_s:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def post(
    url: str,
    body: bytes,
    settings: Settings,
    *,
    delivery_number: int,
    delivery_id: str,
    resolve: Resolver = resolve_host,
) -> str | None:
    """Deliver once to the address `url`'s host resolves to now (checked); None on a 2xx answer, else
    why it failed, in words that say nothing about the network behind the judge."""
    if settings.callbacks.secret is None:
        return "the server has no callback secret (JUDGE_CALLBACK_SECRET)"
    try:
        target = destination(url, settings, resolve)
    except CallbackRefused as exc:
        log.warning("callback of %s not sent: %s", delivery_id, exc)
        return f"not sent: {exc}"
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "judge-callback/1",
        "X-Judge-Signature": signature(settings.callbacks.secret.get_secret_value(), int(time.time()), body),
        "X-Judge-Delivery": delivery_id,
        "X-Judge-Attempt": str(delivery_number),
    }
    # Dial the checked address itself: the URL carries it, and the host name travels as the Host header
    # and (https) as the TLS server name, which the certificate is verified against (httpcore's
    # `sni_hostname` request extension). No second lookup happens, so DNS rebinding cannot redirect it.
    extensions = {"sni_hostname": target.url.raw_host.decode("ascii")} if target.url.scheme == "https" else {}
    headers["Host"] = target.url.netloc.decode("ascii")
    dialled = target.url.copy_with(host=str(target.address))
    try:
        with httpx.Client(trust_env=False, follow_redirects=False, timeout=settings.callbacks.timeout_s) as client:
            answer = client.post(dialled, content=body, headers=headers, extensions=extensions)
    except httpx.HTTPError as exc:
        log.warning(
            "callback of %s to %s (%s) failed: %s: %s", delivery_id, url, target.address, type(exc).__name__, exc
        )
        return UNREACHABLE
    if 200 <= answer.status_code < 300:
        return None
    return f"the receiver answered {answer.status_code}"

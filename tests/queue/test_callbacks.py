"""Callback delivery reaches only public addresses (or allow-listed receivers), the checked one, directly."""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from judge.errors import CallbackRefused
from judge.queue import callbacks
from judge.settings import Settings

NOT_PUBLIC = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "10.0.0.5",  # private
    "172.16.3.4",
    "192.168.1.1",
    "169.254.169.254",  # link-local: cloud metadata
    "100.64.0.1",  # shared address space (CGNAT)
    "224.0.0.1",  # multicast
    "233.252.0.1",
    "0.0.0.0",  # unspecified / this network
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.5",
    "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
    "2002:a00:5::1",  # 6to4 of 10.0.0.5
    "fc00::1",  # unique-local
    "fd12:3456::1",
    "fe80::1",  # link-local
    "ff02::1",  # multicast
]


class _Recorder(BaseHTTPRequestHandler):
    """Records each POST (path, headers); answers the server's `status`, with its `location`."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        """Record and answer."""
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((self.path, dict(self.headers)))
        self.send_response(self.server.status)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        """Quiet."""


@pytest.fixture
def start_receiver() -> Iterator:
    """start_receiver(status=200, location=None) -> a live HTTP server on 127.0.0.1 recording POSTs."""
    servers: list[ThreadingHTTPServer] = []

    def start(status: int = 200, location: str | None = None) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        server.received, server.status, server.location = [], status, location
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _settings(**groups: dict) -> Settings:
    callbacks = {"secret": "s3cret", "timeout_s": 5, **groups.pop("callbacks", {})}
    return Settings(callbacks=callbacks, **groups)


def _post(url: str, settings: Settings, **kwargs) -> str | None:
    return callbacks.post(url, b'{"id": "s1"}', settings, delivery_number=1, delivery_id="s1", **kwargs)


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_literal_addresses_are_refused(address):
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(CallbackRefused, match="not a public address"):
        callbacks.destination(f"http://{host}:8080/hook", _settings())


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_host_names_resolving_to_non_public_addresses_are_refused(address):
    # A public first answer does not excuse a private second one: every answer must be public.
    def resolve(_host, _port):
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address(address)]

    with pytest.raises(CallbackRefused) as refused:
        callbacks.destination("https://hooks.example.com/x", _settings(), resolve)
    assert address not in str(refused.value), "the message must not reveal what the name resolves to"


def test_public_addresses_are_accepted_and_the_first_is_dialled():
    def resolve(_host, _port):
        return [ipaddress.ip_address("2606:4700::1111"), ipaddress.ip_address("93.184.216.34")]

    target = callbacks.destination("https://hooks.example.com/x", _settings(), resolve)
    assert target.address == ipaddress.ip_address("2606:4700::1111")
    assert callbacks.destination("http://93.184.216.34/x", _settings()).address == ipaddress.ip_address("93.184.216.34")


@pytest.mark.parametrize(
    "url", ["ftp://93.184.216.34/x", "file:///etc/passwd", "http:///nohost", "gopher://localhost:6379/_INFO"]
)
def test_other_schemes_are_refused(url):
    with pytest.raises(CallbackRefused):
        callbacks.destination(url, _settings())


@pytest.mark.parametrize(
    "url", ["http://localhost:{port}/hook", "http://2130706433:{port}/hook", "http://0x7f.1:{port}/hook"]
)
def test_names_the_system_resolves_to_loopback_are_not_posted_to(start_receiver, url):
    receiver = start_receiver()
    error = _post(url.format(port=receiver.server_port), _settings())
    assert error is not None and error.startswith("not sent:")
    assert receiver.received == []


def test_an_allow_listed_name_reaches_its_internal_receiver(start_receiver):
    receiver = start_receiver()
    assert (
        _post(f"http://localhost:{receiver.server_port}/hook", _settings(callbacks={"allowed_hosts": ["localhost"]}))
        is None
    )
    assert [path for path, _ in receiver.received] == ["/hook"]


def test_an_allow_listed_network_admits_only_its_addresses(start_receiver):
    receiver = start_receiver()
    settings = _settings(callbacks={"allowed_hosts": ["127.0.0.0/30"]})
    assert _post(f"http://127.0.0.1:{receiver.server_port}/in", settings) is None
    with pytest.raises(CallbackRefused):
        callbacks.destination("http://127.0.0.9/out", settings)
    with pytest.raises(CallbackRefused):
        callbacks.destination("http://10.0.0.5/out", settings)
    assert len(receiver.received) == 1


def test_dns_rebinding_cannot_redirect_the_connection(start_receiver):
    # The first answer is the (allowed) receiver; any later lookup would answer an internal address.
    # The name resolves nowhere else, so the POST arriving proves the checked address was dialled.
    receiver = start_receiver()
    lookups: list[str] = []

    def rebinding(host, _port):
        lookups.append(host)
        return [ipaddress.ip_address("127.0.0.1" if len(lookups) == 1 else "10.0.0.5")]

    url = f"http://rebind.invalid:{receiver.server_port}/hook"
    assert _post(url, _settings(callbacks={"allowed_hosts": ["127.0.0.1/32"]}), resolve=rebinding) is None
    assert lookups == ["rebind.invalid"], "exactly one resolution: the connection uses its answer"
    ((path, headers),) = receiver.received
    assert path == "/hook" and headers["Host"] == f"rebind.invalid:{receiver.server_port}"


def test_https_is_dialled_at_the_checked_address_with_the_host_name_as_tls_server_name(start_receiver, monkeypatch):
    # The TLS handshake must name (and verify against) the host, not the address dialled.
    receiver = start_receiver()
    server_names: list[str | None] = []
    real_wrap = ssl.SSLContext.wrap_socket

    def recording_wrap(self, sock, *args, server_hostname=None, **kwargs):
        server_names.append(server_hostname)
        assert sock.getpeername()[:2] == ("127.0.0.1", receiver.server_port)
        return real_wrap(self, sock, *args, server_hostname=server_hostname, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", recording_wrap)
    settings = _settings(callbacks={"allowed_hosts": ["hooks.team.internal"]})
    error = _post(
        f"https://hooks.team.internal:{receiver.server_port}/hook",
        settings,
        resolve=lambda _h, _p: [ipaddress.ip_address("127.0.0.1")],
    )
    # The receiver speaks plain HTTP, so the handshake fails: what matters is whom it was addressed to.
    assert error == callbacks.UNREACHABLE
    assert server_names == ["hooks.team.internal"]


def test_redirects_are_not_followed(start_receiver):
    elsewhere = start_receiver()
    redirecting = start_receiver(status=307, location=f"http://127.0.0.1:{elsewhere.server_port}/stolen")
    settings = _settings(callbacks={"allowed_hosts": ["127.0.0.1"]})
    assert _post(f"http://127.0.0.1:{redirecting.server_port}/hook", settings) == "the receiver answered 307"
    assert len(redirecting.received) == 1 and elsewhere.received == []


def test_proxies_from_the_environment_are_not_used(start_receiver, monkeypatch):
    receiver, proxy = start_receiver(), start_receiver()
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.server_port}")
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert (
        _post(f"http://127.0.0.1:{receiver.server_port}/hook", _settings(callbacks={"allowed_hosts": ["127.0.0.1"]}))
        is None
    )
    assert len(receiver.received) == 1 and proxy.received == []


def test_a_network_failure_is_stored_generically_and_logged_in_detail(caplog):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="judge.queue.callbacks"):
        error = _post(f"http://127.0.0.1:{port}/hook", _settings(callbacks={"allowed_hosts": ["127.0.0.1"]}))
    assert error == "the receiver could not be reached"
    assert str(port) in caplog.text and "ConnectError" in caplog.text


def test_a_refused_destination_stores_no_resolved_address():
    error = _post(
        "http://metadata.internal/latest", _settings(), resolve=lambda _h, _p: [ipaddress.ip_address("169.254.169.254")]
    )
    assert error is not None and error.startswith("not sent:") and "169.254" not in error

"""The launch broker: the trusted host starts candidate processes on the contained runner's behalf.

The runner imports a problem's checks, which a team may have uploaded, so it is contained like the
candidate and can start nothing by itself: no root, no container engine. When it needs a candidate
process it asks the broker, a thread of the grading process on the host, over a unix SOCK_SEQPACKET
socket. A request names only an operation; the broker starts the candidate with the launcher and the
isolation policy the host chose for the run, and hands the runner the candidate's three pipes with
SCM_RIGHTS. Nothing the runner says can widen what a candidate may do, and it can start at most
MAX_LAUNCHES of them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import threading
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from judge.harness.isolation import IsolationPolicy
from judge.harness.launcher import LaunchConfig, LaunchedCandidate, Launcher, launcher_for, pipes
from judge.harness.session import MAX_STARTS

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4096
#: Candidate processes one run may start: a session's starts and one spare.
MAX_LAUNCHES = MAX_STARTS + 1
#: How long a runner-side wait may block the broker.
MAX_WAIT_S = 30.0
#: How often a listening broker looks whether it was closed while no runner has connected yet.
ACCEPT_POLL_S = 0.5


class BrokerRequest(BaseModel):
    """What the runner asks for: start the next candidate, apply the job's limits, end it, or wait for it."""

    op: Literal["launch", "restrict", "terminate", "wait"]
    timeout_s: float = Field(default=0.0, ge=0, le=MAX_WAIT_S, description="wait: how long to wait for the exit.")


class BrokerReply(BaseModel):
    """The broker's answer; `error` set when the operation failed (a fault of the judge)."""

    error: str = ""
    oom: bool = False
    returncode: int | None = None


class BrokerError(OSError):
    """The broker refused or failed an operation, or the channel to it broke."""


# -- the runner's side ----------------------------------------------------------------------------


class RemoteProcess:
    """The runner's view of a candidate the broker started: its pipes, and its exit status on request."""

    def __init__(self, client: BrokerClient, fds: list[int]) -> None:
        self.client = client
        self.stdin = os.fdopen(fds[0], "wb")
        self.stdout = os.fdopen(fds[1], "rb", buffering=0)
        self.stderr = os.fdopen(fds[2], "rb")
        self.returncode: int | None = None
        #: The candidate's process is on the host, out of the runner's sight.
        self.pid: int | None = None

    def poll(self) -> int | None:
        """The exit status, or None while it runs."""
        return self.wait(0.0, raise_timeout=False)

    def wait(self, timeout: float | None = None, raise_timeout: bool = True) -> int | None:
        """Wait up to `timeout` seconds for the exit (subprocess.TimeoutExpired after it, like Popen)."""
        if self.returncode is None:
            reply = self.client.ask(
                BrokerRequest(op="wait", timeout_s=min(timeout if timeout is not None else MAX_WAIT_S, MAX_WAIT_S))
            )
            self.returncode = reply.returncode
        if self.returncode is None and raise_timeout:
            raise subprocess.TimeoutExpired("candidate", timeout or 0.0)
        return self.returncode

    def close(self) -> None:
        """Close the runner's ends of the pipes."""
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()


class BrokeredCandidate(LaunchedCandidate):
    """A candidate process started by the broker."""

    process: RemoteProcess

    def __init__(self, client: BrokerClient, process: RemoteProcess) -> None:
        self.client = client
        self.process = process

    def restrict(self, policy: IsolationPolicy) -> None:
        """Ask for the job's limits (the broker applies the host's copy of them, not `policy`)."""
        self.client.ask(BrokerRequest(op="restrict"))

    def terminate(self) -> bool:
        """End it and all it started; True when it had been killed for memory."""
        try:
            reply = self.client.ask(BrokerRequest(op="terminate"))
        finally:
            self.process.close()
        return reply.oom


class BrokerClient(Launcher):
    """The runner's launcher: every candidate process comes from the broker."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    def from_fd(cls, fd: int) -> BrokerClient:
        """A client on an inherited socket descriptor (the process and bwrap backends)."""
        return cls(socket.socket(fileno=fd))

    @classmethod
    def connect(cls, path: str) -> BrokerClient:
        """A client on the broker's listening socket (the docker backend mounts its directory)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.connect(path)
        return cls(sock)

    def launch(self, config: LaunchConfig, launch_number: int) -> LaunchedCandidate:
        """Start the next candidate process (the broker counts launches itself)."""
        reply, fds = self._exchange(BrokerRequest(op="launch"), max_fds=3)
        if reply.error or len(fds) != 3:
            for fd in fds:
                os.close(fd)
            raise BrokerError(reply.error or "the broker sent no pipes")
        return BrokeredCandidate(self, RemoteProcess(self, fds))

    def ask(self, request: BrokerRequest) -> BrokerReply:
        """One request and its reply; BrokerError when the broker reports a failure."""
        reply, fds = self._exchange(request, max_fds=0)
        for fd in fds:
            os.close(fd)
        if reply.error:
            raise BrokerError(reply.error)
        return reply

    def _exchange(self, request: BrokerRequest, max_fds: int) -> tuple[BrokerReply, list[int]]:
        try:
            self.sock.sendall(request.model_dump_json().encode())
            data, fds, _, _ = socket.recv_fds(self.sock, MAX_MESSAGE_BYTES, max(max_fds, 1))
        except OSError as exc:
            raise BrokerError(f"the channel to the broker broke: {exc}") from exc
        if not data:
            raise BrokerError("the broker closed the channel")
        try:
            return BrokerReply.model_validate_json(data), list(fds)
        except ValidationError as exc:
            raise BrokerError("the broker sent a malformed reply") from exc


# -- the host's side ------------------------------------------------------------------------------


class CandidateBroker:
    """Serves one runner: starts, limits, waits for and ends its candidate processes (a thread).

    `config` is the host's launch configuration (launcher and policy); a warm slot's is replaced by
    its job's at hand-out. Only one candidate lives at a time, as in the session: a new launch ends
    the previous one. Closing the broker ends the last candidate.
    """

    def __init__(
        self, sock: socket.socket, config: LaunchConfig, listening: bool = False, launcher: Launcher | None = None
    ) -> None:
        self.sock = sock
        self.listening = listening
        self.config = config
        self.launcher = launcher
        self.launches = 0
        self._candidate: LaunchedCandidate | None = None
        self._conn: socket.socket | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="judge-broker", daemon=True)

    def start(self) -> None:
        """Start serving in the background."""
        self._thread.start()

    def candidate_pid(self) -> int | None:
        """The live candidate's process on this host (for docker: its container's first process), if any."""
        with self._lock:
            return self._candidate.process.pid if self._candidate is not None else None

    def set_config(self, config: LaunchConfig) -> None:
        """The configuration for what follows (a warm slot's job)."""
        with self._lock:
            self.config = config

    def close(self) -> None:
        """Stop serving and end the live candidate, if any."""
        with self._lock:
            self._closed = True
        for sock in (self._conn, self.sock):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=60)
        with self._lock:
            self._end_candidate()
        for sock in (self._conn, self.sock):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()

    def _serve(self) -> None:
        try:
            conn: socket.socket | None = self.sock
            if self.listening:
                conn = self._accept()
            if conn is None:
                return
            while True:
                data = conn.recv(MAX_MESSAGE_BYTES)
                if not data:
                    return
                reply, fds = self._handle(data)
                try:
                    if fds:
                        socket.send_fds(conn, [reply.model_dump_json().encode()], fds)
                    else:
                        conn.sendall(reply.model_dump_json().encode())
                finally:
                    for fd in fds:
                        os.close(fd)
        except OSError:
            return  # closed by the host, or the runner is gone: close() ends the candidate
        finally:
            with self._lock:
                self._end_candidate()

    def _accept(self) -> socket.socket | None:
        """The runner's connection; None if the broker closes first (the runner never came)."""
        self.sock.settimeout(ACCEPT_POLL_S)
        while True:
            with self._lock:
                if self._closed:
                    return None
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            with self._lock:
                self._conn = conn
            return conn

    def _handle(self, data: bytes) -> tuple[BrokerReply, list[int]]:
        try:
            request = BrokerRequest.model_validate_json(data)
        except ValidationError:
            return BrokerReply(error="malformed request"), []
        with self._lock:
            if self._closed:
                return BrokerReply(error="the run is over"), []
            try:
                if request.op == "launch":
                    return self._launch()
                if self._candidate is None:
                    return BrokerReply(error="no candidate process is running"), []
                if request.op == "restrict":
                    self._candidate.restrict(self.config.policy)
                    return BrokerReply(), []
                if request.op == "terminate":
                    return BrokerReply(oom=self._end_candidate()), []
                return BrokerReply(returncode=self._wait(self._candidate, request.timeout_s)), []
            except Exception as exc:  # noqa: BLE001 - whatever the host's launcher raises (an engine's error
                # included) is the judge's fault: the runner hears of it in the reply, and the broker serves on.
                log.warning("broker: %s failed: %s", request.op, exc)
                return BrokerReply(error=f"{request.op} failed: {exc}"[:1000]), []

    def _launch(self) -> tuple[BrokerReply, list[int]]:
        self._end_candidate()
        if self.launches >= MAX_LAUNCHES:
            return BrokerReply(error=f"a run may start at most {MAX_LAUNCHES} candidate processes"), []
        self.launches += 1
        launcher = self.launcher or launcher_for(self.config)
        candidate = launcher.launch(self.config, self.launches)
        self._candidate = candidate
        streams = pipes(candidate.process)
        # The runner gets duplicates; the host's own copies close, so that only the runner holds the channel.
        fds = [os.dup(stream.fileno()) for stream in streams]
        for stream in streams:
            with contextlib.suppress(OSError):
                stream.close()
        return BrokerReply(), fds

    def _wait(self, candidate: LaunchedCandidate, timeout_s: float) -> int | None:
        try:
            return candidate.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def _end_candidate(self) -> bool:
        candidate, self._candidate = self._candidate, None
        if candidate is None:
            return False
        return candidate.terminate()

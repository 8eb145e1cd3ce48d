"""A container's stdin, stdout and stderr as pipes on the host, relayed to the engine's attach stream.

Without a client process between them, the host talks to a container's main process over the one
socket the engine's attach call hands out. Without a TTY the engine multiplexes the container's
stdout and stderr on it: each frame is an 8-byte header (the stream: 1 stdout, 2 stderr; three zero
bytes; the payload's length, big-endian) and the payload. What is written to the socket reaches the
container's stdin, and shutting the socket's write side closes that stdin (the container is created
with StdinOnce).

`AttachRelay` gives the host three ordinary pipes instead, so that the rest of the judge (the
broker passing them to the runner with SCM_RIGHTS, selectors, the output drain) sees what a child
process would give it: one thread splits the stream into the stdout and stderr pipes, another copies
the stdin pipe into the socket. Neither buffers more than one read: a full pipe, or a container that
does not read its stdin, holds the other side back.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import threading

HEADER = struct.Struct(">BxxxL")
STDOUT, STDERR = 1, 2
#: The most either pump reads at once (and so holds in memory).
READ_CHUNK = 64 * 1024


class FrameDemuxer:
    """Splits the attach stream into (stream, payload) pieces, whatever the boundaries of the reads.

    A payload is passed on as its bytes arrive, never gathered into whole frames: a frame may be
    megabytes long, and the relay holds no more than one read.
    """

    def __init__(self) -> None:
        self._header = bytearray()
        self._stream = STDOUT
        self._left = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """The pieces of payload in `data`, each with the stream it belongs to."""
        pieces: list[tuple[int, bytes]] = []
        view = memoryview(data)
        while view:
            if self._left == 0:
                need = HEADER.size - len(self._header)
                self._header += view[:need]
                view = view[need:]
                if len(self._header) == HEADER.size:
                    self._stream, self._left = HEADER.unpack(self._header)
                    self._header.clear()
                continue
            piece = view[: self._left]
            view = view[len(piece) :]
            self._left -= len(piece)
            pieces.append((self._stream, bytes(piece)))
        return pieces

    def mid_frame(self) -> bool:
        """Whether the stream so far ends inside a frame (a header or payload is incomplete)."""
        return bool(self._header) or self._left > 0


class AttachRelay:
    """Pumps one attach socket to and from three host pipes, each direction in a thread of its own.

    `stdin`, `stdout` and `stderr` are the host's ends, as subprocess.Popen offers them. The relay
    ends by itself when the container's output ends (the engine closes the stream when the container
    exits); `close` ends it at once. A pipe whose reader has gone loses what would have gone to it,
    and the other stream keeps flowing, as when a client process's reader goes away.
    """

    def __init__(self, sock: socket.socket) -> None:
        """Take over `sock` (a connected attach stream; it is closed with the relay) and start the pumps."""
        sock.settimeout(None)  # a container may be silent for as long as it runs
        self.sock = sock
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        stderr_r, stderr_w = os.pipe()
        # The relay's own ends never block: a pump waiting on a pipe also watches for `close`.
        for fd in (stdin_r, stdout_w, stderr_w):
            os.set_blocking(fd, False)
        self.stdin = os.fdopen(stdin_w, "wb")
        self.stdout = os.fdopen(stdout_r, "rb")
        self.stderr = os.fdopen(stderr_r, "rb")
        self._stdin_r, self._stdout_w, self._stderr_w = stdin_r, stdout_w, stderr_w
        # Closing the write end makes the read end readable: the pumps' signal to stop.
        self._stop_r, self._stop_w = os.pipe()
        self._stop_lock = threading.Lock()
        self._closed = False
        self._out = threading.Thread(target=self._pump_out, name="judge-attach-out", daemon=True)
        self._in = threading.Thread(target=self._pump_in, name="judge-attach-in", daemon=True)
        self._out.start()
        self._in.start()

    def running(self) -> bool:
        """Whether the container's output may still come (the stream has not ended)."""
        return self._out.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds for the output to end; whether it has."""
        self._out.join(timeout)
        return not self._out.is_alive()

    def close(self) -> None:
        """Stop both pumps and close the socket and the relay's ends of the pipes (idempotent)."""
        with self._stop_lock:
            if self._closed:
                return
            self._closed = True
        self._stop()
        with contextlib.suppress(OSError):
            # Wakes a pump blocked on the socket: recv returns end of file, sendall fails.
            self.sock.shutdown(socket.SHUT_RDWR)
        self._out.join()
        self._in.join()
        self.sock.close()
        os.close(self._stop_r)

    def _stop(self) -> None:
        with self._stop_lock:
            if self._stop_w >= 0:
                os.close(self._stop_w)
                self._stop_w = -1

    def _stopped(self) -> bool:
        return bool(_ready({self._stop_r: select.POLLIN}, 0))

    def _pump_out(self) -> None:
        demuxer = FrameDemuxer()
        targets = {STDOUT: self._stdout_w, STDERR: self._stderr_w}
        gone: set[int] = set()
        try:
            while True:
                try:
                    data = self.sock.recv(READ_CHUNK)
                except OSError:
                    data = b""  # the engine dropped the connection: the output has ended all the same
                if not data:
                    return
                for stream, payload in demuxer.feed(data):
                    # Frames of stream 0 (stdin echoed back) only come with a TTY; anything else is stdout.
                    fd = targets.get(stream, self._stdout_w)
                    if fd not in gone and not self._write(fd, payload):
                        if self._stopped():
                            return
                        gone.add(fd)
        finally:
            os.close(self._stdout_w)
            os.close(self._stderr_w)
            # Nothing can reach a container whose output ended: the stdin pump stops too.
            self._stop()

    def _write(self, fd: int, data: bytes) -> bool:
        """Write all of `data` to a non-blocking pipe; False when its reader is gone or the relay stops."""
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                if self._stop_r in _ready({self._stop_r: select.POLLIN, fd: select.POLLOUT}):
                    return False
            except BrokenPipeError:
                return False
        return True

    def _pump_in(self) -> None:
        try:
            while True:
                if self._stop_r in _ready({self._stdin_r: select.POLLIN, self._stop_r: select.POLLIN}):
                    return
                try:
                    data = os.read(self._stdin_r, READ_CHUNK)
                except BlockingIOError:
                    continue
                if not data:
                    # Every writer closed the pipe: end of file for the container's stdin, output still flowing.
                    self.sock.shutdown(socket.SHUT_WR)
                    return
                self.sock.sendall(data)
        except OSError:
            return  # the container or the engine is gone: nothing more can be sent
        finally:
            os.close(self._stdin_r)


def _ready(events: dict[int, int], timeout_ms: int | None = None) -> set[int]:
    """The descriptors among `events` that are ready (or hung up), waiting up to `timeout_ms` (poll, not
    select: a busy judge's descriptors may be numbered beyond select's limit)."""
    poller = select.poll()
    for fd, mask in events.items():
        poller.register(fd, mask)
    return {fd for fd, _ in poller.poll(timeout_ms)}

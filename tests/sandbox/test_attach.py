"""The attach stream's demultiplexer and relay, on a socketpair standing in for the engine's end."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from judge.sandbox.attach import HEADER, STDERR, STDOUT, AttachRelay, FrameDemuxer


def frame(stream: int, payload: bytes) -> bytes:
    return HEADER.pack(stream, len(payload)) + payload


def joined(pieces: list[tuple[int, bytes]]) -> dict[int, bytes]:
    out: dict[int, bytes] = {STDOUT: b"", STDERR: b""}
    for stream, payload in pieces:
        out[stream] += payload
    return out


def test_whole_frames_interleaved():
    demuxer = FrameDemuxer()
    data = frame(STDOUT, b"one") + frame(STDERR, b"err") + frame(STDOUT, b"two")
    assert demuxer.feed(data) == [(STDOUT, b"one"), (STDERR, b"err"), (STDOUT, b"two")]
    assert not demuxer.mid_frame()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 13])
def test_frames_split_across_reads_at_every_boundary(size):
    data = (
        frame(STDOUT, b"hello")
        + frame(STDERR, b"")
        + frame(STDERR, b"warning\n")
        + frame(STDOUT, bytes(range(256)) * 3)
    )
    demuxer = FrameDemuxer()
    pieces = []
    for start in range(0, len(data), size):
        pieces += demuxer.feed(data[start : start + size])
    assert joined(pieces) == {STDOUT: b"hello" + bytes(range(256)) * 3, STDERR: b"warning\n"}
    assert not demuxer.mid_frame()


def test_a_payload_is_passed_on_before_its_frame_is_complete():
    demuxer = FrameDemuxer()
    assert demuxer.feed(frame(STDOUT, b"x" * 100)[:50]) == [(STDOUT, b"x" * 42)]
    assert demuxer.mid_frame()
    assert demuxer.feed(b"x" * 58) == [(STDOUT, b"x" * 58)]
    assert not demuxer.mid_frame()


def test_a_truncated_header_is_mid_frame():
    demuxer = FrameDemuxer()
    assert demuxer.feed(frame(STDERR, b"abc")[:5]) == []
    assert demuxer.mid_frame()


@pytest.fixture
def relay_pair():
    engine_end, ours = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    relay = AttachRelay(ours)
    yield relay, engine_end
    relay.close()
    engine_end.close()


def test_relay_splits_the_stream_and_propagates_end_of_file(relay_pair):
    relay, engine_end = relay_pair
    engine_end.sendall(frame(STDOUT, b"reply") + frame(STDERR, b"log line\n") + frame(STDOUT, b" more"))
    engine_end.shutdown(socket.SHUT_WR)  # the container ended
    assert relay.stdout.read() == b"reply more"
    assert relay.stderr.read() == b"log line\n"
    assert relay.join(5)


def test_relay_copies_stdin_and_half_closes_on_its_end(relay_pair):
    relay, engine_end = relay_pair
    relay.stdin.write(b"request\n" * 1000)
    relay.stdin.close()
    received = b""
    while chunk := engine_end.recv(65536):
        received += chunk
    assert received == b"request\n" * 1000, "the stream's end of file is the container's stdin closing"
    # Output still flows after stdin closed.
    engine_end.sendall(frame(STDOUT, b"answer"))
    engine_end.shutdown(socket.SHUT_WR)
    assert relay.stdout.read() == b"answer"


def test_relay_holds_the_stream_back_while_nobody_reads(relay_pair):
    relay, engine_end = relay_pair
    stream = frame(STDOUT, b"x" * 65536) * 400
    engine_end.setblocking(False)
    sent, progress = 0, time.monotonic()
    while time.monotonic() - progress < 0.5:
        try:
            sent += engine_end.send(stream[sent : sent + 65536])
            progress = time.monotonic()
        except BlockingIOError:
            time.sleep(0.01)
    assert sent < 4 << 20, f"{sent} bytes taken with nobody reading: the relay must hold back, not buffer"
    engine_end.setblocking(True)

    def finish() -> None:
        engine_end.sendall(stream[sent:])
        engine_end.shutdown(socket.SHUT_WR)

    rest = threading.Thread(target=finish)
    rest.start()
    got = 0
    while chunk := os.read(relay.stdout.fileno(), 1 << 20):
        got += len(chunk)
    rest.join()
    assert got == 400 * 65536


def test_a_gone_reader_loses_its_stream_and_the_other_keeps_flowing(relay_pair):
    relay, engine_end = relay_pair
    relay.stderr.close()
    engine_end.sendall(frame(STDERR, b"e" * 300_000) + frame(STDOUT, b"still here"))
    engine_end.shutdown(socket.SHUT_WR)
    assert relay.stdout.read() == b"still here"


def test_close_ends_both_pumps_while_the_container_is_silent(relay_pair):
    relay, _ = relay_pair
    start = time.monotonic()
    relay.close()
    assert not relay.running() and time.monotonic() - start < 5
    assert relay.stdout.read() == b""


def test_stdin_pump_ends_with_the_output(relay_pair):
    relay, engine_end = relay_pair
    engine_end.shutdown(socket.SHUT_WR)
    assert relay.join(5)
    relay._in.join(5)
    assert not relay._in.is_alive(), "a container whose output ended takes no more input"

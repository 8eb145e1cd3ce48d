"""The runner's read of a candidate reply: capped, bounded in what it builds, one buffer per frame."""

from __future__ import annotations

import os
import threading
import time

import pytest

from judge.harness import wire
from judge.harness.isolation import IsolationPolicy
from judge.harness.launcher import LaunchConfig
from judge.harness.session import CandidateFault, CandidateSession


def read_from_pipe(chunks: list[bytes]) -> object:
    """Feed `chunks` through a pipe, a write at a time, into CandidateSession._read_message."""
    session = CandidateSession(LaunchConfig(candidate_dir="/nonexistent", policy=IsolationPolicy(memory_mb=1)))
    read_end, write_end = os.pipe()
    session._replies_fd = read_end

    def write() -> None:
        with os.fdopen(write_end, "wb", buffering=0) as out:
            for chunk in chunks:
                out.write(chunk)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        return session._read_message(time.monotonic() + 60, during="test")
    finally:
        writer.join()
        os.close(read_end)


def test_a_frame_in_many_small_writes_is_read_whole():
    payload = wire.encode({"ok": True, "value": list(range(5000))})
    framed = wire.frame(payload)
    chunks = [framed[i : i + 7] for i in range(0, len(framed), 7)]
    assert read_from_pipe(chunks) == {"ok": True, "value": list(range(5000))}


def test_an_oversized_frame_is_refused_from_its_header():
    header = (wire.MAX_FRAME_BYTES + 1).to_bytes(4, "big")
    with pytest.raises(CandidateFault) as caught:
        read_from_pipe([header])
    assert caught.value.kind == "protocol" and "exceeds 8 MiB" in caught.value.message


def test_a_frame_of_too_many_values_is_a_protocol_fault():
    payload = b"[" + b"0," * (wire.MAX_ITEMS + 5) + b"0]"
    with pytest.raises(CandidateFault) as caught:
        read_from_pipe([len(payload).to_bytes(4, "big"), payload])
    assert caught.value.kind == "protocol"

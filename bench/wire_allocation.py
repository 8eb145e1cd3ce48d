"""How much memory a hostile reply can make the runner allocate: peak RSS growth per frame byte.

Each payload is a frame just under wire.MAX_FRAME_BYTES, shaped to cost the reader the most: one
big tensor, the most floats, the most small dicts, the most nesting, a string of commas, and one
over the item cap (refused before parsing). Each runs in a fresh process that reads it with the
runner's own code (CandidateSession._read_message on a pipe) and reports its peak RSS over its
baseline. Run: .venv/bin/python bench/wire_allocation.py
"""

from __future__ import annotations

import base64
import json
import resource
import subprocess
import sys
import threading
import time

PAYLOADS = ("tensor", "floats", "dicts", "nested_strings", "commas", "over_item_cap")


def payload(kind: str, cap: int) -> bytes:
    """A JSON message of about `cap` bytes of the given shape."""
    from judge.harness import wire

    if kind == "tensor":
        raw = bytes((cap * 3 // 4) - 512)
        body = {
            "ok": True,
            "value": {
                "$tensor": {
                    "dtype": "float32",
                    "shape": [len(raw) // 4],
                    "data": base64.b64encode(raw[: len(raw) // 4 * 4]).decode(),
                }
            },
        }
        return json.dumps(body).encode()
    if kind == "floats":
        n = min(wire.MAX_ITEMS - 10, cap // 20)
        return json.dumps({"ok": True, "value": [1.2345678901234567] * n}).encode()
    if kind == "dicts":
        n = (wire.MAX_ITEMS - 10) // 2
        return json.dumps({"ok": True, "value": [{"a": "x" * 60} for _ in range(n)]}).encode()[:cap] or b"{}"
    if kind == "nested_strings":
        chunk = "y" * (cap // 64)
        value: object = chunk
        for _ in range(wire.MAX_DEPTH - 2):
            value = [value, chunk]
        return json.dumps({"ok": True, "value": value}).encode()
    if kind == "commas":
        return json.dumps({"ok": True, "value": "," * (cap - 100)}).encode()
    if kind == "over_item_cap":
        return json.dumps({"ok": True, "value": [0] * (wire.MAX_ITEMS + 10)}).encode()
    raise ValueError(kind)


def measure(kind: str) -> dict:
    """In this process: read one frame of `kind` the way the runner does; sizes and peak RSS growth."""
    import os

    from judge.harness import wire
    from judge.harness.isolation import IsolationPolicy
    from judge.harness.launcher import LaunchConfig
    from judge.harness.session import CandidateFault, CandidateSession

    body = payload(kind, wire.MAX_FRAME_BYTES)
    session = CandidateSession(LaunchConfig(candidate_dir="/nonexistent", policy=IsolationPolicy(memory_mb=1)))
    read_end, write_end = os.pipe()
    session._replies_fd = read_end

    def write() -> None:
        with os.fdopen(write_end, "wb") as out:
            out.write(len(body).to_bytes(4, "big") + body)

    writer = threading.Thread(target=write)
    writer.start()
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        session._read_message(time.monotonic() + 600, during="bench")
        outcome = "decoded"
    except CandidateFault as fault:
        outcome = f"refused ({fault.message})"
    writer.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # The writer's own copy of the frame counts in this process: subtract it.
    growth = max(0, (peak - baseline) * 1024 - len(body))
    return {
        "kind": kind,
        "frame_bytes": len(body),
        "peak_growth_bytes": growth,
        "ratio": round(growth / wire.MAX_FRAME_BYTES, 2),
        "outcome": outcome,
    }


def main() -> None:
    """Measure every payload in its own process and print a table."""
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2])))
        return
    from judge.harness import wire

    print(f"frame cap {wire.MAX_FRAME_BYTES >> 20} MiB, item cap {wire.MAX_ITEMS}, depth cap {wire.MAX_DEPTH}")
    print(f"{'payload':<16} {'frame MiB':>10} {'peak growth MiB':>16} {'x cap':>6}  outcome")
    worst = 0.0
    for kind in PAYLOADS:
        out = subprocess.run([sys.executable, __file__, "--one", kind], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        worst = max(worst, row["ratio"])
        print(
            f"{kind:<16} {row['frame_bytes'] / 2**20:>10.2f} {row['peak_growth_bytes'] / 2**20:>16.1f} {row['ratio']:>6.2f}  {row['outcome'][:60]}"
        )
    print(f"worst: {worst:.2f} x the frame cap")


if __name__ == "__main__":
    main()

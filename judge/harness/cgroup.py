"""A cgroup per run for the candidate process: a memory limit without swap, and OOM detection.

Supports the v1 memory hierarchy and a delegated v2 tree. Where neither is writable the candidate
falls back to RLIMIT_DATA (see isolation.enter).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


class RunCgroup:
    """A memory cgroup made for one run and removed after it."""

    def __init__(self, path: Path, version: int) -> None:
        self.path = path
        self.version = version

    @property
    def procs_file(self) -> str:
        """The file a process writes its pid to in order to join."""
        return str(self.path / "cgroup.procs")

    def set_limit(self, memory_mb: int) -> None:
        """Change the memory limit (still without swap); OSError when the kernel refuses it."""
        limit = str(memory_mb << 20)
        if self.version == 2:
            (self.path / "memory.max").write_text(limit)
            return
        memory, swap = self.path / "memory.limit_in_bytes", self.path / "memory.memsw.limit_in_bytes"
        # v1 keeps memory <= memory+swap at every step: lower memory first, raise it last.
        lowering = int(memory.read_text()) > int(limit)
        steps = [memory, swap] if lowering else [swap, memory]
        for path in steps:
            if path.exists():
                path.write_text(limit)

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process here for exceeding the memory limit."""
        try:
            if self.version == 2:
                text = (self.path / "memory.events").read_text()
                return _field(text, "oom_kill") > 0
            text = (self.path / "memory.oom_control").read_text()
            if "oom_kill " in text:
                return _field(text, "oom_kill") > 0
            return int((self.path / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError):
            return False

    def remove(self, timeout_s: float = 5.0) -> None:
        """Remove the cgroup once its processes are gone."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.02)


def _field(text: str, name: str) -> int:
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == name:
            return int(value)
    return 0


def create(name: str, memory_mb: int) -> RunCgroup | None:
    """Make a memory cgroup limited to memory_mb with no swap; None where cgroups are not writable."""
    limit = str(memory_mb << 20)
    v1 = CGROUP_ROOT / "memory"
    if (v1 / "memory.limit_in_bytes").exists() and os.access(v1, os.W_OK):
        path = v1 / name
        try:
            path.mkdir()
            (path / "memory.limit_in_bytes").write_text(limit)
            swap = path / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(limit)
            return RunCgroup(path, 1)
        except OSError:
            RunCgroup(path, 1).remove()
            return None
    if (CGROUP_ROOT / "cgroup.controllers").exists() and os.access(CGROUP_ROOT, os.W_OK):
        path = CGROUP_ROOT / name
        try:
            if "memory" not in (CGROUP_ROOT / "cgroup.subtree_control").read_text().split():
                return None
            path.mkdir()
            (path / "memory.max").write_text(limit)
            if (path / "memory.swap.max").exists():
                (path / "memory.swap.max").write_text("0")
            return RunCgroup(path, 2)
        except OSError:
            RunCgroup(path, 2).remove()
            return None
    return None

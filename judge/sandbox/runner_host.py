"""The host's handle on a contained runner: its process, its broker, and what to remove after it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from judge.harness import cgroup, isolation
from judge.harness.broker import CandidateBroker


@dataclass
class RunnerHandle:
    """A started runner: stop() ends it, its candidates, and its uid and cgroup where it has them."""

    process: subprocess.Popen
    broker: CandidateBroker
    uid: int | None = None
    group: cgroup.RunCgroup | None = None

    def stop(self) -> None:
        """Kill the runner (its process group and, as root, its uid), its candidates, then clean up; idempotent."""
        self.end_process()
        if self.uid is not None:
            isolation.kill_uid(self.uid)
        self.broker.close()
        if self.group is not None:
            self.group.remove()
            self.group = None

    def end_process(self) -> None:
        """Kill the runner's process group and reap it."""
        kill_group(self.process)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a process started in its own session, with its group, and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def hand_over(directory: Path, uid: int) -> None:
    """Give a directory tree (the trusted dir: checks, probes, config) to the runner's uid.

    The runner reads it through a read-only bind, so owning it lets it read, never change, its files.
    """
    for root, dirs, files in os.walk(directory):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), uid, uid, follow_symlinks=False)
    os.chown(directory, uid, uid)

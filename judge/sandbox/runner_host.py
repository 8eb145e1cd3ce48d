"""The host's handle on a contained runner: its process, its broker, and what to remove after it."""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from judge.harness import cgroup, isolation
from judge.harness.broker import CandidateBroker


class HostProcess(Protocol):
    """A started runner or candidate as the host holds it: a subprocess.Popen, or a container
    standing for one (sandbox.engine.ContainerProcess); its standard streams are pipes."""

    @property
    def pid(self) -> int | None:
        """The host pid of its first process; None once a container has ended."""

    @property
    def stdin(self) -> IO[bytes] | None:
        """The host's end of its stdin."""

    @property
    def stdout(self) -> IO[bytes] | None:
        """The host's end of its stdout."""

    @property
    def stderr(self) -> IO[bytes] | None:
        """The host's end of its stderr."""

    def poll(self) -> int | None:
        """The exit status, or None while it runs."""

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit status."""


@dataclass
class RunnerHandle:
    """A started runner: stop() ends it, its candidates, and its uid and cgroup where it has them."""

    process: HostProcess
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


def kill_group(process: HostProcess) -> None:
    """SIGKILL a process started in its own session, with its group, and reap it."""
    pid = process.pid
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    process.wait()


def hand_over(directory: Path, uid: int) -> None:
    """Give a directory tree (the trusted dir: checks, probes, config) to the runner's uid.

    The runner reads it through a read-only bind, so owning it lets it read, never change, its files.
    """
    for root, dirs, files in os.walk(directory):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), uid, uid, follow_symlinks=False)
    os.chown(directory, uid, uid)

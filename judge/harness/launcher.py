"""How the trusted runner starts a candidate process; one launcher per sandbox backend.

Every launcher runs `python -I -m judge.harness.candidate POLICY_JSON` somewhere isolated, with the
message channel on its stdin/stdout and its own output on stderr, and can end it completely.
"""

from __future__ import annotations

import abc
import os
import subprocess
import sys
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from judge.harness import cgroup, isolation

CANDIDATE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "LANG": "C.UTF-8",
}


class LocalLauncherSpec(BaseModel):
    """A local process; as root: run uid, namespaces, a memory cgroup (the process backend)."""

    kind: Literal["local"] = "local"
    use_cgroup: bool = True


LauncherSpec = Annotated[LocalLauncherSpec, Field(discriminator="kind")]


class LaunchedCandidate(abc.ABC):
    """A started candidate process: stdin carries requests, stdout replies, stderr its output."""

    process: subprocess.Popen

    @abc.abstractmethod
    def terminate(self) -> bool:
        """End the process and everything it started; True when it was killed for memory."""


class Launcher(abc.ABC):
    """Starts candidate processes for one run."""

    @abc.abstractmethod
    def launch(self, config, attempt: int) -> LaunchedCandidate:
        """Start a fresh candidate process (`attempt` counts restarts from 1)."""


def popen_candidate(argv: list[str], cwd: str | None, env: dict[str, str] | None) -> subprocess.Popen:
    """Start a candidate command with the message channel on its stdin/stdout."""
    return subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


class LocalCandidate(LaunchedCandidate):
    """A candidate started by LocalLauncher."""

    def __init__(self, process: subprocess.Popen, uid: int | None, group: cgroup.RunCgroup | None) -> None:
        self.process = process
        self.uid = uid
        self.group = group

    def terminate(self) -> bool:
        """Kill every process of the run uid (or the process group without root), then reap."""
        if self.uid is not None:
            isolation.kill_uid(self.uid)
        else:
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        oom = False
        if self.group is not None:
            oom = self.group.oom_killed()
            self.group.remove()
        return oom


class LocalLauncher(Launcher):
    """The process backend's launcher."""

    def __init__(self, spec: LocalLauncherSpec) -> None:
        self.spec = spec

    def launch(self, config, attempt: int) -> LaunchedCandidate:
        """Start `python -I -m judge.harness.candidate` here, isolating itself per the policy."""
        policy = config.policy.model_copy()
        group = None
        if self.spec.use_cgroup and isolation.is_root():
            # A fresh cgroup per process, so an OOM kill is attributed to the check that caused it.
            group = cgroup.create(f"judge-run-{policy.uid}-{attempt}", policy.memory_mb)
        if group is not None:
            policy.cgroup_procs = [group.procs_file]
            policy.memory_by_cgroup = True
        # Isolated (root): /tmp is a private size-limited tmpfs; otherwise the workspace's own tmp/.
        scratch = "/tmp" if policy.uid is not None else os.path.join(config.candidate_dir, "tmp")
        env = dict(CANDIDATE_ENV, HOME=scratch, TMPDIR=scratch)
        argv = [sys.executable, "-I", "-m", "judge.harness.candidate", policy.model_dump_json()]
        return LocalCandidate(popen_candidate(argv, config.candidate_dir, env), policy.uid, group)


def launcher_for(config) -> Launcher:
    """The launcher a run's configuration names."""
    spec = config.launcher
    if isinstance(spec, LocalLauncherSpec):
        return LocalLauncher(spec)
    raise ValueError(f"unknown launcher {spec!r}")

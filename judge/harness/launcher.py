"""How the trusted runner starts a candidate process; one launcher per sandbox backend.

Every launcher runs `python -I -m judge.harness.candidate POLICY_JSON` somewhere isolated, with the
message channel on its stdin/stdout and its own output on stderr, and can end it completely.
"""

from __future__ import annotations

import abc
import os
import subprocess
import sys
from typing import IO, Annotated, Literal, Protocol

from pydantic import BaseModel, Field

from judge.harness import cgroup, isolation
from judge.harness.isolation import IsolationPolicy

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


class DockerLauncherSpec(BaseModel):
    """Each candidate process is a container of the runner image (the docker backend).

    The container runs as the image's unprivileged candidate user with no network, no capabilities,
    a read-only root, size-limited tmpfs scratch and the run's work dir mounted read-only at /work.
    Memory, CPU, pids and file limits come from the policy and the fields below. Only the host starts
    these containers (sandbox.docker.DockerLauncher, through the engine's API): this is what it is told.
    """

    kind: Literal["docker"] = "docker"
    image: str
    run_id: str = Field(pattern=r"^[a-z0-9]{1,32}$", description="Names and labels this run's containers.")
    labels: dict[str, str] = Field(default_factory=dict, description="Extra labels, e.g. who owns the containers.")
    cpus: float = Field(default=1.0, gt=0)
    user: str = Field(default="10002:10002", pattern=r"^[1-9][0-9]*:[1-9][0-9]*$", description="Never root.")
    python: str = "/opt/judge/venv/bin/python"
    home: str = "/home/candidate"
    lifetime_s: float = Field(gt=0, description="Inside the container, the candidate is SIGKILLed after this long.")


class BwrapLauncherSpec(BaseModel):
    """Each candidate process runs under bubblewrap (the bwrap backend).

    The sandbox sees only read-only binds of the Python runtime and system libraries, a private
    /proc, /dev and tmpfs /tmp, and the run's work dir read-only at `workdir`. Without root, a user
    namespace isolates it; as root it starts without one and isolation.enter drops to the run uid.
    """

    kind: Literal["bwrap"] = "bwrap"
    bwrap: str = "bwrap"
    python: str = Field(description="The interpreter inside the sandbox (bound at the same path).")
    ro_binds: list[str] = Field(description="Host directories and files bound read-only at the same path.")
    symlinks: dict[str, str] = Field(default_factory=dict, description="path -> target, e.g. /lib -> usr/lib.")
    hide: list[str] = Field(default_factory=list, description="Paths under a bind covered by an empty tmpfs.")
    user_namespace: bool = Field(
        description="Unshare a user namespace (without root); False when root drops to the run uid."
    )
    workdir: str = Field(default="/work", description="Where the work dir appears; clear of every bind.")
    use_cgroup: bool = True


LauncherSpec = Annotated[LocalLauncherSpec | DockerLauncherSpec | BwrapLauncherSpec, Field(discriminator="kind")]


class LaunchConfig(BaseModel):
    """What starting a candidate process needs: all of it is known before the submission is.

    A warm runner (a pool slot) gets only this, starts its first candidate process with it and
    waits; `nice` starts that process at a lower CPU priority, raised when a job arrives.
    """

    candidate_dir: str
    policy: IsolationPolicy
    launcher: LauncherSpec = Field(default_factory=LocalLauncherSpec)
    output_cap_bytes: int = 64 * 1024
    nice: int = Field(default=0, ge=0, le=19)


class CandidateProcess(Protocol):
    """What the harness uses of a started candidate process: a subprocess.Popen, or what stands for
    one (a container's relay on the host, the broker's pipes in the runner)."""

    @property
    def stdin(self) -> IO[bytes] | None:
        """Where requests are written."""

    @property
    def stdout(self) -> IO[bytes] | None:
        """Where replies are read."""

    @property
    def stderr(self) -> IO[bytes] | None:
        """The process's own output."""

    @property
    def pid(self) -> int | None:
        """The process on this host, where this host can see it."""

    def poll(self) -> int | None:
        """The exit status, or None while it runs."""

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit status, waiting up to `timeout` seconds (subprocess.TimeoutExpired after it)."""


def pipes(process: CandidateProcess) -> tuple[IO[bytes], IO[bytes], IO[bytes]]:
    """The process's stdin, stdout and stderr; OSError when one was not opened as a pipe."""
    stdin, stdout, stderr = process.stdin, process.stdout, process.stderr
    if stdin is None or stdout is None or stderr is None:
        raise OSError("the candidate process was started without its three pipes")
    return stdin, stdout, stderr


class LaunchedCandidate(abc.ABC):
    """A started candidate process: stdin carries requests, stdout replies, stderr its output."""

    process: CandidateProcess

    @abc.abstractmethod
    def terminate(self) -> bool:
        """End the process and everything it started; True when it was killed for memory."""

    def restrict(self, policy: IsolationPolicy) -> None:
        """Apply a job's limits to a process started ahead of the job (OSError if they cannot be).

        What the process applies to itself (rlimits) it applies when the job's `init` arrives; here
        is what is set from outside: the memory limit and, for a container, its CPU weight.
        """


class Launcher(abc.ABC):
    """Starts candidate processes for one run."""

    @abc.abstractmethod
    def launch(self, config: LaunchConfig, launch_number: int) -> LaunchedCandidate:
        """Start a fresh candidate process (`launch_number` counts the run's launches from 1)."""


def popen_candidate(
    argv: list[str], cwd: str | None, env: dict[str, str] | None, nice: int = 0
) -> subprocess.Popen[bytes]:
    """Start a candidate command with the message channel on its stdin/stdout (at niceness `nice`)."""
    if nice:
        argv = ["nice", "-n", str(nice), *argv]
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

    process: subprocess.Popen[bytes]

    def __init__(self, process: subprocess.Popen[bytes], uid: int | None, group: cgroup.RunCgroup | None) -> None:
        self.process = process
        self.uid = uid
        self.group = group

    def restrict(self, policy: IsolationPolicy) -> None:
        """Lower the memory cgroup's limit to the job's (the process's own rlimits follow at init)."""
        if self.group is not None:
            self.group.set_limit(policy.memory_mb)

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
            if stream is not None:
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

    def launch(self, config: LaunchConfig, launch_number: int) -> LaunchedCandidate:
        """Start `python -I -m judge.harness.candidate` here, isolating itself per the policy."""
        policy = config.policy.model_copy()
        group = None
        if self.spec.use_cgroup and isolation.is_root():
            # A fresh cgroup per process, so an OOM kill is attributed to the check that caused it.
            group = cgroup.create(f"judge-run-{policy.uid}-{launch_number}", policy.memory_mb)
        if group is not None:
            policy.cgroup_procs = [group.procs_file]
            policy.memory_by_cgroup = True
        # Isolated (root): /tmp is a private size-limited tmpfs; otherwise the workspace's own tmp/.
        scratch = "/tmp" if policy.uid is not None else os.path.join(config.candidate_dir, "tmp")
        env = dict(CANDIDATE_ENV, HOME=scratch, TMPDIR=scratch)
        argv = [sys.executable, "-I", "-m", "judge.harness.candidate", policy.model_dump_json()]
        return LocalCandidate(popen_candidate(argv, config.candidate_dir, env, config.nice), policy.uid, group)


def bwrap_argv(
    spec: BwrapLauncherSpec, policy: IsolationPolicy, candidate_dir: str, command: list[str] | None = None
) -> list[str]:
    """The bubblewrap command line running `command` (default: a candidate process with `policy`)
    with `candidate_dir` read-only at spec.workdir and a private /tmp of policy.scratch_mb."""
    argv = [spec.bwrap, "--die-with-parent", "--new-session"]
    if spec.user_namespace:
        argv += ["--unshare-all", "--unshare-user", "--disable-userns"]
    else:
        # Root keeps the initial user namespace so that isolation.enter can drop to the run uid; the
        # capabilities it needs for that are all it keeps, and it loses them with the uid switch.
        argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        argv += [
            "--cap-drop",
            "ALL",
            "--cap-add",
            "CAP_SYS_ADMIN",
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
        ]
    # The private /tmp comes first: a runtime directory under /tmp (a checkout, a venv) is bound on top.
    argv += ["--perms", "1777", "--size", str(policy.scratch_mb << 20), "--tmpfs", "/tmp"]
    # bwrap makes missing parents of a mount point private (0700); the run uid must traverse them.
    parents = sorted({str(p) for path in spec.ro_binds for p in _parents(path)})
    for parent in parents:
        argv += ["--perms", "0755", "--dir", parent]
    for path, target in sorted(spec.symlinks.items()):
        argv += ["--symlink", target, path]
    for path in spec.ro_binds:
        argv += ["--ro-bind", path, path]
    for path in spec.hide:
        argv += ["--perms", "0555", "--size", "4096", "--tmpfs", path]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--ro-bind", candidate_dir, spec.workdir, "--chdir", spec.workdir]
    argv += ["--remount-ro", "/"]
    argv += ["--", *(command or [spec.python, "-I", "-m", "judge.harness.candidate", policy.model_dump_json()])]
    return argv


def _parents(path: str) -> list[str]:
    """The proper ancestors of an absolute path, '/' excluded, outermost first."""
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


class BwrapLauncher(Launcher):
    """The bwrap backend's launcher: one bubblewrap sandbox per candidate process."""

    def __init__(self, spec: BwrapLauncherSpec) -> None:
        self.spec = spec

    def launch(self, config: LaunchConfig, launch_number: int) -> LaunchedCandidate:
        """Start the candidate under bwrap, in a fresh memory cgroup where cgroups are writable."""
        policy = config.policy.model_copy(update={"cgroup_procs": []})
        group = None
        if self.spec.use_cgroup:
            group = cgroup.create(f"judge-bwrap-{os.getpid()}-{launch_number}-{os.urandom(4).hex()}", policy.memory_mb)
        policy.memory_by_cgroup = group is not None
        argv = bwrap_argv(self.spec, policy, config.candidate_dir)
        if group is not None:
            # Join the cgroup before bwrap starts: everything the sandbox ever forks is then inside.
            # (/sys is not visible in the sandbox, so the candidate cannot join it itself.)
            argv = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', group.procs_file, *argv]
        env = dict(CANDIDATE_ENV, HOME="/tmp", TMPDIR="/tmp")
        return LocalCandidate(popen_candidate(argv, None, env, config.nice), policy.uid, group)


def launcher_for(config: LaunchConfig) -> Launcher:
    """The launcher a run's configuration names."""
    spec = config.launcher
    if isinstance(spec, LocalLauncherSpec):
        return LocalLauncher(spec)
    if isinstance(spec, DockerLauncherSpec):
        raise ValueError("docker candidates are started by the host's docker backend (sandbox.docker.DockerLauncher)")
    if isinstance(spec, BwrapLauncherSpec):
        return BwrapLauncher(spec)
    raise ValueError(f"unknown launcher {spec!r}")

"""How the trusted runner starts a candidate process; one launcher per sandbox backend.

Every launcher runs `python -I -m judge.harness.candidate POLICY_JSON` somewhere isolated, with the
message channel on its stdin/stdout and its own output on stderr, and can end it completely.
"""

from __future__ import annotations

import abc
import os
import signal
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


class DockerLauncherSpec(BaseModel):
    """Each candidate process is a container of the runner image (the docker backend).

    The container runs as the image's unprivileged candidate user with no network, no capabilities,
    a read-only root, size-limited tmpfs scratch and the run's work dir mounted read-only at /work.
    Memory, CPU, pids and file limits come from the policy and the fields below.
    """

    kind: Literal["docker"] = "docker"
    docker: list[str] = Field(default_factory=lambda: ["docker"], description="The docker CLI and its global options.")
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
    user_namespace: bool = Field(description="Unshare a user namespace (without root); False when root drops to the run uid.")
    workdir: str = Field(default="/work", description="Where the work dir appears; clear of every bind.")
    use_cgroup: bool = True


LauncherSpec = Annotated[LocalLauncherSpec | DockerLauncherSpec | BwrapLauncherSpec, Field(discriminator="kind")]


class LaunchedCandidate(abc.ABC):
    """A started candidate process: stdin carries requests, stdout replies, stderr its output."""

    process: subprocess.Popen

    @abc.abstractmethod
    def terminate(self) -> bool:
        """End the process and everything it started; True when it was killed for memory."""

    def restrict(self, policy) -> None:
        """Apply a job's limits to a process started ahead of the job (OSError if they cannot be).

        What the process applies to itself (rlimits) it applies when the job's `init` arrives; here
        is what is set from outside: the memory limit and, for a container, its CPU weight.
        """


class Launcher(abc.ABC):
    """Starts candidate processes for one run."""

    @abc.abstractmethod
    def launch(self, config, attempt: int) -> LaunchedCandidate:
        """Start a fresh candidate process (`attempt` counts restarts from 1)."""


def popen_candidate(argv: list[str], cwd: str | None, env: dict[str, str] | None, nice: int = 0) -> subprocess.Popen:
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

    def __init__(self, process: subprocess.Popen, uid: int | None, group: cgroup.RunCgroup | None) -> None:
        self.process = process
        self.uid = uid
        self.group = group

    def restrict(self, policy) -> None:
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
        return LocalCandidate(popen_candidate(argv, config.candidate_dir, env, config.nice), policy.uid, group)


#: Where the candidate's work dir appears inside a container or bubblewrap sandbox.
SANDBOX_WORKDIR = "/work"
#: Docker CLI calls made while ending a container must not hang the runner.
DOCKER_CALL_TIMEOUT_S = 30.0
#: The engine's default CPU weight; a container started ahead of demand at niceness n gets the
#: weight the scheduler gives a process at nice n (each level about 1.25 times less).
DEFAULT_CPU_SHARES = 1024


def cpu_shares(nice: int) -> int:
    """The docker CPU weight matching a niceness (1024 at 0, 15 at 19; the engine's minimum is 2)."""
    return max(2, round(DEFAULT_CPU_SHARES / 1.25**nice))



def container_name(run_id: str, attempt: int) -> str:
    """The name of a run's `attempt`-th candidate container (unique per engine while it exists)."""
    return f"judge-{run_id}-{attempt}"


def docker_run_argv(spec: DockerLauncherSpec, config, attempt: int) -> list[str]:
    """`docker run -i ...` for one candidate process: every limit of the run policy as a flag."""
    policy = config.policy
    memory = f"{policy.memory_mb}m"
    scratch = f"rw,nosuid,nodev,size={policy.scratch_mb}m,mode=1777"
    uid, _, gid = spec.user.partition(":")
    argv = [*spec.docker, "run", "-i", "--name", container_name(spec.run_id, attempt), "--pull", "never"]
    labels = {**spec.labels, "judge.sandbox": "1", "judge.run": spec.run_id}
    for key, value in sorted(labels.items()):
        argv += ["--label", f"{key}={value}"]
    argv += [
        "--network", "none",
        # memory-swap equal to memory: no swap on top of the limit.
        "--memory", memory, "--memory-swap", memory,
        "--cpus", f"{spec.cpus:g}",
        "--cpu-shares", str(cpu_shares(config.nice)),
        "--pids-limit", str(policy.pids),
        "--read-only",
        "--tmpfs", f"/tmp:{scratch}",
        # The engine may ignore mode= on a tmpfs over an image directory; owning HOME works everywhere.
        "--tmpfs", f"{spec.home}:{scratch},uid={uid},gid={gid}",
        # /dev/shm is charged to the memory limit too; torch needs only a little of it.
        "--shm-size", "64m",
        "--ulimit", f"nofile={policy.open_files}:{policy.open_files}",
        "--ulimit", f"fsize={policy.file_size_mb << 20}:{policy.file_size_mb << 20}",
        "--ulimit", "core=0:0",
        "--ulimit", f"cpu={policy.cpu_s}:{policy.cpu_s}",
        "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "--user", spec.user,
        "--ipc", "private",
        # docker-init as pid 1 reaps orphans; the container ends when its child (timeout) does.
        "--init",
        # The candidate's output reaches the runner by the attach stream only, never a log on the host's disk.
        "--log-driver", "none",
        "--mount", f"type=bind,source={config.candidate_dir},target={SANDBOX_WORKDIR},readonly",
        "--workdir", SANDBOX_WORKDIR,
    ]
    env = dict(CANDIDATE_ENV, PATH=f"{os.path.dirname(spec.python)}:{CANDIDATE_ENV['PATH']}", HOME=spec.home, TMPDIR="/tmp")
    for key, value in sorted(env.items()):
        argv += ["--env", f"{key}={value}"]
    # The host kills and removes the container at every deadline; this SIGKILL inside is the
    # backstop for a host that died without doing so (the reaper removes what is left).
    argv += [spec.image, "timeout", "--signal=KILL", f"{spec.lifetime_s:.0f}"]
    argv += [spec.python, "-I", "-m", "judge.harness.candidate", policy.model_dump_json()]
    return argv


def docker_call(docker: list[str], *args: str) -> subprocess.CompletedProcess:
    """Run one docker CLI command, capturing its output; never raises for a failed command."""
    try:
        return subprocess.run(
            [*docker, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=DOCKER_CALL_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess([*docker, *args], 125, "", str(exc))


class DockerCandidate(LaunchedCandidate):
    """A candidate container, attached through a `docker run -i` client process."""

    def __init__(self, process: subprocess.Popen, docker: list[str], name: str) -> None:
        self.process = process
        self.docker = docker
        self.name = name

    def restrict(self, policy) -> None:
        """Set the container's memory limit to the job's and its CPU weight back to the default."""
        memory = f"{policy.memory_mb}m"
        out = docker_call(self.docker, "update", "--memory", memory, "--memory-swap", memory, "--cpu-shares", str(DEFAULT_CPU_SHARES), self.name)
        if out.returncode != 0:
            raise OSError(f"docker update {self.name}: {out.stderr.strip()[:300]}")

    def terminate(self) -> bool:
        """SIGKILL the container, read whether it was OOM-killed, then remove it."""
        if self.process.poll() is None:
            # The client still runs, so may the container: kill it (a client that has exited has
            # seen the container end already, and a restart should not wait for a needless call).
            docker_call(self.docker, "kill", self.name)
            try:
                self.process.wait(timeout=DOCKER_CALL_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass
        _kill_process_group(self.process)
        # Read before removal: State.OOMKilled is gone with the container.
        state = docker_call(self.docker, "inspect", "--format", "{{.State.OOMKilled}}", self.name)
        docker_call(self.docker, "rm", "--force", "--volumes", self.name)
        _close_channel(self.process)
        return state.returncode == 0 and state.stdout.strip() == "true"


class DockerLauncher(Launcher):
    """The docker backend's launcher: one container per candidate process."""

    def __init__(self, spec: DockerLauncherSpec) -> None:
        self.spec = spec

    def launch(self, config, attempt: int) -> LaunchedCandidate:
        """`docker run -i` the runner image with the candidate command; the channel is the attach stream."""
        spec = self.spec
        # The container user is already unprivileged, the cgroup limits memory, nothing is mounted to hide.
        policy = config.policy.model_copy(update={"uid": None, "memory_by_cgroup": True, "hide_paths": [], "cgroup_procs": []})
        config = config.model_copy(update={"policy": policy})
        argv = docker_run_argv(spec, config, attempt)
        # The client needs no environment of ours (it reads only its own configuration).
        env = {"PATH": CANDIDATE_ENV["PATH"], "HOME": "/nonexistent", "DOCKER_CLI_HINTS": "false"}
        return DockerCandidate(popen_candidate(argv, None, env), spec.docker, container_name(spec.run_id, attempt))


def bwrap_argv(spec: BwrapLauncherSpec, policy, candidate_dir: str, command: list[str] | None = None) -> list[str]:
    """The bubblewrap command line running `command` (default: a candidate process with `policy`)
    with `candidate_dir` read-only at spec.workdir and a private /tmp of policy.scratch_mb."""
    argv = [spec.bwrap, "--die-with-parent", "--new-session"]
    if spec.user_namespace:
        argv += ["--unshare-all", "--unshare-user", "--disable-userns"]
    else:
        # Root keeps the initial user namespace so that isolation.enter can drop to the run uid; the
        # capabilities it needs for that are all it keeps, and it loses them with the uid switch.
        argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
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

    def launch(self, config, attempt: int) -> LaunchedCandidate:
        """Start the candidate under bwrap, in a fresh memory cgroup where cgroups are writable."""
        policy = config.policy.model_copy(update={"cgroup_procs": []})
        group = None
        if self.spec.use_cgroup:
            group = cgroup.create(f"judge-bwrap-{os.getpid()}-{attempt}-{os.urandom(4).hex()}", policy.memory_mb)
        policy.memory_by_cgroup = group is not None
        argv = bwrap_argv(self.spec, policy, config.candidate_dir)
        if group is not None:
            # Join the cgroup before bwrap starts: everything the sandbox ever forks is then inside.
            # (/sys is not visible in the sandbox, so the candidate cannot join it itself.)
            argv = ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', group.procs_file, *argv]
        env = dict(CANDIDATE_ENV, HOME="/tmp", TMPDIR="/tmp")
        return LocalCandidate(popen_candidate(argv, None, env, config.nice), policy.uid, group)


def _kill_process_group(process: subprocess.Popen) -> None:
    """SIGKILL a process started in its own session, and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _close_channel(process: subprocess.Popen) -> None:
    for stream in (process.stdin, process.stdout):
        try:
            stream.close()
        except OSError:
            pass


def launcher_for(config) -> Launcher:
    """The launcher a run's configuration names."""
    spec = config.launcher
    if isinstance(spec, LocalLauncherSpec):
        return LocalLauncher(spec)
    if isinstance(spec, DockerLauncherSpec):
        return DockerLauncher(spec)
    if isinstance(spec, BwrapLauncherSpec):
        return BwrapLauncher(spec)
    raise ValueError(f"unknown launcher {spec!r}")

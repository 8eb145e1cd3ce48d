"""The docker backend: the runner and each candidate process in containers of the runner image.

The runner imports a problem's checks (a team may have uploaded them), so it runs in a container
too: as the image's checker user, with no network, no engine socket, no capabilities, a read-only
root, memory/CPU/pids limits, and nothing of the host but its trusted dir (read-only) and the
directory of its broker's socket. It starts no container itself: the broker (harness.broker), a
thread of the grading process, starts each candidate process with `DockerLauncher` as a container of
the same image with no network, no capabilities, a read-only root, memory/CPU/pids/file limits,
tmpfs scratch and the submission's work dir mounted read-only, and passes the runner its pipes.
Every container is made through the engine's API (sandbox.engine), its stdin, stdout and stderr
relayed to host pipes. The host removes the run's containers when the run ends, at the wall-clock
limit included; leftovers of a judge that died are reaped at start-up.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from judge.errors import SandboxUnavailable
from judge.harness import isolation
from judge.harness.broker import CandidateBroker
from judge.harness.isolation import IsolationPolicy
from judge.harness.launcher import CANDIDATE_ENV, DockerLauncherSpec, LaunchConfig, LaunchedCandidate, Launcher
from judge.limits import container_lifetime_s, stale_after_s
from judge.sandbox import reaper
from judge.sandbox.engine import ContainerProcess, ContainerSpec, Engine, Mount, engine_epoch
from judge.sandbox.image import (
    CANDIDATE_UID,
    CANDIDATE_UID_LABEL,
    CHECKER_UID,
    DIGEST_LABEL,
    harness_digest,
)
from judge.sandbox.process import (
    RUNNER_FILE_SIZE_MB,
    RUNNER_OPEN_FILES,
    RUNNER_SCRATCH_MB,
    LaunchConfigT,
    ProcessSandbox,
)
from judge.sandbox.runner_host import RunnerHandle, hand_over
from judge.settings import Settings
from judge.workspace import Workspace

#: Where the runner container sees its broker's socket, and the image's Python.
BROKER_DIR = "/judge-broker"
BROKER_SOCKET = "broker.sock"
IMAGE_PYTHON = "/opt/judge/venv/bin/python"
#: Where the candidate's work dir appears inside its container.
SANDBOX_WORKDIR = "/work"
#: The engine's default CPU weight; a container started ahead of demand at niceness n gets the
#: weight the scheduler gives a process at nice n (each level about 1.25 times less).
DEFAULT_CPU_SHARES = 1024
#: /dev/shm of a candidate container: charged to its memory limit too, and torch needs only a little.
CANDIDATE_SHM_MB = 64


def cpu_shares(nice: int) -> int:
    """The docker CPU weight matching a niceness (1024 at 0, 15 at 19; the engine's minimum is 2)."""
    return max(2, round(DEFAULT_CPU_SHARES / 1.25**nice))


def container_name(run_id: str, launch_number: int) -> str:
    """The name of a run's `launch_number`-th candidate container (unique per engine while it exists)."""
    return f"judge-{run_id}-{launch_number}"


def runner_name(run_id: str) -> str:
    """The name of a run's runner container."""
    return f"judge-{run_id}-runner"


def candidate_container(spec: DockerLauncherSpec, config: LaunchConfig, launch_number: int) -> ContainerSpec:
    """The container of one candidate process: every limit of the run policy, the work dir read-only."""
    policy = config.policy
    scratch = f"rw,nosuid,nodev,size={policy.scratch_mb}m,mode=1777"
    uid, _, gid = spec.user.partition(":")
    # The host kills and removes the container at every deadline; this SIGKILL inside is the
    # backstop for a host that died without doing so (the reaper removes what is left).
    command = [
        "timeout",
        "--signal=KILL",
        f"{spec.lifetime_s:.0f}",
        spec.python,
        "-I",
        "-m",
        "judge.harness.candidate",
        policy.model_dump_json(),
    ]
    return ContainerSpec(
        name=container_name(spec.run_id, launch_number),
        image=spec.image,
        command=command,
        user=spec.user,
        labels={**spec.labels, reaper.SANDBOX_LABEL: "1", reaper.RUN_LABEL: spec.run_id},
        environment=dict(
            CANDIDATE_ENV, PATH=f"{os.path.dirname(spec.python)}:{CANDIDATE_ENV['PATH']}", HOME=spec.home, TMPDIR="/tmp"
        ),
        working_dir=SANDBOX_WORKDIR,
        memory_mb=policy.memory_mb,
        cpus=spec.cpus,
        cpu_shares=cpu_shares(config.nice),
        pids=policy.pids,
        tmpfs={
            "/tmp": scratch,
            # The engine may ignore mode= on a tmpfs over an image directory; owning HOME works everywhere.
            spec.home: f"{scratch},uid={uid},gid={gid}",
        },
        ulimits={"nofile": policy.open_files, "fsize": policy.file_size_mb << 20, "core": 0, "cpu": policy.cpu_s},
        mounts=[Mount(config.candidate_dir, SANDBOX_WORKDIR, read_only=True)],
        shm_mb=CANDIDATE_SHM_MB,
    )


class DockerCandidate(LaunchedCandidate):
    """A candidate container; its channel is the attach stream, relayed to host pipes."""

    process: ContainerProcess

    def __init__(self, engine: Engine, process: ContainerProcess) -> None:
        self.engine = engine
        self.process = process

    def restrict(self, policy: IsolationPolicy) -> None:
        """Set the container's memory limit to the job's and its CPU weight back to the default."""
        self.engine.update(self.process.id, memory_mb=policy.memory_mb, cpu_shares=DEFAULT_CPU_SHARES)

    def terminate(self) -> bool:
        """SIGKILL the container, read whether it was OOM-killed, then remove it."""
        return self.process.destroy()


class DockerLauncher(Launcher):
    """The docker backend's launcher, on the host (the broker's): one container per candidate process.

    The configuration's DockerLauncherSpec says what to start, so a warm slot's broker follows the
    job's configuration once it is handed one.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def launch(self, config: LaunchConfig, launch_number: int) -> LaunchedCandidate:
        """Start the candidate's container; its channel is the attach stream."""
        spec = config.launcher
        if not isinstance(spec, DockerLauncherSpec):
            raise ValueError(f"the docker launcher cannot start {spec.kind} candidates")
        # The container user is already unprivileged, the cgroup limits memory, nothing is mounted to hide.
        policy = config.policy.model_copy(
            update={"uid": None, "memory_by_cgroup": True, "hide_paths": [], "cgroup_procs": []}
        )
        config = config.model_copy(update={"policy": policy})
        return DockerCandidate(self.engine, self.engine.start(candidate_container(spec, config, launch_number)))


@dataclass
class ContainerRunnerHandle(RunnerHandle):
    """A runner in a container: stopping it kills and removes the container."""

    process: ContainerProcess

    def end_process(self) -> None:
        """Kill and remove the runner's container."""
        self.process.destroy()


@dataclass(frozen=True)
class ImageStatus:
    """Whether the runner image exists and was built from this judge's harness code."""

    ok: bool
    detail: str
    candidate_uid: int = CANDIDATE_UID


def image_status(engine: Engine, image: str) -> ImageStatus:
    """Inspect the runner image; ok=False when it is missing or built from other harness code."""
    labels = engine.image_labels(image)
    if labels is None:
        return ImageStatus(False, f"the image {image} does not exist: run `judge sandbox build` (or `--offline`)")
    built_from = labels.get(DIGEST_LABEL)
    if built_from != harness_digest():
        return ImageStatus(
            False, f"the image {image} holds other harness code than this judge: rebuild it with `judge sandbox build`"
        )
    uid = labels.get(CANDIDATE_UID_LABEL, str(CANDIDATE_UID))
    if not uid.isdigit() or int(uid) == 0:
        return ImageStatus(False, f"the image {image} names no unprivileged candidate user")
    return ImageStatus(True, f"image {image} up to date with this judge's harness", int(uid))


class DockerSandbox(ProcessSandbox):
    """The runner and each candidate process in locked-down containers of the runner image."""

    name = "docker"

    def __init__(self, settings: Settings, reap: bool = True) -> None:
        """Check the engine and the image (SandboxUnavailable if either is missing), then reap leftovers."""
        super().__init__(settings)
        self.engine = Engine(settings)
        #: The candidate user of each runner image this backend may start (the default and per-problem ones).
        self.candidate_uids: dict[str, int] = {}
        for image_name in sorted({settings.sandbox.docker_image, *settings.sandbox.docker_problem_images.values()}):
            image = image_status(self.engine, image_name)
            if not image.ok:
                raise SandboxUnavailable(f"docker: {image.detail}")
            self.candidate_uids[image_name] = image.candidate_uid
        self.candidate_uid = self.candidate_uids[settings.sandbox.docker_image]
        self.owner = reaper.owner_token()
        if reap:
            reaper.reap(self.engine, stale_after_s=stale_after_s(settings))

    @property
    def drops_privileges(self) -> bool:
        """False: the container user is unprivileged already; no host run uid is involved."""
        return False

    def image_for(self, problem: str) -> str:
        """The runner image `problem`'s candidates run in: its own if settings name one, else the default."""
        return self.settings.sandbox.docker_problem_images.get(problem, self.settings.sandbox.docker_image)

    def isolate(self, config: LaunchConfigT, run_id: str, wall_timeout_s: float, problem: str = "") -> LaunchConfigT:
        """The configuration with the docker launcher (the container user replaces any run uid).

        A warm slot is isolated without a problem (the default image); a job whose problem has an
        image of its own then does not fit it and is graded cold in that image.
        """
        image = self.image_for(problem)
        uid = self.candidate_uids[image]
        spec = DockerLauncherSpec(
            image=image,
            run_id=run_id,
            labels={reaper.OWNER_LABEL: self.owner},
            cpus=self.settings.sandbox.docker_cpus,
            user=f"{uid}:{uid}",
            lifetime_s=container_lifetime_s(wall_timeout_s),
        )
        policy = config.policy.model_copy(
            update={"uid": None, "hide_paths": [], "cgroup_procs": [], "memory_by_cgroup": True}
        )
        return config.model_copy(update={"launcher": spec, "policy": policy})

    def candidate_launcher(self, config: LaunchConfig) -> Launcher:
        """The host's launcher of candidate containers (whatever the configuration's run)."""
        return DockerLauncher(self.engine)

    def engine_epoch(self) -> str | None:
        """The Docker engine process serving now (a restart kills every container)."""
        return engine_epoch(self.settings.sandbox.docker_host)

    def forget_run(self, run_id: str) -> None:
        """Remove every container of the run."""
        reaper.remove_run(self.engine, run_id)

    def start_runner(
        self,
        workspace: Workspace,
        config: LaunchConfig,
        args: list[str],
        run_id: str,
        wall_timeout_s: float,
        nice: int = 0,
    ) -> RunnerHandle:
        """Start the runner in a container of the default image, its broker listening on a socket
        in a directory that only this container mounts."""
        broker_dir = workspace.root / "broker"
        broker_dir.mkdir(mode=0o700)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(str(broker_dir / BROKER_SOCKET))
            listener.listen(1)
            give_to_checker(workspace, broker_dir)
            broker = CandidateBroker(listener, config, listening=True, launcher=self.candidate_launcher(config))
        except OSError:
            listener.close()
            raise
        try:
            process = self.engine.start(
                self.runner_container(workspace, broker_dir, args, run_id, wall_timeout_s, nice)
            )
        except Exception:
            broker.close()
            raise
        broker.start()
        return ContainerRunnerHandle(process, broker)

    def runner_container(
        self, workspace: Workspace, broker_dir: Path, args: list[str], run_id: str, wall_timeout_s: float, nice: int
    ) -> ContainerSpec:
        """The runner's container: the checker user, no network, a read-only root, and limits."""
        settings = self.settings
        trusted = str(workspace.trusted_dir)
        lifetime_s = container_lifetime_s(wall_timeout_s)
        command = [
            "timeout",
            "--signal=KILL",
            f"{lifetime_s:.0f}",
            IMAGE_PYTHON,
            "-I",
            "-m",
            "judge.harness.runner",
            *args,
        ]
        return ContainerSpec(
            name=runner_name(run_id),
            image=settings.sandbox.docker_image,
            command=[*command, "--broker-path", f"{BROKER_DIR}/{BROKER_SOCKET}"],
            user=f"{CHECKER_UID}:{CHECKER_UID}",
            labels={reaper.OWNER_LABEL: self.owner, reaper.SANDBOX_LABEL: "1", reaper.RUN_LABEL: run_id},
            environment=dict(CANDIDATE_ENV, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", HOME="/tmp", TMPDIR="/tmp"),
            # Its trusted dir at the host's path, so that the config's paths hold in the container.
            working_dir=trusted,
            memory_mb=settings.limits.runner_memory_mb,
            cpus=settings.sandbox.docker_cpus,
            cpu_shares=cpu_shares(nice),
            pids=settings.limits.runner_pids,
            tmpfs={"/tmp": f"rw,nosuid,nodev,size={RUNNER_SCRATCH_MB}m,mode=1777"},
            ulimits={"nofile": RUNNER_OPEN_FILES, "fsize": RUNNER_FILE_SIZE_MB << 20, "core": 0},
            mounts=[Mount(trusted, trusted, read_only=True), Mount(str(broker_dir), BROKER_DIR, read_only=False)],
        )

    def raise_priority(self, runner: RunnerHandle, run_id: str) -> None:
        """The runner container back to the default CPU weight (the candidate's is restored at its restrict)."""
        self.engine.update(runner_name(run_id), cpu_shares=DEFAULT_CPU_SHARES)


def give_to_checker(workspace: Workspace, broker_dir: Path) -> None:
    """Let the image's checker user read the trusted dir and reach the broker's socket, and nobody else.

    As root the directories change owner; otherwise (a user in the docker group) they become
    readable by all, inside a workspace root that others cannot list.
    """
    if isolation.is_root():
        hand_over(workspace.trusted_dir, CHECKER_UID)
        hand_over(broker_dir, CHECKER_UID)
        return
    for root, dirs, files in os.walk(workspace.trusted_dir):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    os.chmod(workspace.trusted_dir, 0o755)
    os.chmod(broker_dir, 0o755)
    os.chmod(broker_dir / BROKER_SOCKET, 0o777)

"""The docker backend: the runner and each candidate process in containers of the runner image.

The runner imports a problem's checks (a team may have uploaded them), so it runs in a container
too: as the image's checker user, with no network, no engine socket, no capabilities, a read-only
root, memory/CPU/pids limits, and nothing of the host but its trusted dir (read-only) and the
directory of its broker's socket. It starts no container itself: the broker (harness.broker), a
thread of the grading process, starts each candidate process as a `docker run -i` of the same image
(harness.launcher.DockerLauncher) with no network, no capabilities, a read-only root,
memory/CPU/pids/file limits, tmpfs scratch and the submission's work dir mounted read-only, and
passes the runner its pipes. The host removes the run's containers when the run ends, at the
wall-clock limit included; leftovers of a judge that died are reaped at start-up.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from dataclasses import dataclass

from judge.errors import SandboxUnavailable
from judge.harness import isolation
from judge.harness.broker import CandidateBroker
from judge.harness.launcher import CANDIDATE_ENV, DEFAULT_CPU_SHARES, DockerLauncherSpec, cpu_shares, docker_call
from judge.harness.session import LaunchConfig
from judge.sandbox import reaper
from judge.sandbox.engine import engine_epoch
from judge.sandbox.image import (
    CANDIDATE_UID,
    CANDIDATE_UID_LABEL,
    CHECKER_UID,
    DIGEST_LABEL,
    harness_digest,
)
from judge.sandbox.process import RUNNER_FILE_SIZE_MB, RUNNER_OPEN_FILES, RUNNER_SCRATCH_MB, C, ProcessSandbox
from judge.sandbox.runner_host import RunnerHandle, hand_over
from judge.settings import Settings
from judge.workspace import Workspace

#: A container may outlive the runner's wall limit by this much before the in-container SIGKILL.
LIFETIME_MARGIN_S = 60.0
#: Leftover containers older than the longest possible run plus this are reaped whoever owns them.
STALE_MARGIN_S = 600.0
PROBE_TIMEOUT_S = 15.0
#: Where the runner container sees its broker's socket, and the image's Python.
BROKER_DIR = "/judge-broker"
BROKER_SOCKET = "broker.sock"
IMAGE_PYTHON = "/opt/judge/venv/bin/python"


def docker_cli(settings: Settings) -> list[str]:
    """The docker command and its global options."""
    return ["docker", *(["--host", settings.docker_host] if settings.docker_host else [])]


def pin_endpoint(docker: list[str]) -> list[str]:
    """The CLI with the engine address made explicit.

    The runner's docker clients run with a bare environment (no HOME, so no CLI contexts): naming
    the engine the host-side checks talked to keeps both on the same engine.
    """
    if "--host" in docker:
        return docker
    out = _call(docker, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}")
    host = out.stdout.strip()
    return [*docker, "--host", host] if out.returncode == 0 and host else docker


def _call(docker: list[str], *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([*docker, *args], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    except FileNotFoundError:
        return subprocess.CompletedProcess(args, 127, "", f"{docker[0]}: command not found")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, 124, "", f"no answer from the engine in {PROBE_TIMEOUT_S:g} s")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


@dataclass(frozen=True)
class EngineStatus:
    """Whether a Docker engine answers, and what it is."""

    ok: bool
    detail: str
    version: str = ""
    storage_driver: str = ""
    cgroup_version: str = ""
    swap_limit: bool = False


def engine_status(docker: list[str]) -> EngineStatus:
    """Ask the engine for its version and set-up; ok=False with the reason when it does not answer."""
    info = _call(docker, "info", "--format", "{{json .}}")
    if info.returncode != 0:
        return EngineStatus(False, _first_line(info.stderr) or f"docker info exited with {info.returncode}")
    try:
        data = json.loads(info.stdout)
    except json.JSONDecodeError:
        return EngineStatus(False, "docker info printed something that is not JSON")
    if data.get("ServerErrors") or not data.get("ServerVersion"):
        return EngineStatus(False, "; ".join(data.get("ServerErrors") or ["no Docker engine answers"]))
    return EngineStatus(
        True,
        f"engine {data['ServerVersion']}, storage driver {data.get('Driver', '?')}, cgroup v{data.get('CgroupVersion', '?')}",
        version=data["ServerVersion"],
        storage_driver=data.get("Driver", ""),
        cgroup_version=str(data.get("CgroupVersion", "")),
        swap_limit=bool(data.get("SwapLimit")),
    )


@dataclass(frozen=True)
class ImageStatus:
    """Whether the runner image exists and was built from this judge's harness code."""

    ok: bool
    detail: str
    candidate_uid: int = CANDIDATE_UID


def image_status(docker: list[str], image: str) -> ImageStatus:
    """Inspect the runner image; ok=False when it is missing or built from other harness code."""
    out = _call(docker, "image", "inspect", "--format", "{{json .Config.Labels}}", image)
    if out.returncode != 0:
        return ImageStatus(False, f"the image {image} does not exist: run `judge sandbox build` (or `--offline`)")
    try:
        labels = json.loads(out.stdout) or {}
    except json.JSONDecodeError:
        labels = {}
    built_from = labels.get(DIGEST_LABEL)
    if built_from != harness_digest():
        return ImageStatus(False, f"the image {image} holds other harness code than this judge: rebuild it with `judge sandbox build`")
    uid = labels.get(CANDIDATE_UID_LABEL, str(CANDIDATE_UID))
    if not uid.isdigit() or int(uid) == 0:
        return ImageStatus(False, f"the image {image} names no unprivileged candidate user")
    return ImageStatus(True, f"image {image} up to date with this judge's harness", int(uid))


class DockerSandbox(ProcessSandbox):
    """The runner as a host process; each candidate process in a locked-down container."""

    name = "docker"

    def __init__(self, settings: Settings, reap: bool = True) -> None:
        """Check the engine and the image (SandboxUnavailable if either is missing), then reap leftovers."""
        super().__init__(settings)
        self.docker = pin_endpoint(docker_cli(settings))
        engine = engine_status(self.docker)
        if not engine.ok:
            raise SandboxUnavailable(f"docker: {engine.detail}")
        #: The candidate user of each runner image this backend may start (the default and per-problem ones).
        self.candidate_uids: dict[str, int] = {}
        for image_name in sorted({settings.docker_image, *settings.docker_problem_images.values()}):
            image = image_status(self.docker, image_name)
            if not image.ok:
                raise SandboxUnavailable(f"docker: {image.detail}")
            self.candidate_uids[image_name] = image.candidate_uid
        self.candidate_uid = self.candidate_uids[settings.docker_image]
        self.owner = reaper.owner_token()
        if reap:
            # A warm pool's containers may wait pool_idle_s before their run starts.
            reaper.reap(self.docker, stale_after_s=settings.max_wall_timeout_s + settings.pool_idle_s + STALE_MARGIN_S)

    @property
    def drops_privileges(self) -> bool:
        """False: the container user is unprivileged already; no host run uid is involved."""
        return False

    def image_for(self, problem: str) -> str:
        """The runner image `problem`'s candidates run in: its own if settings name one, else the default."""
        return self.settings.docker_problem_images.get(problem, self.settings.docker_image)

    def isolate(self, config: C, run_id: str, wall_timeout_s: float, problem: str = "") -> C:
        """The configuration with the docker launcher (the container user replaces any run uid).

        A warm slot is isolated without a problem (the default image); a job whose problem has an
        image of its own then does not fit it and is graded cold in that image.
        """
        image = self.image_for(problem)
        uid = self.candidate_uids[image]
        spec = DockerLauncherSpec(
            docker=self.docker,
            image=image,
            run_id=run_id,
            labels={reaper.OWNER_LABEL: self.owner},
            cpus=self.settings.docker_cpus,
            user=f"{uid}:{uid}",
            lifetime_s=wall_timeout_s + LIFETIME_MARGIN_S,
        )
        policy = config.policy.model_copy(update={"uid": None, "hide_paths": [], "cgroup_procs": [], "memory_by_cgroup": True})
        return config.model_copy(update={"launcher": spec, "policy": policy})

    def engine_epoch(self) -> str | None:
        """The Docker engine process serving now (a restart kills every container)."""
        return engine_epoch(self.settings.docker_host)

    def forget_run(self, run_id: str) -> None:
        """Remove every container of the run."""
        reaper.remove_run(self.docker, run_id)

    def start_runner(self, workspace: Workspace, config: LaunchConfig, args: list[str], run_id: str, wall_timeout_s: float, nice: int = 0) -> RunnerHandle:
        """Start the runner in a container of the default image, its broker listening on a socket
        in a directory that only this container mounts."""
        broker_dir = workspace.root / "broker"
        broker_dir.mkdir(mode=0o700)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(str(broker_dir / BROKER_SOCKET))
            listener.listen(1)
            give_to_checker(workspace, broker_dir)
            broker = CandidateBroker(listener, config, listening=True)
        except OSError:
            listener.close()
            raise
        argv = self.runner_argv(workspace, broker_dir, args, run_id, wall_timeout_s, nice)
        # The client needs no environment of ours (it reads only its own configuration).
        env = {"PATH": CANDIDATE_ENV["PATH"], "HOME": "/nonexistent", "DOCKER_CLI_HINTS": "false"}
        try:
            process = subprocess.Popen(
                argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
            )
        except OSError:
            broker.close()
            raise
        broker.start()
        return RunnerHandle(process, broker)

    def runner_argv(self, workspace: Workspace, broker_dir, args: list[str], run_id: str, wall_timeout_s: float, nice: int) -> list[str]:
        """`docker run -i` of the runner: the checker user, no network, a read-only root, and limits."""
        settings = self.settings
        memory = f"{settings.runner_memory_mb}m"
        trusted = str(workspace.trusted_dir)
        argv = [*self.docker, "run", "-i", "--name", f"judge-{run_id}-runner", "--pull", "never"]
        for key, value in sorted({reaper.OWNER_LABEL: self.owner, reaper.SANDBOX_LABEL: "1", reaper.RUN_LABEL: run_id}.items()):
            argv += ["--label", f"{key}={value}"]
        argv += [
            "--network", "none",
            "--memory", memory, "--memory-swap", memory,
            "--cpus", f"{settings.docker_cpus:g}",
            "--cpu-shares", str(cpu_shares(nice)),
            "--pids-limit", str(settings.runner_pids),
            "--read-only",
            "--tmpfs", f"/tmp:rw,nosuid,nodev,size={RUNNER_SCRATCH_MB}m,mode=1777",
            "--ulimit", f"nofile={RUNNER_OPEN_FILES}:{RUNNER_OPEN_FILES}",
            "--ulimit", f"fsize={RUNNER_FILE_SIZE_MB << 20}:{RUNNER_FILE_SIZE_MB << 20}",
            "--ulimit", "core=0:0",
            "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges",
            "--user", f"{CHECKER_UID}:{CHECKER_UID}",
            "--ipc", "private",
            "--init",
            "--log-driver", "none",
            # Its trusted dir at the host's path, so that the config's paths hold in the container.
            "--mount", f"type=bind,source={trusted},target={trusted},readonly",
            "--mount", f"type=bind,source={broker_dir},target={BROKER_DIR}",
            "--workdir", trusted,
        ]
        for key, value in sorted(dict(CANDIDATE_ENV, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", HOME="/tmp", TMPDIR="/tmp").items()):
            argv += ["--env", f"{key}={value}"]
        lifetime_s = wall_timeout_s + LIFETIME_MARGIN_S
        argv += [self.settings.docker_image, "timeout", "--signal=KILL", f"{lifetime_s:.0f}"]
        argv += [IMAGE_PYTHON, "-I", "-m", "judge.harness.runner", *args, "--broker-path", f"{BROKER_DIR}/{BROKER_SOCKET}"]
        return argv

    def raise_priority(self, runner: RunnerHandle, run_id: str) -> None:
        """The runner container back to the default CPU weight (the candidate's is restored at its restrict)."""
        out = docker_call(self.docker, "update", "--cpu-shares", str(DEFAULT_CPU_SHARES), f"judge-{run_id}-runner")
        if out.returncode != 0:
            raise OSError(f"docker update of the runner: {out.stderr.strip()[:300]}")


def give_to_checker(workspace: Workspace, broker_dir) -> None:
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

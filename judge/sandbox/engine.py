"""The Docker engine, through the Docker SDK for Python: the one module of the judge that talks to it.

Everything the docker backend, the reaper, the image build and doctor ask of the engine goes through
`Engine`: its status, image labels, creating, attaching to, starting, waiting for, updating, killing
and removing locked-down containers, listing them by label, importing and building images. No module
of the judge runs the docker CLI. The SDK's errors (docker.errors.*, and the requests and urllib3
errors under it) become SandboxUnavailable when the engine or an image is missing at start-up, and
SandboxFault when a call fails during a run, here and nowhere else.

A container's stdin, stdout and stderr reach the host as pipes (sandbox.attach): `ContainerProcess`
offers what a subprocess.Popen would, so that the broker and the runner's host see no difference.

Which run of the engine serves (`engine_epoch`) is read from the socket's peer, not asked of the
engine: a restart kills every container, so a grade that spanned one failed for the judge's reason.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import docker
import docker.errors
import docker.types
import docker.utils
import requests.exceptions
import urllib3.exceptions

from judge.errors import JudgeError, SandboxFault, SandboxUnavailable
from judge.sandbox.attach import AttachRelay
from judge.settings import Settings

log = logging.getLogger(__name__)

#: The engine's address when settings name none (the docker CLI's default too).
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
#: One API call must be answered within this (waiting for a container has its own deadline).
CALL_TIMEOUT_S = 30.0
#: Importing and building images send and process gigabytes: calls may take this long.
BUILD_TIMEOUT_S = 1800.0
#: The exit status of a container the engine could no longer report on (removed, or the engine gone),
#: as the docker CLI reports an engine failure.
LOST_EXIT = 125
#: What the SDK raises: its own errors, requests' (OSErrors: connection, timeout) and urllib3's from streams.
ENGINE_ERRORS = (docker.errors.DockerException, OSError, urllib3.exceptions.HTTPError)
_PEERCRED = struct.Struct("3i")  # pid, uid, gid


def describe(exc: BaseException) -> str:
    """One line saying why an engine call failed: the engine's own explanation when it gave one."""
    if isinstance(exc, docker.errors.APIError) and exc.explanation:
        text = str(exc.explanation)
    else:
        text = str(exc) or type(exc).__name__
    return text.strip().splitlines()[0][:500] if text.strip() else type(exc).__name__


@contextlib.contextmanager
def engine_errors(what: str, error: type[JudgeError] = SandboxFault) -> Iterator[None]:
    """Turn any failure of the SDK inside the block into `error` ("docker: <what>: <why>")."""
    try:
        yield
    except ENGINE_ERRORS as exc:
        raise error(f"docker: {what}: {describe(exc)}") from exc


def _missing(exc: BaseException) -> bool:
    """Whether an engine error says the container or image does not exist (any more)."""
    return isinstance(exc, docker.errors.NotFound)


def _not_running(exc: BaseException) -> bool:
    """Whether an engine error says the container is not running, or is being removed already."""
    return isinstance(exc, docker.errors.APIError) and exc.status_code == 409


@dataclass(frozen=True)
class EngineStatus:
    """Whether a Docker engine answers, and what it is."""

    ok: bool
    detail: str
    version: str = ""
    storage_driver: str = ""
    cgroup_version: str = ""
    swap_limit: bool = False


@dataclass(frozen=True)
class Mount:
    """A host path bound into a container."""

    source: str
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class ContainerSpec:
    """One container as the judge runs them all: no network, no capabilities, no new privileges, a
    read-only root, a private IPC namespace, docker-init as pid 1, no log on the host, and the limits
    and mounts named here. Its stdin, stdout and stderr are the attach stream (sandbox.attach)."""

    name: str
    image: str
    command: list[str]
    user: str
    labels: dict[str, str]
    environment: dict[str, str]
    working_dir: str
    memory_mb: int
    cpus: float
    cpu_shares: int
    pids: int
    #: Mount point -> tmpfs options (size=, mode=, uid=).
    tmpfs: dict[str, str]
    #: rlimit name (nofile, fsize, core, cpu) -> its value, soft and hard alike.
    ulimits: dict[str, int]
    mounts: list[Mount] = field(default_factory=list)
    #: /dev/shm's size; None: the engine's default (64 MiB).
    shm_mb: int | None = None

    def host_config(self) -> dict[str, Any]:
        """The SDK's HostConfig arguments (create_host_config / docker.types.HostConfig)."""
        memory = self.memory_mb << 20
        config = dict(
            network_mode="none",
            # memswap equal to memory: no swap on top of the limit.
            mem_limit=memory,
            memswap_limit=memory,
            nano_cpus=round(self.cpus * 1e9),
            cpu_shares=self.cpu_shares,
            pids_limit=self.pids,
            read_only=True,
            tmpfs=dict(self.tmpfs),
            ulimits=[
                docker.types.Ulimit(name=name, soft=value, hard=value) for name, value in sorted(self.ulimits.items())
            ],
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            ipc_mode="private",
            # docker-init as pid 1 reaps orphans; the container ends when its child does.
            init=True,
            # The output reaches the host by the attach stream only, never a log on the host's disk.
            log_config=docker.types.LogConfig(type="none"),
            mounts=[docker.types.Mount(m.target, m.source, type="bind", read_only=m.read_only) for m in self.mounts],
        )
        if self.shm_mb is not None:
            config["shm_size"] = self.shm_mb << 20
        return config

    def create_arguments(self) -> dict[str, Any]:
        """The SDK's create_container arguments, less host_config (see `host_config`)."""
        return dict(
            image=self.image,
            command=list(self.command),
            name=self.name,
            user=self.user,
            labels=dict(self.labels),
            environment=dict(self.environment),
            working_dir=self.working_dir,
            # stdin attached and closed when the attach stream's write side closes (StdinOnce); no TTY,
            # so stdout and stderr arrive as separate frames.
            stdin_open=True,
            tty=False,
        )


@dataclass(frozen=True)
class ContainerInfo:
    """A container as a listing shows it."""

    id: str
    labels: dict[str, str]
    created: float


class Engine:
    """A connection to the Docker engine settings name (settings.sandbox.docker_host, else the local socket)."""

    def __init__(self, settings: Settings, timeout_s: float = CALL_TIMEOUT_S) -> None:
        """Connect and agree on the API version (one round trip); SandboxUnavailable when nothing answers."""
        self.host = settings.sandbox.docker_host or DEFAULT_DOCKER_HOST
        with engine_errors(f"no Docker engine answers at {self.host}", SandboxUnavailable):
            # The address is passed, never taken from DOCKER_HOST: only Settings reads the environment.
            self.client = docker.DockerClient(base_url=self.host, version="auto", timeout=timeout_s)
        self.api = self.client.api

    # -- the engine and its images ------------------------------------------------------------

    def status(self) -> EngineStatus:
        """The engine's version and set-up (docker info); SandboxUnavailable when it does not answer."""
        with engine_errors("docker info", SandboxUnavailable):
            data = self.api.info()
        return EngineStatus(
            True,
            f"engine {data.get('ServerVersion', '?')}, storage driver {data.get('Driver', '?')}, cgroup v{data.get('CgroupVersion', '?')}",
            version=data.get("ServerVersion", ""),
            storage_driver=data.get("Driver", ""),
            cgroup_version=str(data.get("CgroupVersion", "")),
            swap_limit=bool(data.get("SwapLimit")),
        )

    def image_labels(self, image: str) -> dict[str, str] | None:
        """The image's labels, or None when the engine has no such image."""
        with engine_errors(f"inspecting the image {image}", SandboxUnavailable):
            try:
                return self.api.inspect_image(image)["Config"].get("Labels") or {}
            except docker.errors.ImageNotFound:
                return None

    def image_size(self, image: str) -> int:
        """The image's size in bytes (0 when it does not exist)."""
        with engine_errors(f"inspecting the image {image}"):
            try:
                return int(self.api.inspect_image(image).get("Size") or 0)
            except docker.errors.ImageNotFound:
                return 0

    def import_image(self, tar: IO[bytes], tag: str, changes: list[str]) -> None:
        """Make the image `tag` from a root file system streamed as a tar (docker import)."""
        with engine_errors(f"importing {tag}"):
            repository, version = docker.utils.parse_repository_tag(tag)
            self.api.import_image_from_stream(tar, repository=repository, tag=version, changes=changes)

    def build(
        self,
        context: str,
        tag: str,
        buildargs: dict[str, str],
        labels: dict[str, str],
        offline: bool,
        log_line: Callable[[str], None],
    ) -> None:
        """Build `context` (a directory with a Dockerfile) as `tag` with the classic builder, passing
        each line of the build's log to `log_line`; SandboxFault with the builder's error when it fails.

        Offline, the build has no network; that also works where the engine has no bridge.
        """
        with engine_errors(f"building {tag}"):
            stream = self.api.build(
                path=context,
                tag=tag,
                buildargs=buildargs,
                labels=labels,
                forcerm=True,
                rm=True,
                decode=True,
                network_mode="none" if offline else None,
            )
            for chunk in stream:
                if "error" in chunk:
                    raise SandboxFault(f"docker: building {tag}: {str(chunk['error']).strip()[:1000]}")
                for line in str(chunk.get("stream", "")).splitlines():
                    if line.strip():
                        log_line(line.rstrip())

    def prune_images(self, filters: dict[str, Any]) -> None:
        """Remove the images that match the filters (e.g. dangling ones with a label)."""
        with engine_errors("pruning images"):
            self.api.prune_images(filters=filters)

    def run_output(self, image: str, command: list[str]) -> str:
        """Run a short command of a trusted image without network, and return its stdout."""
        with engine_errors(f"running {command[0]} in {image}"):
            out = self.client.containers.run(
                image, command, network_mode="none", remove=True, stdout=True, stderr=False
            )
        return str(out.decode("utf-8", "replace"))

    # -- containers ---------------------------------------------------------------------------

    def start(self, spec: ContainerSpec) -> ContainerProcess:
        """Create the container, attach to its stdin, stdout and stderr, and start it.

        Attached before it starts, so that nothing it writes is lost; SandboxFault when any step
        fails (a created container is removed again).
        """
        with engine_errors(f"creating {spec.name}"):
            created = self.api.create_container(
                host_config=self.api.create_host_config(**spec.host_config()), **spec.create_arguments()
            )
        container = created["Id"]
        try:
            with engine_errors(f"attaching to {spec.name}"):
                raw = self.api.attach_socket(container, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
                # Our own descriptor of the connection: the HTTP response that carried it is done with.
                sock = socket.socket(fileno=os.dup(raw.fileno()))
                raw._response.close()
            relay = AttachRelay(sock)
            try:
                with engine_errors(f"starting {spec.name}"):
                    self.api.start(container)
            except SandboxFault:
                relay.close()
                raise
        except SandboxFault:
            self.remove(container)
            raise
        return ContainerProcess(self, container, spec.name, relay)

    def kill(self, container: str) -> None:
        """SIGKILL the container; nothing when it has ended or is gone already."""
        with engine_errors(f"killing {container}"):
            try:
                self.api.kill(container)
            except docker.errors.APIError as exc:
                if not (_missing(exc) or _not_running(exc)):
                    raise

    def state(self, container: str) -> dict[str, Any] | None:
        """The container's State (Running, ExitCode, OOMKilled, Pid), or None when it is gone."""
        with engine_errors(f"inspecting {container}"):
            try:
                state: dict[str, Any] = self.api.inspect_container(container)["State"]
                return state
            except docker.errors.NotFound:
                return None

    def wait(self, container: str, timeout_s: float | None) -> int | None:
        """The container's exit status once it ends; None if it still runs after `timeout_s`."""
        if timeout_s is not None and timeout_s <= 0:
            state = self.state(container)
            if state is None:
                return LOST_EXIT
            return None if state.get("Running") else int(state.get("ExitCode", LOST_EXIT))
        with engine_errors(f"waiting for {container}"):
            try:
                return int(self.api.wait(container, timeout=timeout_s)["StatusCode"])
            except docker.errors.NotFound:
                return LOST_EXIT
            except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
                if _timed_out(exc):
                    return None  # the wait's own deadline, not a failure
                raise

    def update(self, container: str, memory_mb: int | None = None, cpu_shares: int | None = None) -> None:
        """Change a running container's memory limit (swap included: none) and CPU weight."""
        memory = None if memory_mb is None else memory_mb << 20
        with engine_errors(f"updating {container}"):
            self.api.update_container(container, mem_limit=memory, memswap_limit=memory, cpu_shares=cpu_shares)

    def remove(self, container: str) -> None:
        """Remove the container whatever its state (SIGKILL first), with its anonymous volumes."""
        with engine_errors(f"removing {container}"):
            try:
                self.api.remove_container(container, force=True, v=True)
            except docker.errors.APIError as exc:
                if not (_missing(exc) or _not_running(exc)):
                    raise

    def containers(self, label: str) -> list[ContainerInfo]:
        """Every container, running or not, carrying `label` ("key" or "key=value")."""
        with engine_errors(f"listing containers labelled {label}"):
            listing = self.api.containers(all=True, filters={"label": label})
        return [ContainerInfo(c["Id"], c.get("Labels") or {}, float(c.get("Created") or 0)) for c in listing]


def _timed_out(exc: BaseException) -> bool:
    """Whether a requests error is a read timeout: requests raises ReadTimeout when the headers are
    late, and a ConnectionError around urllib3's ReadTimeoutError when the body is (as for a wait,
    whose answer the engine sends when the container ends)."""
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return True
    return bool(exc.args) and isinstance(exc.args[0], urllib3.exceptions.ReadTimeoutError)


class ContainerProcess:
    """A started container seen as a process: what subprocess.Popen offers, for a container.

    stdin, stdout and stderr are the host's ends of pipes relayed to the attach stream; `pid` is the
    host pid of the container's first process; poll and wait report the container's exit status
    (137 when it was SIGKILLed). `destroy` kills and removes the container.
    """

    def __init__(self, engine: Engine, container: str, name: str, relay: AttachRelay) -> None:
        self.engine = engine
        self.id = container
        self.name = name
        self.relay = relay
        self.stdin = relay.stdin
        self.stdout = relay.stdout
        self.stderr = relay.stderr
        self.returncode: int | None = None
        self.oom_killed = False
        self._destroyed = False

    @property
    def pid(self) -> int | None:
        """The host pid of the container's first process (docker-init), None once it has ended."""
        try:
            state = self.engine.state(self.id)
        except SandboxFault:
            return None
        return int(state["Pid"]) if state and state.get("Running") and state.get("Pid") else None

    def poll(self) -> int | None:
        """The exit status, or None while it runs (no engine call while its output still flows)."""
        if self.returncode is None and not self.relay.running():
            try:
                self.returncode = self.engine.wait(self.id, 0)
            except SandboxFault:
                self.returncode = LOST_EXIT
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait up to `timeout` seconds for the exit (subprocess.TimeoutExpired after it, like Popen)."""
        if self.returncode is None:
            deadline = None if timeout is None else time.monotonic() + timeout
            # The output ends when the container does: until then there is nothing to ask the engine.
            if not self.relay.join(timeout):
                raise subprocess.TimeoutExpired(self.name, timeout or 0.0)
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            code = self.engine.wait(self.id, remaining)
            if code is None:
                raise subprocess.TimeoutExpired(self.name, timeout or 0.0)
            self.returncode = code
        return self.returncode

    def destroy(self) -> bool:
        """SIGKILL the container, read whether it was killed for memory, remove it and close the
        relay; True when it was OOM-killed. Best effort: what the engine cannot do now, the reaper does."""
        if self._destroyed:
            return self.oom_killed
        self._destroyed = True
        try:
            self.engine.kill(self.id)
            # The stream ends once the container is dead; a stuck engine must not hold the judge.
            self.relay.join(CALL_TIMEOUT_S)
            # Read before removal: State.OOMKilled is gone with the container.
            state = self.engine.state(self.id)
            self.oom_killed = bool(state and state.get("OOMKilled"))
            if self.returncode is None and state is not None and not state.get("Running"):
                self.returncode = int(state.get("ExitCode", LOST_EXIT))
            self.engine.remove(self.id)
        except SandboxFault as exc:
            log.warning("%s", exc)
        finally:
            self.relay.close()
            if self.returncode is None:
                self.returncode = LOST_EXIT
        return self.oom_killed


def engine_status(settings: Settings) -> EngineStatus:
    """Whether the engine settings name answers, and what it is; ok=False with the reason otherwise."""
    try:
        return Engine(settings).status()
    except SandboxUnavailable as exc:
        return EngineStatus(False, str(exc).removeprefix("docker: "))


def engine_epoch(docker_host: str | None) -> str:
    """An id of the engine process behind a local unix socket (its pid, from SO_PEERCRED), "down" when
    nothing answers there, or "remote" for an engine over TCP (whose restarts cannot be seen here)."""
    host = docker_host or DEFAULT_DOCKER_HOST
    if not host.startswith("unix://"):
        return "remote"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(2.0)
            connection.connect(host.removeprefix("unix://"))
            pid, _uid, _gid = _PEERCRED.unpack(
                connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
            )
    except OSError:
        return "down"
    return f"pid {pid}"

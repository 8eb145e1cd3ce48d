"""Private Redis, PostgreSQL and Docker engine for the reliability suite, each one a real server this
suite owns alone (own port or socket, own data directory), so that stopping it hurts nobody else."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from judge.sandbox.docker import image_status
from judge.sandbox.engine import Engine, engine_status
from judge.settings import Settings
from tests.api.support import free_port, wait_for
from tests.environment import Environment


def _missing(what: str) -> None:
    """Fail in CI (scripts/test installs everything), skip elsewhere."""
    if Environment().ci:
        pytest.fail(f"{what} (CI=true: the reliability suite needs it)")
    pytest.skip(what)


def _stop_process(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class PrivateRedis:
    """redis-server on its own loopback port, no persistence: a stop loses every queued message."""

    def __init__(self, root: Path) -> None:
        if shutil.which("redis-server") is None:
            _missing("redis-server is not installed (scripts/services.sh installs it)")
        self.port = free_port()
        self.log_path = root / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The broker URL the service uses."""
        return f"redis://127.0.0.1:{self.port}/3"

    def start(self) -> None:
        """Start it and wait until it answers."""
        import redis

        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        client = redis.Redis(port=self.port, socket_timeout=1)

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(answers, 20, "the private redis-server to answer")

    def stop(self) -> None:
        """Stop it (SIGTERM: a clean shutdown, and with no persistence its data is gone)."""
        _stop_process(self.process)
        self.process = None


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb in a fresh directory, own port), trust auth on the loopback."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            _missing("PostgreSQL is not installed (scripts/services.sh installs it)")
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        # The server runs as the postgres user, which must own the directory (pytest's tmp dirs are 0700 root).
        self.root = Path(tempfile.mkdtemp(prefix="judge-reliability-pg-"))
        self.data = self.root / "data"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, self.user, self.user)
        self._as_owner([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "judge", "--no-sync"])

    def _as_owner(self, argv: list[str]) -> None:
        command = ["runuser", "-u", self.user, "--", *argv] if self.user else argv
        done = subprocess.run(command, cwd="/", capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:2])} failed: {done.stderr or done.stdout}")

    @property
    def url(self) -> str:
        """The service's database URL."""
        return f"postgresql+psycopg://judge@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """A new empty database in this cluster; its URL."""
        from sqlalchemy import create_engine, text

        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._as_owner(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.root / "log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                *args,
            ]
        )

    def start(self) -> None:
        """Start the cluster and wait until it takes connections."""
        self._ctl("start")

    def restart(self) -> None:
        """Restart it: every connection is cut (fast shutdown), then it takes connections again."""
        self._ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        """Stop it at once and remove its files."""
        try:
            self._ctl("stop", "-m", "immediate")
        except RuntimeError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateDockerd:
    """A second Docker engine on its own socket, data-root and exec-root, with the runner image.

    The other engineers on this machine share the default engine; this suite stops only its own.
    """

    def __init__(self) -> None:
        if shutil.which("dockerd") is None:
            _missing("dockerd is not installed (sandbox/setup-docker.sh installs it)")
        self.root = Path(tempfile.mkdtemp(prefix="judge-reliability-dockerd-"))
        self.socket = self.root / "docker.sock"
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        """The engine address (Settings.sandbox.docker_host)."""
        return f"unix://{self.socket}"

    @property
    def cli(self) -> list[str]:
        """The docker CLI talking to this engine."""
        return ["docker", "--host", self.host]

    def start(self) -> None:
        """Start the engine and wait until it answers."""
        log = open(self.root / "dockerd.log", "ab")
        self.process = subprocess.Popen(
            [
                "dockerd",
                "--host",
                self.host,
                "--data-root",
                str(self.root / "data"),
                "--exec-root",
                str(self.root / "exec"),
                "--pidfile",
                str(self.root / "docker.pid"),
                "--bridge",
                "none",
                "--iptables=false",
                "--ip-masq=false",
                "--shutdown-timeout",
                "2",
                "--storage-driver",
                self._storage_driver(),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        wait_for(
            lambda: self.process.poll() is not None or engine_status(Settings(sandbox={"docker_host": self.host})).ok,
            60,
            "the private dockerd to answer",
            0.3,
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"the private dockerd exited:\n{(self.root / 'dockerd.log').read_text()[-2000:]}")

    @staticmethod
    def _storage_driver() -> str:
        """The shared engine's driver: sandbox/setup-docker.sh found it works on this machine."""
        done = subprocess.run(["docker", "info", "--format", "{{.Driver}}"], capture_output=True, text=True, timeout=30)
        return done.stdout.strip() or "vfs"

    def stop(self) -> None:
        """Stop the engine (its containers die with it) and wait for it to exit."""
        _stop_process(self.process, timeout_s=60)
        self.process = None

    def provide_image(self, settings: Settings) -> None:
        """The runner image on this engine: copied from the shared engine when it is current there,
        else built offline from the shared engine's base image (as scripts/test builds it)."""
        shared = ["docker", *(["--host", settings.sandbox.docker_host] if settings.sandbox.docker_host else [])]
        if image_status(Engine(settings), settings.sandbox.docker_image).ok:
            self._copy(shared, settings.sandbox.docker_image)
            return
        self._copy(shared, settings.images.docker_offline_base_image)
        env = {**os.environ, "JUDGE_DOCKER_HOST": self.host}
        from tests.api.support import judge_command

        done = subprocess.run(
            judge_command("sandbox", "build", "--offline"), env=env, capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            raise RuntimeError(f"building the runner image on the private engine failed: {done.stderr[-2000:]}")

    def _copy(self, shared: list[str], image: str) -> None:
        save = subprocess.Popen([*shared, "save", image], stdout=subprocess.PIPE)
        load = subprocess.run([*self.cli, "load", "-q"], stdin=save.stdout, capture_output=True, text=True, timeout=600)
        save.stdout.close()
        if save.wait() != 0 or load.returncode != 0:
            _missing(f"could not copy {image} from the shared Docker engine: {load.stderr.strip()[-500:]}")

    def destroy(self) -> None:
        """Stop the engine and remove its files."""
        self.stop()
        for mounted in ("exec", "data"):  # dockerd may leave its roots mounted over themselves
            subprocess.run(["umount", "-R", str(self.root / mounted)], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

"""What a candidate process sees and may do inside each isolating backend, observed from inside.

A probe of our own runs in the candidate process (through the real harness: launcher, candidate,
session) and reports its identity, capabilities, limits, network, and which host paths it can see
or write. Parametrized over every isolating backend: bwrap, docker and process as root.
"""

from __future__ import annotations

import os
import socket
import time

import pytest

from judge.harness.session import CandidateFault
from judge.sandbox import reaper
from judge.sandbox.docker import DockerSandbox
from tests.conftest import PROBLEMS, REPO
from tests.sandbox.conftest import docker_call

pytestmark = pytest.mark.slow

INTROSPECT = """
import os, resource, socket

def _try_write(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        os.unlink(path)
        return "ok"
    except OSError as exc:
        return exc.strerror

def _try_read(path):
    try:
        with open(path) as f:
            f.read()
        return "ok"
    except OSError as exc:
        return exc.strerror

def _status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return line.split()[1]

def report(solution, paths, port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        loopback = "connected"
    except OSError as exc:
        loopback = exc.strerror or type(exc).__name__
    try:
        socket.create_connection(("8.8.8.8", 53), timeout=1).close()
        internet = "connected"
    except OSError as exc:
        internet = exc.strerror or type(exc).__name__
    scratch = os.statvfs("/tmp")
    return {
        "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
        "cap_eff": _status("CapEff"), "cap_bnd_nonzero": _status("CapPrm") != "0000000000000000",
        "no_new_privs": _status("NoNewPrivs"),
        "interfaces": sorted(name for _, name in socket.if_nameindex()),
        "loopback": loopback, "internet": internet,
        "visible": {p: os.path.exists(p) for p in paths},
        "write_root": _try_write("/opt/judge-probe"), "write_usr": _try_write("/usr/judge-probe"),
        "write_tmp": _try_write("/tmp/judge-probe"), "write_home": _try_write(os.path.join(os.environ["HOME"], "judge-probe")),
        "write_work": _try_write("judge-probe"),
        "read_shadow": _try_read("/etc/shadow"),
        "read_solution": open("solution.py").read(),
        "tmp_bytes": scratch.f_blocks * scratch.f_frsize,
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "fsize": resource.getrlimit(resource.RLIMIT_FSIZE)[0],
        "core": resource.getrlimit(resource.RLIMIT_CORE)[0],
        "env": sorted(os.environ),
        "pid": os.getpid(),
        "namespaces": {n: os.readlink(f"/proc/self/ns/{n}") for n in ("pid", "ipc", "net", "mnt", "uts")},
        "processes": sorted(int(e) for e in os.listdir("/proc") if e.isdigit()),
    }
"""


def test_candidate_sees_only_its_sandbox(isolating, prepared, sandbox_settings, monkeypatch, tmp_path_factory):
    monkeypatch.setenv("JUDGE_PROBE_CANARY", "canary")
    host_only = tmp_path_factory.mktemp("host-only") / "marker"
    host_only.write_text("host")
    host_only.parent.chmod(0o755)
    run = prepared(isolating, INTROSPECT, source="# the submission\n")
    policy = run.config.policy
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    secrets = [
        str(PROBLEMS),
        str(PROBLEMS / "vae-mnist" / "solution.py"),
        str(run.workspace.trusted_dir),
        str(sandbox_settings.storage.data_dir),
        str(REPO / "tests"),
        str(host_only),
        "/root/.bash_history",
        "/var/run/docker.sock",
        "/run/docker.sock",
        "/var/lib/docker",
        "/home",
    ]
    session = run.session()
    try:
        seen = session.call("report", secrets, server.getsockname()[1])
    finally:
        session.close()
        server.close()

    assert seen["uid"] != 0 and seen["euid"] != 0 and seen["gid"] != 0 and 0 not in seen["groups"]
    if run.uid is not None:
        assert seen["uid"] == run.uid
    assert seen["cap_eff"] == "0000000000000000" and not seen["cap_bnd_nonzero"]
    assert seen["no_new_privs"] == "1"
    assert seen["interfaces"] == ["lo"]
    assert seen["loopback"] != "connected", "the host's loopback is reachable"
    assert seen["internet"] != "connected"
    visible = [p for p, exists in seen["visible"].items() if exists and p != "/home"]
    assert not visible, f"host paths visible in the sandbox: {visible}"
    assert seen["read_shadow"] != "ok"
    assert seen["write_root"] != "ok" and seen["write_usr"] != "ok", "the root file system is writable"
    assert seen["write_work"] != "ok", "the work dir is writable"
    assert seen["write_tmp"] == "ok" and seen["write_home"] == "ok"
    assert seen["read_solution"] == "# the submission\n"
    assert seen["tmp_bytes"] <= (policy.scratch_mb << 20) * 1.05
    assert seen["nofile"] == policy.open_files
    assert seen["fsize"] == policy.file_size_mb << 20
    assert seen["core"] == 0
    assert "JUDGE_PROBE_CANARY" not in seen["env"] and not any(k.startswith("JUDGE_") for k in seen["env"])
    host = {n: os.readlink(f"/proc/self/ns/{n}") for n in seen["namespaces"]}
    shared = [n for n, ns in seen["namespaces"].items() if ns == host[n]]
    assert not shared, f"namespaces shared with the host: {shared}"
    # Its own pid namespace: nothing of the host's processes, only the sandbox's few.
    assert len(seen["processes"]) <= 8 and os.getpid() not in seen["processes"], seen["processes"]


SLEEPER = """
import signal, time

def hang(solution):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(3600)

def hog(solution, megabytes):
    chunks = []
    for _ in range(megabytes):
        chunks.append(bytearray(1 << 20))  # touched: bytearray zero-fills
    return len(chunks)
"""


def test_memory_limit_kills_and_is_reported(isolating, prepared):
    run = prepared(isolating, SLEEPER, memory_mb=400)
    session = run.session()
    try:
        with pytest.raises(CandidateFault) as fault:
            session.call("hog", 2000)
    finally:
        session.close()
    assert fault.value.kind == "memory", fault.value.message
    assert session.memory_hit


def _containers(sandbox: DockerSandbox, label: str) -> list[str]:
    listing = docker_call(sandbox.settings, "ps", "--all", "--quiet", "--filter", f"label={label}")
    return listing.stdout.split()


def test_check_timeout_kills_a_process_ignoring_signals(isolating, prepared):
    run = prepared(isolating, SLEEPER)
    run.config.check_timeout_s = 3
    session = run.session()
    try:
        session.begin_check()
        start = time.monotonic()
        with pytest.raises(CandidateFault) as fault:
            session.call("hang")
        assert fault.value.kind == "timeout"
        assert time.monotonic() - start < 3 + 15
        if isinstance(isolating, DockerSandbox):
            assert not _containers(isolating, f"judge.run={run.config.launcher.run_id}"), (
                "the container outlived its deadline"
            )
        if run.uid is not None:
            from judge.harness import isolation

            assert not isolation.processes_of_uid(run.uid)
    finally:
        session.close()


def test_wall_limit_removes_the_runs_containers(docker_sandbox, sandbox_settings):
    from tests.conftest import grade_ref

    source = "import time\nwhile True:\n    time.sleep(1)\n"
    settings = sandbox_settings.model_copy(
        update={"limits": sandbox_settings.limits.model_copy(update={"max_wall_timeout_s": 5.0})}
    )
    start = time.monotonic()
    result = grade_ref("vae-mnist", source.encode(), settings, docker_sandbox)
    assert result.verdict == "time_limit"
    assert time.monotonic() - start < 5 + 30 + 30
    assert not _containers(docker_sandbox, f"{reaper.OWNER_LABEL}={docker_sandbox.owner}"), (
        "containers outlived the run"
    )


def test_wall_limit_kills_the_runner_and_its_containers(docker_sandbox, prepared):
    """The host gives up on the runner itself (a probe hangs past the wall limit): containers go too."""
    run = prepared(docker_sandbox, SLEEPER)
    for path in run.workspace.checks_dir.glob("test_*.py"):
        path.unlink()
    (run.workspace.checks_dir / "test_hang.py").write_text(
        "def test_encode_shapes(candidate):\n    candidate.call('hang')\n"
    )
    # The runner's own deadlines are far away: only the host's wall-clock limit can end this run.
    config = run.raw_job.config.model_copy(
        update={"check_timeout_s": 300.0, "run_timeout_s": 300.0, "check_ids": ["encode_shapes"]}
    )
    job = run.raw_job.model_copy(update={"config": config, "wall_timeout_s": 10.0})
    start = time.monotonic()
    outcome = docker_sandbox.run(job)
    assert outcome.timed_out and not outcome.finished
    assert time.monotonic() - start < 10 + 30
    assert not _containers(docker_sandbox, f"{reaper.OWNER_LABEL}={docker_sandbox.owner}"), (
        "containers outlived the runner"
    )

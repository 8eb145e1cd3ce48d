"""The engine module: the SDK's errors become the judge's, and containers behave as processes."""

from __future__ import annotations

import dataclasses
import secrets
import subprocess

import docker.errors
import pytest
import requests.exceptions
import urllib3.exceptions

from judge.errors import SandboxFault, SandboxUnavailable
from judge.sandbox import reaper
from judge.sandbox.engine import LOST_EXIT, ContainerSpec, Engine, _timed_out, describe, engine_errors
from judge.settings import Settings
from tests.sandbox.conftest import docker_call

# -- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raised",
    [
        docker.errors.NotFound("404 Client Error", explanation="No such container: judge-x-1"),
        docker.errors.APIError("500 Server Error", explanation="cannot kill container: permission denied"),
        docker.errors.ImageNotFound("404 Client Error", explanation="No such image: judge-sandbox:gone"),
        docker.errors.DockerException("Error while fetching server API version"),
        requests.exceptions.ConnectionError("Connection aborted."),
        requests.exceptions.ReadTimeout("Read timed out."),
        urllib3.exceptions.ProtocolError("Connection broken"),
    ],
)
def test_every_sdk_error_becomes_a_sandbox_fault_during_a_run(raised):
    with pytest.raises(SandboxFault) as caught:
        with engine_errors("killing judge-x-1"):
            raise raised
    assert str(caught.value).startswith("docker: killing judge-x-1: ")
    assert caught.value.__cause__ is raised


def test_at_start_up_the_same_errors_make_the_backend_unavailable():
    with pytest.raises(SandboxUnavailable, match="docker: docker info: Connection aborted"):
        with engine_errors("docker info", SandboxUnavailable):
            raise requests.exceptions.ConnectionError("Connection aborted.")


def test_other_errors_are_not_the_engines():
    with pytest.raises(KeyError):
        with engine_errors("inspecting"):
            raise KeyError("State")


def test_the_engines_own_explanation_is_the_reason():
    error = docker.errors.APIError(
        "409 Client Error for http+docker://localhost/v1.41/...",
        explanation="Conflict. The container name is already in use",
    )
    assert describe(error) == "Conflict. The container name is already in use"
    assert describe(docker.errors.DockerException("first line\nsecond")) == "first line"


def test_read_timeouts_are_told_apart_from_broken_connections():
    assert _timed_out(requests.exceptions.ReadTimeout("late"))
    assert _timed_out(
        requests.exceptions.ConnectionError(urllib3.exceptions.ReadTimeoutError(None, "/wait", "Read timed out."))
    )
    assert not _timed_out(requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.")))


def test_no_engine_at_the_address_is_unavailable():
    with pytest.raises(SandboxUnavailable, match="no Docker engine answers at unix:///nonexistent/docker.sock"):
        Engine(Settings(sandbox={"docker_host": "unix:///nonexistent/docker.sock"}))


# -- a real engine ------------------------------------------------------------------------------


def _spec(sandbox_settings: Settings, command: list[str], memory_mb: int = 256) -> ContainerSpec:
    run_id = secrets.token_hex(6)
    return ContainerSpec(
        name=f"judge-{run_id}-1",
        image=sandbox_settings.sandbox.docker_image,
        command=command,
        user="10002:10002",
        labels={reaper.SANDBOX_LABEL: "1", reaper.RUN_LABEL: run_id, reaper.OWNER_LABEL: reaper.owner_token()},
        environment={"PATH": "/opt/judge/venv/bin:/usr/bin:/bin"},
        working_dir="/tmp",
        memory_mb=memory_mb,
        cpus=1.0,
        cpu_shares=1024,
        pids=32,
        tmpfs={"/tmp": "rw,nosuid,nodev,size=16m,mode=1777"},
        ulimits={"nofile": 64, "core": 0},
    )


@pytest.fixture
def engine(docker_sandbox) -> Engine:
    return docker_sandbox.engine


def test_a_container_is_a_process_with_pipes(engine, sandbox_settings):
    process = engine.start(_spec(sandbox_settings, ["sh", "-c", "cat; echo to-stderr >&2; exit 3"]))
    try:
        assert process.poll() is None and process.pid
        process.stdin.write(b"request\n" * 10_000)
        process.stdin.close()
        assert process.stdout.read() == b"request\n" * 10_000
        assert process.stderr.read() == b"to-stderr\n"
        assert process.wait(timeout=30) == 3 and process.poll() == 3
    finally:
        assert process.destroy() is False
    assert docker_call(sandbox_settings, "inspect", process.id).returncode != 0, "destroy removes the container"


def test_wait_times_out_like_popen_and_destroy_kills(engine, sandbox_settings):
    process = engine.start(_spec(sandbox_settings, ["sleep", "300"]))
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=0.5)
        assert process.poll() is None
    finally:
        process.destroy()
    assert process.returncode == 137


def test_a_container_killed_for_memory_says_so(engine, sandbox_settings):
    hog = "x = bytearray(200 << 20)\nimport time\ntime.sleep(60)\n"
    process = engine.start(_spec(sandbox_settings, ["python", "-c", hog], memory_mb=64))
    try:
        process.wait(timeout=60)
    finally:
        assert process.destroy() is True


def test_engine_failures_during_a_run_are_faults(engine, sandbox_settings):
    with pytest.raises(SandboxFault, match="creating judge-.*No such image"):
        engine.start(
            _spec(
                sandbox_settings.model_copy(
                    update={
                        "sandbox": sandbox_settings.sandbox.model_copy(
                            update={"docker_image": "judge-sandbox:no-such-tag"}
                        )
                    }
                ),
                ["true"],
            )
        )
    with pytest.raises(SandboxFault, match="updating judge-nonexistent-1"):
        engine.update("judge-nonexistent-1", memory_mb=100)
    # Ending what is already gone is no failure.
    engine.kill("judge-nonexistent-1")
    engine.remove("judge-nonexistent-1")
    assert engine.state("judge-nonexistent-1") is None and engine.wait("judge-nonexistent-1", 0) == LOST_EXIT
    assert engine.image_labels("judge-sandbox:no-such-tag") is None


def test_a_failed_start_leaves_no_container(engine, sandbox_settings):
    # The engine takes a tmpfs size it cannot mount; the runtime refuses it only at start.
    spec = dataclasses.replace(_spec(sandbox_settings, ["true"]), tmpfs={"/tmp": "size=bogus"})
    with pytest.raises(SandboxFault, match="starting"):
        engine.start(spec)
    assert not engine.containers(f"{reaper.RUN_LABEL}={spec.labels[reaper.RUN_LABEL]}")


def test_import_and_build_through_the_api(engine, tmp_path):
    """A root file system imported as an image, then built on with build arguments and labels,
    offline (no RUN step: nothing starts a container)."""
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    (rootfs / "etc" / "marker").write_text("imported\n")
    base = f"judge-test-import:{secrets.token_hex(4)}"
    built = f"judge-test-build:{secrets.token_hex(4)}"
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    try:
        engine.import_image(tar.stdout, base, changes=["ENV LANG=C.UTF-8"])
        tar.stdout.close()
        assert tar.wait() == 0 and engine.image_labels(base) == {}
        context = tmp_path / "context"
        context.mkdir()
        (context / "Dockerfile").write_text(f"FROM {base}\nARG WHO=nobody\nLABEL built.for=${{WHO}}\n")
        lines: list[str] = []
        engine.build(
            str(context), built, {"WHO": "the-test"}, {"judge.test": "yes"}, offline=True, log_line=lines.append
        )
        assert engine.image_labels(built) == {"built.for": "the-test", "judge.test": "yes"}
        assert any(line.startswith("Step 1/") for line in lines), lines
        (context / "Dockerfile").write_text(f"FROM {base}\nNOT-AN-INSTRUCTION\n")
        with pytest.raises(SandboxFault, match=f"building {built}"):
            engine.build(str(context), built, {}, {}, offline=True, log_line=lines.append)
    finally:
        for image in (built, base):
            docker_call(Settings(sandbox={"docker_host": engine.host}), "image", "rm", "--force", image)

"""The docker backend: every limit of the run policy in the container the engine is asked to create,
and the backend end to end."""

from __future__ import annotations

import json

import docker.types
import pytest

from judge.errors import SandboxUnavailable
from judge.harness.isolation import IsolationPolicy
from judge.harness.launcher import DockerLauncherSpec
from judge.harness.session import RunnerConfig
from judge.sandbox import reaper
from judge.sandbox.docker import DockerSandbox, candidate_container
from judge.sandbox.engine import Engine, engine_status
from judge.settings import Settings
from tests.environment import Environment
from tests.sandbox.conftest import docker_call, docker_cli, sandbox_or_skip

POLICY = IsolationPolicy(memory_mb=700, pids=48, open_files=200, file_size_mb=32, cpu_s=90, scratch_mb=128)


def _container(**spec_fields):
    spec = DockerLauncherSpec(
        image="judge-sandbox:test",
        run_id="abc123",
        cpus=1.5,
        lifetime_s=200,
        labels={"judge.owner": "me"},
        **spec_fields,
    )
    config = RunnerConfig(
        checks_dir="/x/trusted/checks",
        ini_path="/x/trusted/pytest.ini",
        probes_path="/x/trusted/probes.py",
        candidate_dir="/x/candidate",
        entrypoint="solution.py",
        check_ids=["a"],
        check_timeout_s=5,
        run_timeout_s=60,
        policy=POLICY,
    )
    return candidate_container(spec, config, launch_number=2)


def test_run_policy_maps_to_the_containers_create_request():
    container = _container()
    create = container.create_arguments()
    # What the engine receives: the SDK's HostConfig as it is sent (API 1.41, the oldest engine here).
    host = docker.types.HostConfig(version="1.41", **container.host_config())
    assert create["stdin_open"] is True and create["tty"] is False
    assert host["NetworkMode"] == "none"
    assert host["Memory"] == host["MemorySwap"] == 700 << 20
    assert host["NanoCpus"] == 1_500_000_000 and host["CpuShares"] == 1024
    assert host["PidsLimit"] == 48
    assert host["ReadonlyRootfs"] is True
    assert host["Tmpfs"]["/tmp"].startswith("rw,nosuid,nodev,") and "size=128m" in host["Tmpfs"]["/tmp"]
    home = host["Tmpfs"]["/home/candidate"]
    assert "size=128m" in home and "uid=10002" in home and "gid=10002" in home
    assert host["ShmSize"] == 64 << 20
    ulimits = {u["Name"]: (u["Soft"], u["Hard"]) for u in host["Ulimits"]}
    assert ulimits == {"nofile": (200, 200), "fsize": (32 << 20, 32 << 20), "core": (0, 0), "cpu": (90, 90)}
    assert host["CapDrop"] == ["ALL"] and "CapAdd" not in host and not host.get("Privileged")
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["IpcMode"] == "private" and host["Init"] is True
    assert host["LogConfig"]["Type"] == "none"
    assert create["user"] == "10002:10002"
    assert create["name"] == "judge-abc123-2"
    assert create["labels"] == {"judge.owner": "me", "judge.sandbox": "1", "judge.run": "abc123"}
    # Nothing of the host but the work dir, read-only; never the engine's socket.
    assert host["Mounts"] == [{"Target": "/work", "Source": "/x/candidate", "Type": "bind", "ReadOnly": True}]
    assert "Binds" not in host and "docker.sock" not in json.dumps([host, create])
    assert create["working_dir"] == "/work"
    env = create["environment"]
    assert env["HOME"] == "/home/candidate" and env["TMPDIR"] == "/tmp"
    command = create["command"]
    assert command[:3] == ["timeout", "--signal=KILL", "200"]
    assert command[3:7] == ["/opt/judge/venv/bin/python", "-I", "-m", "judge.harness.candidate"]
    sent = IsolationPolicy.model_validate_json(command[7])
    assert sent.memory_mb == 700 and sent.uid is None


def test_spec_refuses_root_and_odd_run_ids():
    with pytest.raises(ValueError):
        DockerLauncherSpec(image="i", run_id="abc", lifetime_s=1, user="0:0")
    with pytest.raises(ValueError):
        DockerLauncherSpec(image="i", run_id="../x", lifetime_s=1)


def test_docker_host_setting_names_the_engine():
    with pytest.raises(SandboxUnavailable, match="unix:///elsewhere.sock"):
        Engine(Settings(sandbox={"docker_host": "unix:///elsewhere.sock"}))


def test_unreachable_engine_is_unavailable_with_a_reason():
    settings = Settings(sandbox={"docker_host": "unix:///nonexistent/docker.sock"})
    status = engine_status(settings)
    assert not status.ok and "no Docker engine answers at unix:///nonexistent/docker.sock" in status.detail
    with pytest.raises(SandboxUnavailable, match="docker"):
        DockerSandbox(settings)


def test_missing_engine_skips_outside_ci_and_fails_in_ci():
    settings = Settings(sandbox={"docker_host": "unix:///nonexistent/docker.sock"})
    with pytest.raises(pytest.skip.Exception):
        sandbox_or_skip("docker", settings, Environment(require_docker=False, ci=False))
    with pytest.raises(pytest.fail.Exception):
        sandbox_or_skip("docker", settings, Environment(require_docker=False, ci=True))


def test_ci_variable_means_docker_is_required(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert Environment().docker_required
    monkeypatch.setenv("CI", "false")
    assert not Environment().docker_required
    monkeypatch.setenv("JUDGE_REQUIRE_DOCKER", "1")
    assert Environment().docker_required


def test_missing_image_is_unavailable(docker_sandbox, sandbox_settings):
    settings = sandbox_settings.model_copy(
        update={"sandbox": sandbox_settings.sandbox.model_copy(update={"docker_image": "judge-sandbox:no-such-tag"})}
    )
    with pytest.raises(SandboxUnavailable, match="does not exist"):
        DockerSandbox(settings)


def test_image_users_are_unprivileged(docker_sandbox, sandbox_settings):
    out = docker_call(
        sandbox_settings, "image", "inspect", "--format", "{{json .Config}}", sandbox_settings.sandbox.docker_image
    )
    config = json.loads(out.stdout)
    assert config["User"] == f"{docker_sandbox.candidate_uid}:{docker_sandbox.candidate_uid}"
    passwd = docker_call(
        sandbox_settings,
        "run",
        "--rm",
        "--network",
        "none",
        sandbox_settings.sandbox.docker_image,
        "cat",
        "/etc/passwd",
    )
    users = {line.split(":")[0]: line.split(":")[2] for line in passwd.stdout.splitlines()}
    assert users["candidate"] == str(docker_sandbox.candidate_uid) and users["checker"] not in ("0", users["candidate"])


def test_image_holds_the_harness_and_not_the_service(docker_sandbox, sandbox_settings):
    script = (
        "import importlib.util as u, torch, numpy, pytest, judge.harness.candidate\n"
        "print(torch.__version__, [m for m in ('fastapi', 'celery', 'sqlalchemy', 'redis') if u.find_spec(m)])"
    )
    out = docker_call(
        sandbox_settings,
        "run",
        "--rm",
        "--network",
        "none",
        sandbox_settings.sandbox.docker_image,
        "python",
        "-I",
        "-c",
        script,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(" ", 1) == ["2.13.0+cpu", "[]\n"]


def test_creating_the_backend_reaps_a_dead_judges_containers(docker_sandbox, sandbox_settings):
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    dead_owner = reaper.owner_token(child.pid).rsplit("/", 1)[0] + "/1"  # that pid, a start time it never had
    made = docker_call(
        sandbox_settings,
        "create",
        "--label",
        "judge.sandbox=1",
        "--label",
        "judge.run=leftover",
        "--label",
        f"judge.owner={dead_owner}",
        "--network",
        "none",
        sandbox_settings.sandbox.docker_image,
        "true",
    )
    assert made.returncode == 0, made.stderr
    leftover = made.stdout.strip()
    DockerSandbox(sandbox_settings)
    assert docker_call(sandbox_settings, "inspect", leftover).returncode != 0, "the leftover survived start-up"


@pytest.mark.slow
def test_reference_gets_full_marks_like_the_process_backend(docker_sandbox, grade, sandbox_settings):
    from tests.conftest import PROBLEMS, grade_ref

    source = (PROBLEMS / "vae-mnist" / "solution.py").read_bytes()
    in_docker = grade_ref("vae-mnist", source, sandbox_settings, docker_sandbox)
    local = grade("vae-mnist", source)
    assert in_docker.score == in_docker.max_score
    assert [(c.id, c.outcome, c.points) for c in in_docker.checks] == [
        (c.id, c.outcome, c.points) for c in local.checks
    ]


@pytest.mark.slow
def test_a_problem_runs_in_its_own_image_when_settings_name_one(docker_sandbox, sandbox_settings, tmp_path):
    import os
    import subprocess

    from tests.conftest import grade_ref
    from tests.problem_factory import make_problem

    # An image FROM the runner image (so with the same harness) holding one more file, built offline.
    tag = "judge-sandbox:test-problem-image"
    context = tmp_path / "image"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {sandbox_settings.sandbox.docker_image}\nUSER root\nRUN echo extra-package > /opt/marker\n"
    )
    built = subprocess.run(
        [*docker_cli(sandbox_settings), "build", "--network", "none", "--tag", tag, str(context)],
        env=dict(os.environ, DOCKER_BUILDKIT="0"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    try:
        problems = tmp_path / "problems"
        make_problem(problems, check_timeout_s=30, run_timeout_s=120)
        source = b'with open("/opt/marker") as f:\n    assert f.read() == "extra-package\\n"\n\ndef add(a, b):\n    return a + b\n'
        plain = sandbox_settings.model_copy(
            update={"problems": sandbox_settings.problems.model_copy(update={"dirs": [problems]})}
        )
        own = plain.model_copy(
            update={"sandbox": plain.sandbox.model_copy(update={"docker_problem_images": {"tiny-add": tag}})}
        )
        sandbox = DockerSandbox(own, reap=False)
        assert sandbox.image_for("tiny-add") == tag and sandbox.image_for("vae-mnist") == own.sandbox.docker_image
        in_own = grade_ref("tiny-add", source, own, sandbox)
        assert in_own.score == in_own.max_score == 4, in_own
        in_default = grade_ref("tiny-add", source, plain, DockerSandbox(plain, reap=False))
        assert in_default.score == 0 and in_default.verdict == "runtime_error", in_default
        # A per-problem image that is missing or stale stops the backend at start, with the reason.
        with pytest.raises(SandboxUnavailable, match="does not exist"):
            DockerSandbox(
                plain.model_copy(
                    update={
                        "sandbox": plain.sandbox.model_copy(
                            update={"docker_problem_images": {"tiny-add": "judge-sandbox:no-such-tag"}}
                        )
                    }
                ),
                reap=False,
            )
    finally:
        docker_call(sandbox_settings, "image", "rm", "--force", tag)

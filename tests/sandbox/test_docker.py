"""The docker backend: every limit of the run policy as a `docker run` flag, and the backend end to end."""

from __future__ import annotations

import json

import pytest

from judge.errors import SandboxUnavailable
from judge.harness.isolation import IsolationPolicy
from judge.harness.launcher import DockerLauncherSpec, docker_call, docker_run_argv
from judge.harness.session import RunnerConfig
from judge.sandbox import reaper
from judge.sandbox.docker import DockerSandbox, docker_cli, engine_status
from judge.settings import Settings
from tests.sandbox.conftest import sandbox_or_skip

POLICY = IsolationPolicy(memory_mb=700, pids=48, open_files=200, file_size_mb=32, cpu_s=90, scratch_mb=128)


def _argv(**spec_fields) -> list[str]:
    spec = DockerLauncherSpec(image="judge-sandbox:test", run_id="abc123", cpus=1.5, lifetime_s=200, labels={"judge.owner": "me"}, **spec_fields)
    config = RunnerConfig(
        checks_dir="/x/trusted/checks", ini_path="/x/trusted/pytest.ini", probes_path="/x/trusted/probes.py",
        candidate_dir="/x/candidate", entrypoint="solution.py", check_ids=["a"], check_timeout_s=5, run_timeout_s=60,
        policy=POLICY,
    )
    return docker_run_argv(spec, config, attempt=2)


def _flag_values(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, word in enumerate(argv[:-1]) if word == flag]


def test_run_policy_maps_to_docker_flags():
    argv = _argv()
    image_at = argv.index("judge-sandbox:test")
    options, command = argv[:image_at], argv[image_at + 1 :]
    assert options[:3] == ["docker", "run", "-i"] and "-t" not in options and "--tty" not in options
    assert _flag_values(options, "--network") == ["none"]
    assert _flag_values(options, "--memory") == ["700m"] and _flag_values(options, "--memory-swap") == ["700m"]
    assert _flag_values(options, "--cpus") == ["1.5"]
    assert _flag_values(options, "--pids-limit") == ["48"]
    assert "--read-only" in options
    tmpfs = _flag_values(options, "--tmpfs")
    assert any(t.startswith("/tmp:") and "size=128m" in t for t in tmpfs)
    assert any(t.startswith("/home/candidate:") and "size=128m" in t and "uid=10002" in t for t in tmpfs)
    assert set(_flag_values(options, "--ulimit")) == {"nofile=200:200", f"fsize={32 << 20}:{32 << 20}", "core=0:0", "cpu=90:90"}
    assert _flag_values(options, "--cap-drop") == ["ALL"] and "--cap-add" not in options
    assert _flag_values(options, "--security-opt") == ["no-new-privileges"]
    assert _flag_values(options, "--user") == ["10002:10002"]
    assert "--privileged" not in options
    assert _flag_values(options, "--log-driver") == ["none"]
    assert _flag_values(options, "--name") == ["judge-abc123-2"]
    assert set(_flag_values(options, "--label")) == {"judge.owner=me", "judge.sandbox=1", "judge.run=abc123"}
    # Nothing of the host but the work dir, read-only; never the engine's socket.
    assert _flag_values(options, "--mount") == ["type=bind,source=/x/candidate,target=/work,readonly"]
    assert "-v" not in options and "--volume" not in options and "docker.sock" not in " ".join(argv)
    env = dict(e.split("=", 1) for e in _flag_values(options, "--env"))
    assert env["HOME"] == "/home/candidate" and env["TMPDIR"] == "/tmp"
    assert command[:3] == ["timeout", "--signal=KILL", "200"]
    assert command[3:7] == ["/opt/judge/venv/bin/python", "-I", "-m", "judge.harness.candidate"]
    sent = IsolationPolicy.model_validate_json(command[7])
    assert sent.memory_mb == 700 and sent.uid is None


def test_spec_refuses_root_and_odd_run_ids():
    with pytest.raises(ValueError):
        DockerLauncherSpec(image="i", run_id="abc", lifetime_s=1, user="0:0")
    with pytest.raises(ValueError):
        DockerLauncherSpec(image="i", run_id="../x", lifetime_s=1)


def test_docker_host_setting_reaches_the_cli():
    assert docker_cli(Settings(docker_host="unix:///elsewhere.sock")) == ["docker", "--host", "unix:///elsewhere.sock"]
    assert docker_cli(Settings()) == ["docker"]


def test_unreachable_engine_is_unavailable_with_a_reason():
    settings = Settings(docker_host="unix:///nonexistent/docker.sock")
    assert not engine_status(docker_cli(settings)).ok
    with pytest.raises(SandboxUnavailable, match="docker"):
        DockerSandbox(settings)


def test_missing_engine_skips_outside_ci_and_fails_in_ci():
    outside = Settings(docker_host="unix:///nonexistent/docker.sock", require_docker=False, _env_file=None)
    outside = outside.model_copy(update={"ci": False})
    with pytest.raises(pytest.skip.Exception):
        sandbox_or_skip("docker", outside)
    ci = outside.model_copy(update={"ci": True})
    with pytest.raises(pytest.fail.Exception):
        sandbox_or_skip("docker", ci)


def test_ci_variable_means_docker_is_required(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert Settings().docker_required
    monkeypatch.setenv("CI", "false")
    assert not Settings().docker_required
    monkeypatch.setenv("JUDGE_REQUIRE_DOCKER", "1")
    assert Settings().docker_required


def test_missing_image_is_unavailable(docker_sandbox, sandbox_settings):
    settings = sandbox_settings.model_copy(update={"docker_image": "judge-sandbox:no-such-tag"})
    with pytest.raises(SandboxUnavailable, match="does not exist"):
        DockerSandbox(settings)


def test_image_users_are_unprivileged(docker_sandbox, sandbox_settings):
    out = docker_call(docker_sandbox.docker, "image", "inspect", "--format", "{{json .Config}}", sandbox_settings.docker_image)
    config = json.loads(out.stdout)
    assert config["User"] == f"{docker_sandbox.candidate_uid}:{docker_sandbox.candidate_uid}"
    passwd = docker_call(docker_sandbox.docker, "run", "--rm", "--network", "none", sandbox_settings.docker_image, "cat", "/etc/passwd")
    users = {line.split(":")[0]: line.split(":")[2] for line in passwd.stdout.splitlines()}
    assert users["candidate"] == str(docker_sandbox.candidate_uid) and users["checker"] not in ("0", users["candidate"])


def test_image_holds_the_harness_and_not_the_service(docker_sandbox, sandbox_settings):
    script = (
        "import importlib.util as u, torch, numpy, pytest, judge.harness.candidate\n"
        "print(torch.__version__, [m for m in ('fastapi', 'celery', 'sqlalchemy', 'redis') if u.find_spec(m)])"
    )
    out = docker_call(docker_sandbox.docker, "run", "--rm", "--network", "none", sandbox_settings.docker_image, "python", "-I", "-c", script)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(" ", 1) == ["2.13.0+cpu", "[]\n"]


def test_creating_the_backend_reaps_a_dead_judges_containers(docker_sandbox, sandbox_settings):
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    dead_owner = reaper.owner_token(child.pid).rsplit("/", 1)[0] + "/1"  # that pid, a start time it never had
    made = docker_call(
        docker_sandbox.docker, "create", "--label", "judge.sandbox=1", "--label", "judge.run=leftover",
        "--label", f"judge.owner={dead_owner}", "--network", "none", sandbox_settings.docker_image, "true",
    )
    assert made.returncode == 0, made.stderr
    leftover = made.stdout.strip()
    DockerSandbox(sandbox_settings)
    assert docker_call(docker_sandbox.docker, "inspect", leftover).returncode != 0, "the leftover survived start-up"


@pytest.mark.slow
def test_reference_gets_full_marks_like_the_process_backend(docker_sandbox, grade, sandbox_settings):
    from judge.grading import grade_submission
    from tests.conftest import PROBLEMS

    source = (PROBLEMS / "vae-mnist" / "solution.py").read_bytes()
    in_docker = grade_submission("vae-mnist", source, sandbox_settings, docker_sandbox)
    local = grade("vae-mnist", source)
    assert in_docker.score == in_docker.max_score
    assert [(c.id, c.outcome, c.points) for c in in_docker.checks] == [(c.id, c.outcome, c.points) for c in local.checks]


@pytest.mark.slow
def test_a_problem_runs_in_its_own_image_when_settings_name_one(docker_sandbox, sandbox_settings, tmp_path):
    import os
    import subprocess

    from judge.grading import grade_submission
    from tests.problem_factory import make_problem

    # An image FROM the runner image (so with the same harness) holding one more file, built offline.
    tag = "judge-sandbox:test-problem-image"
    context = tmp_path / "image"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {sandbox_settings.docker_image}\nUSER root\nRUN echo extra-package > /opt/marker\n")
    built = subprocess.run(
        [*docker_sandbox.docker, "build", "--network", "none", "--tag", tag, str(context)],
        env=dict(os.environ, DOCKER_BUILDKIT="0"), capture_output=True, text=True, timeout=300,
    )
    assert built.returncode == 0, built.stderr
    try:
        problems = tmp_path / "problems"
        make_problem(problems, check_timeout_s=30, run_timeout_s=120)
        source = b'with open("/opt/marker") as f:\n    assert f.read() == "extra-package\\n"\n\ndef add(a, b):\n    return a + b\n'
        plain = sandbox_settings.model_copy(update={"problems_dirs": [problems]})
        own = plain.model_copy(update={"docker_problem_images": {"tiny-add": tag}})
        sandbox = DockerSandbox(own, reap=False)
        assert sandbox.image_for("tiny-add") == tag and sandbox.image_for("vae-mnist") == own.docker_image
        in_own = grade_submission("tiny-add", source, own, sandbox)
        assert in_own.score == in_own.max_score == 4, in_own
        in_default = grade_submission("tiny-add", source, plain, DockerSandbox(plain, reap=False))
        assert in_default.score == 0 and in_default.verdict == "runtime_error", in_default
        # A per-problem image that is missing or stale stops the backend at start, with the reason.
        with pytest.raises(SandboxUnavailable, match="does not exist"):
            DockerSandbox(plain.model_copy(update={"docker_problem_images": {"tiny-add": "judge-sandbox:no-such-tag"}}), reap=False)
    finally:
        docker_call(docker_sandbox.docker, "image", "rm", "--force", tag)

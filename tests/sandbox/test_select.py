"""Choosing a backend by who asks: the service never falls back to process, the CLI does with a warning."""

from __future__ import annotations

import pytest

from judge.errors import SandboxUnavailable
from judge.sandbox import select
from judge.sandbox.base import Sandbox
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings

NO_DOCKER_HOST = "unix:///nonexistent/docker.sock"
NO_BWRAP_PATH = "/nonexistent/bwrap"


class Available(Sandbox):
    """A backend standing in for docker or bwrap where they work."""

    drops_privileges = False

    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, job, on_event=None):  # pragma: no cover - selection never runs a job
        raise AssertionError("not run in these tests")


@pytest.fixture
def machine(monkeypatch):
    """machine(*working) makes only the named backends (process always) constructible, the others say why not."""

    real = select.make_backend

    def only(*working: str) -> None:
        def make(name: str, settings: Settings) -> Sandbox:
            if name == "process":
                return real(name, settings)
            if name not in select.BACKENDS:
                raise SandboxUnavailable(f"unknown sandbox {name!r}")
            if name not in working:
                raise SandboxUnavailable(f"{name}: {name} is broken here\nsecond line")
            return Available(name)

        monkeypatch.setattr(select, "make_backend", make)

    return only


@pytest.mark.parametrize("requester", ["service", "cli"])
@pytest.mark.parametrize(("working", "expected"), [(("docker", "bwrap"), "docker"), (("bwrap",), "bwrap")])
def test_auto_takes_docker_then_bwrap_for_everyone(machine, requester, working, expected):
    machine(*working)
    choice = select.choose(Settings(), requester)
    assert choice.sandbox.name == expected and choice.warning is None
    assert [name for name, _ in choice.passed_over] == (["docker"] if expected == "bwrap" else [])


def test_the_service_refuses_to_start_without_a_containing_backend(machine):
    machine()
    with pytest.raises(SandboxUnavailable) as raised:
        select.choose(Settings(), "service")
    message = str(raised.value)
    assert "\n" not in message
    assert "docker: docker is broken here second line; bwrap: bwrap is broken here" in message
    assert (
        "sandbox/setup-docker.sh" in message and "--sandbox process" in message and "JUDGE_SANDBOX=process" in message
    )
    with pytest.raises(SandboxUnavailable, match="no sandbox that contains candidate code"):
        select.choose_sandbox(Settings())


def test_the_cli_falls_back_to_process_with_a_warning_that_says_why(machine):
    machine()
    choice = select.choose(Settings(), "cli")
    assert isinstance(choice.sandbox, ProcessSandbox)
    assert [name for name, _ in choice.passed_over] == ["docker", "bwrap"]
    assert "grade only code you trust" in choice.warning and "docker: docker is broken here" in choice.warning
    assert "\n" not in choice.warning


@pytest.mark.parametrize("requester", ["service", "cli"])
def test_process_by_name_is_allowed_and_flagged_trusted_code_only(machine, requester):
    machine("docker", "bwrap")
    for choice in (
        select.choose(Settings(), requester, "process"),
        select.choose(Settings(sandbox={"backend": "process"}), requester),
    ):
        assert choice.sandbox.name == "process" and choice.warning == select.TRUSTED_CODE_ONLY
        assert select.trusted_code_only(choice.sandbox)
    assert select.choose_sandbox(Settings(sandbox={"backend": "process"})).name == "process"


def test_a_named_backend_is_used_as_named_or_refused(machine):
    machine("bwrap")
    assert select.choose(Settings(sandbox={"backend": "bwrap"}), "service").sandbox.name == "bwrap"
    with pytest.raises(SandboxUnavailable, match="docker is broken"):
        select.choose(Settings(), "cli", "docker")


def test_unknown_backend_is_refused():
    with pytest.raises(SandboxUnavailable, match="unknown sandbox"):
        select.choose_sandbox(Settings(), "chroot")


def test_real_backends_that_cannot_run_say_why():
    with pytest.raises(SandboxUnavailable, match="docker"):
        select.choose_sandbox(Settings(sandbox={"docker_host": NO_DOCKER_HOST}), "docker")
    with pytest.raises(SandboxUnavailable, match="bwrap"):
        select.choose_sandbox(Settings(sandbox={"bwrap_path": NO_BWRAP_PATH}), "bwrap")
    with pytest.raises(SandboxUnavailable, match="docker: .*; bwrap: /nonexistent/bwrap is not installed"):
        select.choose_sandbox(Settings(sandbox={"docker_host": NO_DOCKER_HOST, "bwrap_path": NO_BWRAP_PATH}))
    assert (
        select.choose(
            Settings(sandbox={"docker_host": NO_DOCKER_HOST, "bwrap_path": NO_BWRAP_PATH}), "cli"
        ).sandbox.name
        == "process"
    )

"""Choosing a backend: by name, or `auto` (docker, else bwrap, else process with a warning)."""

from __future__ import annotations

import pytest

from judge import cli
from judge.errors import SandboxUnavailable
from judge.harness import isolation
from judge.sandbox import select
from judge.sandbox.bwrap import BwrapSandbox, trial
from judge.sandbox.process import WARNING, ProcessSandbox
from judge.settings import Settings

NO_DOCKER = {"docker_host": "unix:///nonexistent/docker.sock"}
NO_BWRAP = {"bwrap_path": "/nonexistent/bwrap"}


def test_unknown_backend_is_refused():
    with pytest.raises(SandboxUnavailable, match="unknown sandbox"):
        select.choose_sandbox(Settings(), "chroot")


def test_named_backend_that_cannot_run_says_why():
    with pytest.raises(SandboxUnavailable, match="docker"):
        select.choose_sandbox(Settings(**NO_DOCKER), "docker")
    with pytest.raises(SandboxUnavailable, match="bwrap"):
        select.choose_sandbox(Settings(**NO_BWRAP), "bwrap")


def test_auto_falls_back_to_bwrap_then_process():
    assert isinstance(select.choose_sandbox(Settings(**NO_DOCKER, **NO_BWRAP)), ProcessSandbox)
    assert select.choose_sandbox(Settings(**NO_DOCKER, **NO_BWRAP)).name == "process"
    try:
        chosen = select.choose_sandbox(Settings(**NO_DOCKER))
    except SandboxUnavailable:  # pragma: no cover - auto never raises
        pytest.fail("auto raised")
    works, _ = trial(Settings())
    assert isinstance(chosen, BwrapSandbox) if works else chosen.name == "process"


def test_settings_name_the_default_backend():
    assert select.choose_sandbox(Settings(sandbox="process", **NO_DOCKER)).name == "process"


def test_process_without_root_is_flagged(monkeypatch, capsys):
    monkeypatch.setattr(isolation, "is_root", lambda: False)
    assert select.isolation_warning(ProcessSandbox(Settings())) == WARNING
    cli.warn_if_unisolated(ProcessSandbox(Settings()))
    assert "isolates nothing" in capsys.readouterr().err


def test_process_as_root_and_other_backends_are_not_flagged(monkeypatch):
    monkeypatch.setattr(isolation, "is_root", lambda: True)
    assert select.isolation_warning(ProcessSandbox(Settings())) is None
    monkeypatch.setattr(isolation, "is_root", lambda: False)
    fake = ProcessSandbox(Settings())
    fake.name = "bwrap"
    assert select.isolation_warning(fake) is None

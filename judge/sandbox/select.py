"""Choosing a sandbox backend by name, or the best one this machine offers."""

from __future__ import annotations

from judge.errors import SandboxUnavailable
from judge.harness import isolation
from judge.sandbox.base import Sandbox
from judge.sandbox.process import WARNING, ProcessSandbox
from judge.settings import Settings

BACKENDS = ("docker", "bwrap", "process")


def choose_sandbox(settings: Settings, name: str | None = None) -> Sandbox:
    """The backend called `name` (or settings.sandbox); `auto`: docker, else bwrap, else process.

    SandboxUnavailable, saying why, when the named backend cannot run here.
    """
    from judge.sandbox.bwrap import BwrapSandbox
    from judge.sandbox.docker import DockerSandbox

    wanted = name or settings.sandbox
    if wanted == "docker":
        return DockerSandbox(settings)
    if wanted == "bwrap":
        return BwrapSandbox(settings)
    if wanted == "process":
        return ProcessSandbox(settings)
    if wanted == "auto":
        for factory in (DockerSandbox, BwrapSandbox):
            try:
                return factory(settings)
            except SandboxUnavailable:
                continue
        return ProcessSandbox(settings)
    raise SandboxUnavailable(f"unknown sandbox {wanted!r} (choose from auto, {', '.join(BACKENDS)})")


def isolation_warning(sandbox: Sandbox) -> str | None:
    """A warning to show when the chosen backend isolates nothing (the process backend without root)."""
    if sandbox.name == "process" and not isolation.is_root():
        return WARNING
    return None

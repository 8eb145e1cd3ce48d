"""Choosing a sandbox backend by name, or the best one this machine offers."""

from __future__ import annotations

from judge.errors import SandboxUnavailable
from judge.sandbox.base import Sandbox
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings

BACKENDS = ("process",)


def choose_sandbox(settings: Settings, name: str | None = None) -> Sandbox:
    """The backend called `name` (or settings.sandbox); `auto` picks the best available."""
    wanted = name or settings.sandbox
    if wanted in ("auto", "process"):
        return ProcessSandbox(settings.output_cap_bytes)
    raise SandboxUnavailable(f"unknown or unavailable sandbox {wanted!r} (available: {', '.join(BACKENDS)})")

"""Choosing a sandbox backend by name, or the best one this machine offers, by who is asking.

The service (`judge serve`, `judge worker`) grades other people's code: with `auto` it takes docker,
else bwrap, and refuses to start when neither works; the process backend, which does not contain
the code it runs, only when asked for by name. The CLI grades the user's own files, which the user
can read anyway: with `auto` it falls back to the process backend, with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from judge.errors import SandboxUnavailable
from judge.sandbox.base import Sandbox
from judge.sandbox.process import ProcessSandbox
from judge.settings import Settings

BACKENDS = ("docker", "bwrap", "process")

Requester = Literal["service", "cli"]

#: What `auto` tries, in order, for each requester; the process backend contains nothing, so the
#: service never falls back to it.
AUTO_ORDER: dict[Requester, tuple[str, ...]] = {
    "service": ("docker", "bwrap"),
    "cli": ("docker", "bwrap", "process"),
}

TRUSTED_CODE_ONLY = "the process sandbox does not contain the code it runs (it can read this machine's files, the problems' references included): use it for trusted code only"
FIX = "run `sudo sandbox/setup-docker.sh` then `judge sandbox build --offline` (or install bubblewrap)"


@dataclass(frozen=True)
class Choice:
    """The backend chosen, the ones `auto` tried before it and why each failed, and a warning to show."""

    sandbox: Sandbox
    passed_over: tuple[tuple[str, str], ...] = ()
    warning: str | None = None


def trusted_code_only(sandbox: Sandbox) -> bool:
    """Whether the backend leaves candidate code uncontained (the process backend, with or without root)."""
    return sandbox.name == "process"


def why_not(exc: SandboxUnavailable) -> str:
    """The reason in a backend's SandboxUnavailable, on one line and without the backend's name."""
    text = " ".join(str(exc).split())
    return text.split(": ", 1)[1] if text.split(": ", 1)[0] in BACKENDS else text


def tried(passed_over: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    """`docker: why; bwrap: why` for the backends auto tried and could not use."""
    return "; ".join(f"{name}: {reason}" for name, reason in passed_over)


def refusal(passed_over: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    """The service's one-line error when no backend that contains candidate code works here."""
    return (
        f"no sandbox that contains candidate code works here ({tried(passed_over)}); to fix: {FIX}; "
        "for trusted code only, ask for the process sandbox by name (--sandbox process or JUDGE_SANDBOX=process)"
    )


def fallback_warning(passed_over: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str:
    """The CLI's one-line warning when `auto` falls back to the process backend."""
    return f"grading in the process sandbox, which does not contain the code: grade only code you trust ({tried(passed_over)}; to contain it: {FIX})"


def make_backend(name: str, settings: Settings) -> Sandbox:
    """The backend `name`; SandboxUnavailable, saying why, when it cannot run here."""
    from judge.sandbox.bwrap import BwrapSandbox
    from judge.sandbox.docker import DockerSandbox

    if name == "docker":
        return DockerSandbox(settings)
    if name == "bwrap":
        return BwrapSandbox(settings)
    if name == "process":
        return ProcessSandbox(settings)
    raise SandboxUnavailable(f"unknown sandbox {name!r} (choose from auto, {', '.join(BACKENDS)})")


def choose(settings: Settings, requester: Requester, name: str | None = None) -> Choice:
    """The backend called `name` (or settings.sandbox.backend), or for `auto` the first in AUTO_ORDER that works.

    SandboxUnavailable, saying why, when the named backend cannot run here, or when `auto` finds
    nothing the requester may use (the service: the error says what was tried and how to fix it).
    """
    wanted = name or settings.sandbox.backend
    if wanted != "auto":
        sandbox = make_backend(wanted, settings)
        if not trusted_code_only(sandbox):
            return Choice(sandbox)
        return Choice(sandbox, warning=TRUSTED_CODE_ONLY)
    passed_over: list[tuple[str, str]] = []
    for backend in AUTO_ORDER[requester]:
        try:
            sandbox = make_backend(backend, settings)
        except SandboxUnavailable as exc:
            passed_over.append((backend, why_not(exc)))
            continue
        warning = fallback_warning(passed_over) if trusted_code_only(sandbox) else None
        return Choice(sandbox, tuple(passed_over), warning)
    raise SandboxUnavailable(refusal(passed_over))


def choose_sandbox(settings: Settings, name: str | None = None) -> Sandbox:
    """The service's backend: `name` (or settings.sandbox.backend); `auto`: docker, else bwrap, never process.

    The sandbox factory of `create_app` and the Celery workers.
    """
    return choose(settings, "service", name).sandbox

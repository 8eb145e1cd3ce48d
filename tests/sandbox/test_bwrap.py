"""The bwrap backend: the sandbox's layout and command line, and its availability check."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import judge
from judge.errors import SandboxUnavailable
from judge.harness.isolation import IsolationPolicy
from judge.harness.launcher import bwrap_argv
from judge.sandbox.bwrap import BwrapSandbox, layout, trial
from judge.settings import Settings
from tests.conftest import PROBLEMS, REPO

POLICY = IsolationPolicy(memory_mb=512, scratch_mb=64)


def _pairs(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, word in enumerate(argv[:-2]) if word == flag]


def test_layout_binds_the_runtime_read_only_and_nothing_secret():
    spec = layout("bwrap", [str(PROBLEMS)], user_namespace=True)
    binds = [Path(b) for b in spec.ro_binds]
    for needed in (Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(judge.__file__).resolve().parent):
        assert any(needed == b or needed.is_relative_to(b) for b in binds), needed
    for secret in (PROBLEMS, REPO / "tests", REPO, Path("/etc/shadow"), Path("/root")):
        assert not any(secret == b or secret.is_relative_to(b) for b in binds), secret
    assert not any(a != b and a.is_relative_to(b) for a in binds for b in binds), "nested binds"
    assert not any(Path(spec.workdir).is_relative_to(b) or b.is_relative_to(spec.workdir) for b in binds)


def test_hidden_paths_inside_a_bind_are_covered():
    inside = Path(judge.__file__).resolve().parent / "harness"
    spec = layout("bwrap", [str(inside), "/nonexistent/secret"], user_namespace=True)
    assert spec.hide == [str(inside)]
    argv = bwrap_argv(spec, POLICY, "/x/candidate")
    package = str(Path(judge.__file__).resolve().parent)
    bind_at = next(i for i, (a, b) in enumerate(zip(argv, argv[1:])) if a == "--ro-bind" and b == package)
    cover_at = argv.index(str(inside))
    assert argv[cover_at - 1] == "--tmpfs" and cover_at > bind_at, "the cover must be mounted over the bind"


def test_command_line_without_root_unshares_everything():
    spec = layout("bwrap", [], user_namespace=True)
    argv = bwrap_argv(spec, POLICY, "/x/candidate")
    sandbox, command = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--new-session", "--die-with-parent"):
        assert flag in sandbox
    assert "--cap-add" not in sandbox
    assert ("/x/candidate", spec.workdir) in _pairs(sandbox, "--ro-bind")
    assert not _pairs(sandbox, "--bind"), "nothing of the host is writable"
    assert sandbox[sandbox.index("--tmpfs") - 2 : sandbox.index("--tmpfs") + 2] == [
        "--size",
        str(64 << 20),
        "--tmpfs",
        "/tmp",
    ]
    assert ("--remount-ro", "/") == tuple(sandbox[-2:])
    assert command[:4] == [sys.executable, "-I", "-m", "judge.harness.candidate"]


def test_command_line_as_root_keeps_only_the_capabilities_to_drop_to_the_run_uid():
    spec = layout("bwrap", [], user_namespace=False)
    argv = bwrap_argv(spec, POLICY, "/x/candidate")
    sandbox = argv[: argv.index("--")]
    assert "--unshare-user" not in sandbox and "--unshare-all" not in sandbox
    for flag in ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"):
        assert flag in sandbox
    assert sandbox[sandbox.index("--cap-drop") + 1] == "ALL"
    assert sorted(v for k, v in zip(sandbox, sandbox[1:]) if k == "--cap-add") == [
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SYS_ADMIN",
    ]


def test_missing_bwrap_is_unavailable_with_a_reason():
    settings = Settings(sandbox={"bwrap_path": "/nonexistent/bwrap"})
    works, why = trial(settings)
    assert not works and "not installed" in why
    with pytest.raises(SandboxUnavailable, match="bwrap"):
        BwrapSandbox(settings)


@pytest.mark.slow
def test_reference_gets_full_marks_like_the_process_backend(bwrap_sandbox, grade, sandbox_settings):
    from tests.conftest import grade_ref

    source = (PROBLEMS / "vae-mnist" / "solution.py").read_bytes()
    in_bwrap = grade_ref("vae-mnist", source, sandbox_settings, bwrap_sandbox)
    local = grade("vae-mnist", source)
    assert in_bwrap.score == in_bwrap.max_score
    assert [(c.id, c.outcome, c.points) for c in in_bwrap.checks] == [(c.id, c.outcome, c.points) for c in local.checks]


HOG = """
def hog(solution, megabytes):
    chunks = []
    for _ in range(megabytes):
        chunks.append(bytearray(1 << 20))
    return len(chunks)
"""


@pytest.mark.slow
def test_without_a_cgroup_memory_is_limited_by_rlimit_data(bwrap_sandbox, prepared):
    """Where cgroups are not writable, RLIMIT_DATA bounds the heap (and torch still imports)."""
    from judge.harness.session import CandidateFault, CandidateSession

    run = prepared(bwrap_sandbox, HOG, memory_mb=600)
    config = run.config.model_copy(update={"launcher": run.config.launcher.model_copy(update={"use_cgroup": False})})
    session = CandidateSession(config)
    try:
        assert session.call("hog", 50) == 50
        with pytest.raises(CandidateFault) as fault:
            session.call("hog", 2000)
    finally:
        session.close()
    assert fault.value.kind == "memory", fault.value.message


@pytest.mark.slow
def test_without_root_the_runner_is_held_in_a_user_namespace(bwrap_sandbox, sandbox_settings, tmp_path, monkeypatch):
    """No uid to switch to: the runner runs in bubblewrap, and a team's hostile checks reach nothing."""
    import os
    import secrets
    import socket

    from judge.harness import isolation
    from tests.conftest import grade_ref
    from tests.security.hostile_package import ESCAPE_DIR, READER_CHECKS, hostile_readers

    monkeypatch.setattr(isolation, "is_root", lambda: False)
    marker = secrets.token_hex(4)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    values = {
        "DATA_DIR": str(sandbox_settings.storage.data_dir.resolve()),
        "BANK": str(PROBLEMS.resolve()),
        "ESCAPE": str(ESCAPE_DIR / f".judge-hostile-{marker}"),
        "PORT": str(server.getsockname()[1]),
        "SLEEP": f"{5000 + int(marker[:4], 16) % 1000}.5",
    }
    slug = f"hostile-{marker}"
    for name, data in hostile_readers(slug, values).items():
        path = tmp_path / slug / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    started = []
    original = bwrap_sandbox.runner_command

    def recording(*args, **kwargs):
        started.append(original(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(bwrap_sandbox, "runner_command", recording)
    try:
        result = grade_ref(str(tmp_path / slug), b"def add(a, b):\n    return a + b\n", sandbox_settings, bwrap_sandbox)
    finally:
        server.close()
    assert started and started[0][0] == bwrap_sandbox.bwrap and "--unshare-user" in started[0], (
        "the runner did not start in bwrap"
    )
    assert {c.id for c in result.checks} == set(READER_CHECKS)
    assert result.verdict == "accepted", [(c.id, c.message) for c in result.checks if c.outcome != "passed"]
    assert not (ESCAPE_DIR / f".judge-hostile-{marker}").exists()
    leftovers = [
        e.name for e in os.scandir("/proc") if e.name.isdigit() and values["SLEEP"].encode() in _cmdline(e.name)
    ]
    assert not leftovers, "a process started by a check outlived the run"


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""

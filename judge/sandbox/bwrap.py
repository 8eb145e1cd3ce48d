"""The bwrap backend: the fallback where no Docker engine is reachable.

Each candidate process runs under bubblewrap (harness.launcher.BwrapLauncher) in new namespaces (all of them without root; all but the user
namespace as root, where isolation.enter then drops to the run uid), seeing only read-only binds of
the Python runtime, the judge package and system libraries, a private /proc, /dev and tmpfs /tmp,
and its work dir read-only. Memory is limited by a cgroup where cgroups are writable, else by
RLIMIT_DATA (RLIMIT_AS would break torch's import). The runner is contained as in the process
backend as root (its own uid, namespaces and a fresh root holding its trusted dir; see
sandbox.process), and in bubblewrap's user namespace without root; the host's broker starts each
candidate for it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from judge.errors import SandboxUnavailable
from judge.harness import isolation, view
from judge.harness.isolation import IsolationPolicy
from judge.harness.launcher import BwrapLauncherSpec, bwrap_argv
from judge.sandbox.process import LaunchConfigT, ProcessSandbox
from judge.settings import Settings
from judge.workspace import Workspace

TRIAL_TIMEOUT_S = 20.0
#: Candidates for the work dir's place in the sandbox: the first clear of every bind is used (the
#: judge itself may live under /work).
WORKDIRS = ("/work", "/judge-work", "/var/judge-work")


def layout(bwrap: str, hide_paths: list[str], user_namespace: bool) -> BwrapLauncherSpec:
    """The sandbox's file system: read-only binds, merged-/usr symlinks, and tmpfs over hidden paths."""
    bind_paths, symlinks = view.runtime_binds()
    binds = [Path(b) for b in bind_paths]
    # The judge's secrets (problem bank, data dir, workspace) are not bound; should one lie inside a
    # bound directory (e.g. a data dir inside the venv), an empty tmpfs covers it.
    workdir = next(w for w in WORKDIRS if not any(Path(w).is_relative_to(b) or b.is_relative_to(w) for b in binds))
    hide = sorted(p for p in hide_paths if any(Path(p).is_relative_to(b) for b in binds) and os.path.isdir(p))
    return BwrapLauncherSpec(
        bwrap=bwrap,
        python=sys.executable,
        ro_binds=[str(b) for b in binds],
        symlinks=symlinks,
        hide=hide,
        user_namespace=user_namespace,
        workdir=workdir,
    )


def trial(settings: Settings) -> tuple[bool, str]:
    """Start Python in the exact sandbox the backend uses; (works, why not)."""
    bwrap = shutil.which(settings.sandbox.bwrap_path)
    if bwrap is None:
        return False, f"{settings.sandbox.bwrap_path} is not installed (apt-get install -y bubblewrap)"
    spec = layout(bwrap, [], user_namespace=not isolation.is_root())
    policy = isolation.IsolationPolicy(memory_mb=256)
    try:
        with tempfile.TemporaryDirectory(prefix="judge-bwrap-trial-") as workdir:
            os.chmod(workdir, 0o755)
            argv = bwrap_argv(spec, policy, workdir)
            # A bare interpreter start instead of the candidate: enough to prove the layout works.
            argv = argv[: argv.index("--") + 1] + [sys.executable, "-I", "-c", "import judge.harness"]
            result = subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TRIAL_TIMEOUT_S
            )
    except OSError as exc:
        return False, f"bwrap cannot run: {exc.strerror}"
    except subprocess.TimeoutExpired:
        return False, f"a trial sandbox did not finish in {TRIAL_TIMEOUT_S:g} s"
    if result.returncode != 0:
        why = (result.stderr.strip().splitlines() or [f"exit {result.returncode}"])[-1]
        return False, f"a trial sandbox failed: {why[:300]}"
    return True, "bubblewrap " + _version(bwrap)


def _version(bwrap: str) -> str:
    try:
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.stdout.split()[-1] if out.stdout.split() else "?"


class BwrapSandbox(ProcessSandbox):
    """The runner contained as in the process backend; each candidate process under bubblewrap."""

    name = "bwrap"

    def __init__(self, settings: Settings) -> None:
        """Check that a trial sandbox starts; SandboxUnavailable with the reason if not."""
        super().__init__(settings)
        works, detail = trial(settings)
        if not works:
            raise SandboxUnavailable(f"bwrap: {detail}")
        self.bwrap = shutil.which(settings.sandbox.bwrap_path) or settings.sandbox.bwrap_path

    # drops_privileges (inherited): as root the candidate runs as a run-private uid, which
    # isolation.enter switches to inside the sandbox, and ProcessSandbox.run kills afterwards.

    def runner_command(self, workspace: Workspace, runner_args: list[str], policy: IsolationPolicy) -> list[str]:
        """As root, as in the process backend; without root (no uid to switch to) the runner runs in
        bubblewrap's user namespace, seeing only the runtime and its trusted dir, with rlimits."""
        if isolation.is_root():
            return super().runner_command(workspace, runner_args, policy)
        trusted = str(workspace.trusted_dir)
        spec = layout(self.bwrap, [], user_namespace=True).model_copy(update={"workdir": trusted})
        command = [
            sys.executable,
            "-I",
            "-m",
            "judge.harness.runner",
            *runner_args,
            "--policy",
            policy.model_dump_json(),
        ]
        return bwrap_argv(spec, policy, trusted, command)

    def isolate(self, config: LaunchConfigT, run_id: str, wall_timeout_s: float, problem: str = "") -> LaunchConfigT:
        """The configuration with the bwrap launcher (run_id, the wall limit and the problem play no part)."""
        spec = layout(self.bwrap, config.policy.hide_paths, user_namespace=not isolation.is_root())
        return config.model_copy(update={"launcher": spec})

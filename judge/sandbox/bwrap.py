"""The bwrap backend: the fallback where no Docker engine is reachable.

The trusted runner stays a host process; each candidate process runs under bubblewrap
(harness.launcher.BwrapLauncher) in new namespaces (all of them without root; all but the user
namespace as root, where isolation.enter then drops to the run uid), seeing only read-only binds of
the Python runtime, the judge package and system libraries, a private /proc, /dev and tmpfs /tmp,
and its work dir read-only. Memory is limited by a cgroup where cgroups are writable, else by
RLIMIT_DATA (RLIMIT_AS would break torch's import).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from judge.errors import SandboxUnavailable
from judge.harness import isolation
from judge.harness.launcher import BwrapLauncherSpec, bwrap_argv
from judge.sandbox.base import EventSink, SandboxJob, SandboxRun
from judge.sandbox.process import C, ProcessSandbox
from judge.settings import Settings

#: System directories bound read-only (or recreated as the same symlink, on merged-/usr systems).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: The few files of /etc a Python process may read; the rest of /etc stays out of sight.
ETC_PATHS = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/ssl", "/etc/localtime")
TRIAL_TIMEOUT_S = 20.0
#: Candidates for the work dir's place in the sandbox: the first clear of every bind is used (the
#: judge itself may live under /work).
WORKDIRS = ("/work", "/judge-work", "/var/judge-work")


def runtime_paths() -> list[Path]:
    """What the candidate's Python needs: the interpreter's prefixes and the judge package itself."""
    import judge

    return [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(judge.__file__).resolve().parent]


def layout(bwrap: str, hide_paths: list[str], user_namespace: bool) -> BwrapLauncherSpec:
    """The sandbox's file system: read-only binds, merged-/usr symlinks, and tmpfs over hidden paths."""
    symlinks: dict[str, str] = {}
    wanted: list[Path] = []
    for name in SYSTEM_DIRS:
        if os.path.islink(name):
            symlinks[name] = os.readlink(name)
        elif os.path.isdir(name):
            wanted.append(Path(name))
    wanted += [Path(p) for p in ETC_PATHS if os.path.lexists(p)]
    wanted += runtime_paths()
    binds: list[Path] = []
    for path in wanted:
        # A path inside another bind is visible already; binding it again would only add mounts.
        if not any(path == b or path.is_relative_to(b) for b in binds):
            binds = [b for b in binds if not b.is_relative_to(path)] + [path]
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
    bwrap = shutil.which(settings.bwrap_path)
    if bwrap is None:
        return False, f"{settings.bwrap_path} is not installed (apt-get install -y bubblewrap)"
    spec = layout(bwrap, [], user_namespace=not isolation.is_root())
    policy = isolation.CandidatePolicy(memory_mb=256)
    try:
        with tempfile.TemporaryDirectory(prefix="judge-bwrap-trial-") as workdir:
            os.chmod(workdir, 0o755)
            argv = bwrap_argv(spec, policy, workdir)
            # A bare interpreter start instead of the candidate: enough to prove the layout works.
            argv = argv[: argv.index("--") + 1] + [sys.executable, "-I", "-c", "import judge.harness"]
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=TRIAL_TIMEOUT_S)
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
    """The runner as a host process; each candidate process under bubblewrap."""

    name = "bwrap"

    def __init__(self, settings: Settings) -> None:
        """Check that a trial sandbox starts; SandboxUnavailable with the reason if not."""
        super().__init__(settings.output_cap_bytes)
        works, detail = trial(settings)
        if not works:
            raise SandboxUnavailable(f"bwrap: {detail}")
        self.bwrap = shutil.which(settings.bwrap_path) or settings.bwrap_path

    # drops_privileges (inherited): as root the candidate runs as a run-private uid, which
    # isolation.enter switches to inside the sandbox, and ProcessSandbox.run kills afterwards.

    def prepare(self, job: SandboxJob) -> SandboxJob:
        """The job with the bwrap launcher."""
        return job.model_copy(update={"config": self.isolate(job.config, "", job.wall_timeout_s)})

    def isolate(self, config: C, run_id: str, wall_timeout_s: float, problem: str = "") -> C:
        """The configuration with the bwrap launcher (run_id, the wall limit and the problem play no part)."""
        spec = layout(self.bwrap, config.policy.hide_paths, user_namespace=not isolation.is_root())
        return config.model_copy(update={"launcher": spec})

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Run the job with each candidate process under bwrap."""
        return super().run(self.prepare(job), on_event)

"""Isolation of the candidate process: what it may see, use and outlive.

`enter` runs first thing in an isolated process (the candidate, or the runner that runs a problem's
checks), before any byte of code we did not write is read. Where the judge runs as root it joins the
run's cgroups, takes private namespaces and drops to a uid used by this run alone; the trusted side can
then kill everything that uid ever started. With a `view` (the process backend) the namespaces are
mount, network, IPC, UTS and pid, and the process sees a fresh read-only root holding only the
runtime and its own directories (harness.view). Under bubblewrap, which built that view already, it
takes private network and mount namespaces and hides what the policy names behind empty tmpfs.
Without root only rlimits apply: the process backend then isolates nothing beyond a separate process.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import stat
import time
from pathlib import Path

from pydantic import BaseModel, Field

from judge.harness import view

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
FIRST_RUN_UID = 200_000
RUN_UID_SPAN = 1_000_000


class IsolationPolicy(BaseModel):
    """Everything an isolated process (the candidate, or the runner) applies to itself before loading code we did not write."""

    uid: int | None = Field(default=None, description="Run-private uid to drop to; None when not root.")
    isolate_network: bool = True
    hide_paths: list[str] = Field(default_factory=list)
    cgroup_procs: list[str] = Field(default_factory=list, description="cgroup.procs files to join.")
    memory_mb: int
    memory_by_cgroup: bool = False
    pids: int = 64
    open_files: int = 256
    file_size_mb: int = 64
    cpu_s: int = 600
    scratch_mb: int = Field(default=256, description="Size of the private /tmp (a tmpfs) when isolated.")
    view: list[str] | None = Field(
        default=None,
        description="As root: host paths visible read-only (besides the runtime) in a fresh root, in private "
        "mount, network, IPC, UTS and pid namespaces; None: keep the root (bubblewrap or docker built one).",
    )


def is_root() -> bool:
    """Whether this process can switch uids and create namespaces."""
    return os.geteuid() == 0


def pick_run_uid() -> int:
    """A uid no account and no other run uses, so that killing 'all of this uid' is exact."""
    while True:
        uid = FIRST_RUN_UID + int.from_bytes(os.urandom(4), "big") % RUN_UID_SPAN
        if not processes_of_uid(uid):
            return uid


def enter(policy: IsolationPolicy) -> None:
    """Apply the policy to the current process; raises if any part of it cannot be applied."""
    pid = str(os.getpid())
    for procs in policy.cgroup_procs:
        Path(procs).write_text(pid)
    libc = view.libc()
    if policy.uid is not None and policy.view is not None:
        flags = (
            CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID | (CLONE_NEWNET if policy.isolate_network else 0)
        )
        view.check(libc.unshare(flags), "unshare")
        _continue_as_init()
        binds, symlinks = view.runtime_binds()
        view.build_root(
            view.outermost([Path(p) for p in [*binds, *policy.view]]), symlinks, policy.scratch_mb, os.getcwd()
        )
    elif policy.uid is not None:
        flags = CLONE_NEWNS | (CLONE_NEWNET if policy.isolate_network else 0)
        view.check(libc.unshare(flags), "unshare")
        view.check(libc.mount(b"none", b"/", None, view.MS_REC | view.MS_PRIVATE, None), "mount --make-rprivate /")
        _cover_shared_directories(libc, policy.scratch_mb)
        for path in policy.hide_paths:
            if os.path.isdir(path):
                view.check(
                    libc.mount(
                        b"tmpfs",
                        path.encode(),
                        b"tmpfs",
                        view.MS_RDONLY | view.MS_NOSUID | view.MS_NODEV,
                        b"size=4k,mode=0555",
                    ),
                    f"hide {path}",
                )
    limits = {
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NOFILE: policy.open_files,
        resource.RLIMIT_FSIZE: policy.file_size_mb << 20,
        resource.RLIMIT_CPU: policy.cpu_s,
        resource.RLIMIT_NPROC: policy.pids,
    }
    if not policy.memory_by_cgroup:
        # RLIMIT_AS breaks torch's import; RLIMIT_DATA bounds heap and anonymous mappings without that.
        limits[resource.RLIMIT_DATA] = policy.memory_mb << 20
    for which, value in limits.items():
        if which == resource.RLIMIT_NPROC and policy.uid is None:
            continue  # per-uid: without a run-private uid it would count the user's other processes
        resource.setrlimit(which, (value, value))
    if policy.uid is not None:
        os.setgroups([])
        os.setgid(policy.uid)
        os.setuid(policy.uid)
    view.check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    if policy.view is not None and policy.uid is not None:
        # Set after the uid switch, which clears it: should the waiting parent die, so does the run.
        view.check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")


def _continue_as_init() -> None:
    """Fork into the new pid namespace; the child (its init) returns, this process waits and mirrors its end.

    The waiting parent keeps none of the child's descriptors, so that the trusted side sees the
    channel close when the child dies; it exits the way the child did (a signal, or its code).
    """
    child = os.fork()
    if child == 0:
        return
    os.closerange(0, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def tighten(policy: IsolationPolicy, cpu_s: int, memory_mb: int) -> None:
    """Lower the CPU-time rlimit (and RLIMIT_DATA, where no cgroup limits memory) to a job's limits.

    A process started ahead of its job entered with the server's maxima; it calls this before it
    loads the submission. Limits only ever go down (an unprivileged process cannot raise them).
    """
    wanted = {resource.RLIMIT_CPU: int(cpu_s)}
    if not policy.memory_by_cgroup:
        wanted[resource.RLIMIT_DATA] = int(memory_mb) << 20
    for which, value in wanted.items():
        if value <= 0:
            raise ValueError(f"limit {value} is not positive")
        _, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))


def _blocker(path: Path) -> Path | None:
    """The highest ancestor of `path` that other users cannot traverse, if any."""
    for ancestor in reversed(path.parents):
        if ancestor != Path("/") and not os.stat(ancestor).st_mode & stat.S_IXOTH:
            return ancestor
    return None


def _cover_shared_directories(libc: ctypes.CDLL, scratch_mb: int) -> None:
    """Cover what the run uid must not share, keeping the interpreter and the judge package reachable.

    Private directories above the interpreter (such as /root) get an empty tmpfs, and world-writable
    ones (/tmp, ...) a private size-limited tmpfs: nothing written there outlives the run or reaches
    the host's disk. Runtime directories that a cover hid (an interpreter under /root, a checkout
    under /tmp) are then bound back at their own paths, so the run uid can import Python and nothing
    else there. The candidate's cwd (its work dir) stays reachable as ".".
    """
    needed: list[Path] = []
    for path in view.runtime_paths():
        if not any(path.is_relative_to(p) for p in needed):
            needed = [p for p in needed if not p.is_relative_to(path)] + [path]
    # Open every directory before covering anything: once covered, the originals are out of reach.
    handles = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in needed}
    try:
        for blocker in sorted({b for b in map(_blocker, needed) if b is not None}):
            view.check(
                libc.mount(
                    b"tmpfs", str(blocker).encode(), b"tmpfs", view.MS_NOSUID | view.MS_NODEV, b"size=64k,mode=0711"
                ),
                f"cover {blocker}",
            )
        options = f"size={scratch_mb}m,mode=1777".encode()
        for shared in SHARED_WRITABLE:
            if os.path.isdir(shared):
                view.check(
                    libc.mount(b"tmpfs", shared.encode(), b"tmpfs", view.MS_NOSUID | view.MS_NODEV, options),
                    f"private {shared}",
                )
        for path, handle in handles.items():
            if _same_directory(path, handle):
                continue
            os.makedirs(path, exist_ok=True)
            view.check(
                libc.mount(
                    f"/proc/self/fd/{handle}".encode(), str(path).encode(), None, view.MS_BIND | view.MS_REC, None
                ),
                f"expose {path}",
            )
    finally:
        for handle in handles.values():
            os.close(handle)


def _same_directory(path: Path, handle: int) -> bool:
    """Whether `path` still leads to the directory `handle` was opened on."""
    try:
        seen, original = os.stat(path), os.fstat(handle)
    except OSError:
        return False
    return (seen.st_dev, seen.st_ino) == (original.st_dev, original.st_ino)


def processes_of_uid(uid: int) -> list[int]:
    """Pids of every process whose real uid is `uid`."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"State:") and line.split()[1] == b"Z":
                        break  # a zombie holds no resources; its parent reaps it
                    if line.startswith(b"Uid:"):
                        if int(line.split()[1]) == uid:
                            pids.append(int(entry.name))
                        break
        except (OSError, ValueError, IndexError):
            continue
    return pids


def kill_uid(uid: int, timeout_s: float = 10.0) -> None:
    """SIGKILL every process of a run-private uid, repeating until none is left (fork bombs race)."""
    deadline = time.monotonic() + timeout_s
    while processes_of_uid(uid):
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the forked child only
            try:
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes of uid {uid} survive SIGKILL")
        time.sleep(0.01)

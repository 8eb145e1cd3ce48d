"""The file system an isolated process sees: a fresh root holding only what it needs, read-only.

An allow-list, never a deny-list: the root is an empty tmpfs into which the system directories,
the Python runtime, the judge package (its directory alone: not the checkout around it, its `.git`,
`tests/` or the problem bank) and the process's own work directory are bound read-only at their
own paths. Everything else on the host (other workspaces, the data dir, secrets, the checkout) is
not there to be read. Bubblewrap builds the same view from `runtime_binds` (sandbox.bwrap); as
root, the process backend builds it here, inside the process's private mount namespace.
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from pathlib import Path

#: System directories bound read-only (or recreated as the same symlink, on merged-/usr systems).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: The few files of /etc a Python process may read; the rest of /etc stays out of sight.
ETC_PATHS = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/ssl",
    "/etc/localtime",
)
#: Device nodes bound into the private /dev.
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}


def runtime_paths() -> list[Path]:
    """What a judge process's Python needs: the interpreter's prefixes and the judge package itself."""
    import judge

    return [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(judge.__file__).resolve().parent]


def runtime_binds() -> tuple[list[str], dict[str, str]]:
    """Host paths to bind read-only at the same path, and merged-/usr symlinks (path -> target)."""
    symlinks: dict[str, str] = {}
    wanted: list[Path] = []
    for name in SYSTEM_DIRS:
        if os.path.islink(name):
            symlinks[name] = os.readlink(name)
        elif os.path.isdir(name):
            wanted.append(Path(name))
    wanted += [Path(p) for p in ETC_PATHS if os.path.lexists(p)]
    wanted += runtime_paths()
    return outermost(wanted), symlinks


def outermost(paths: list[Path]) -> list[str]:
    """The paths with every one that lies inside another dropped (binding it again only adds mounts)."""
    kept: list[Path] = []
    for path in paths:
        if not any(path == k or path.is_relative_to(k) for k in kept):
            kept = [k for k in kept if not k.is_relative_to(path)] + [path]
    return [str(k) for k in kept]


def libc() -> ctypes.CDLL:
    """The C library, for the system calls Python does not wrap (mount, unshare, pivot_root, prctl)."""
    return ctypes.CDLL(None, use_errno=True)


def check(result: int, what: str) -> None:
    """Raise OSError, naming `what`, when a C call returned non-zero."""
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def build_root(binds: list[str], symlinks: dict[str, str], scratch_mb: int, workdir: str) -> None:
    """Replace this process's root by a fresh one holding `binds` read-only, then chdir to `workdir`.

    Needs root in a private mount namespace, and a private pid namespace of which this process is
    a member (its /proc shows that namespace alone). /tmp and /dev/shm are private size-limited
    tmpfs; /dev holds only DEVICES; the root itself is read-only in the end.
    """
    c = libc()
    check(c.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    # Open every source before covering anything: a source under /tmp is out of reach afterwards.
    handles = {path: os.open(path, os.O_PATH) for path in [*binds, *DEVICES] if os.path.exists(path)}
    new_root = "/tmp"
    try:
        check(c.mount(b"tmpfs", new_root.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=1m,mode=0755"), "new root")
        scratch = f"size={scratch_mb}m,mode=1777".encode()
        for path in ("/tmp", "/dev/shm"):
            target = new_root + path
            os.makedirs(target, mode=0o755)
            check(c.mount(b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, scratch), f"private {path}")
        # Parents first: a bind under /tmp lands on the private /tmp, not under it.
        for path in sorted(binds, key=lambda p: (p.count("/"), p)):
            if path not in handles:
                continue
            target = new_root + path
            _make_mount_point(target, os.path.isdir(f"/proc/self/fd/{handles[path]}"))
            source = f"/proc/self/fd/{handles[path]}".encode()
            check(c.mount(source, target.encode(), None, MS_BIND | MS_REC, None), f"bind {path}")
            flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
            check(c.mount(None, target.encode(), None, flags, None), f"read-only {path}")
        for path, target in sorted(symlinks.items()):
            os.symlink(target, new_root + path)
        for device in DEVICES:
            if device in handles:
                _make_mount_point(new_root + device, is_dir=False)
                source = f"/proc/self/fd/{handles[device]}".encode()
                check(c.mount(source, (new_root + device).encode(), None, MS_BIND, None), f"bind {device}")
        os.makedirs(new_root + "/proc", mode=0o555)
        check(
            c.mount(b"proc", (new_root + "/proc").encode(), b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None),
            "mount /proc",
        )
    finally:
        for handle in handles.values():
            os.close(handle)
    os.chdir(new_root)
    # pivot_root(".", "."): the old root ends up stacked under the new one, then is detached.
    number = SYS_PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: unknown system call number on {platform.machine()}")
    check(c.syscall(number, b".", b"."), "pivot_root")
    check(c.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")
    check(c.mount(None, b"/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None), "read-only root")
    os.chdir(workdir)


def _make_mount_point(target: str, is_dir: bool) -> None:
    """An empty directory or file to mount on, its missing parents traversable by anyone."""
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        os.makedirs(parent, mode=0o755)
    if is_dir:
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.exists(target):
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))

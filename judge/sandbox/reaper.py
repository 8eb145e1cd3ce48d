"""Finding and removing candidate containers nobody will remove any more.

Every candidate container carries the labels judge.sandbox=1, judge.run=<run id> and
judge.owner=<host>/<boot id>/<pid>/<start time> of the judge process that ran it. A judge removes its
run's containers when the run ends; containers outlive that only when the judge itself died (killed,
crashed, the machine rebooted). `reap` removes those: the owner is gone from this host, or the
container is older than any run may last (whoever owns it, on whichever host shares the engine).
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime
from functools import lru_cache

from judge.harness.launcher import docker_call

SANDBOX_LABEL = "judge.sandbox"
RUN_LABEL = "judge.run"
OWNER_LABEL = "judge.owner"


@lru_cache(maxsize=1)
def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip()
    except OSError:
        return "unknown"


def _start_ticks(pid: int) -> str | None:
    """A process's start time in clock ticks since boot; with the pid it names the process uniquely."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    fields = stat[stat.rindex(b")") + 2 :].split()
    return fields[19].decode()


def owner_token(pid: int | None = None) -> str:
    """The owner label of containers run by the process `pid` (this one by default)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}/{_boot_id()}/{pid}/{_start_ticks(pid)}"


def owner_alive(token: str) -> bool | None:
    """Whether the judge process named by an owner label still runs; None when it is another host's."""
    try:
        host, boot_id, pid, ticks = token.split("/")
    except ValueError:
        return False  # not a label we wrote: nobody owns the container
    if host != socket.gethostname():
        return None
    if boot_id != _boot_id():
        return False  # this host rebooted since
    return pid.isdigit() and _start_ticks(int(pid)) == ticks


def _created_at(text: str) -> float | None:
    """Seconds since the epoch from `docker ps`'s CreatedAt ('2026-11-29 14:20:01 +0000 UTC')."""
    try:
        return datetime.strptime(" ".join(text.split()[:3]), "%Y-%m-%d %H:%M:%S %z").timestamp()
    except ValueError:
        return None


def leftovers(docker: list[str], stale_after_s: float) -> list[str]:
    """Ids of judge containers whose owner is dead, or that are older than `stale_after_s`."""
    listing = docker_call(
        docker, "ps", "--all", "--no-trunc", "--filter", f"label={SANDBOX_LABEL}=1",
        "--format", f'{{{{.ID}}}}\t{{{{.Label "{OWNER_LABEL}"}}}}\t{{{{.CreatedAt}}}}',
    )
    if listing.returncode != 0:
        return []
    now = time.time()
    dead = []
    for line in listing.stdout.splitlines():
        container_id, _, rest = line.partition("\t")
        owner, _, created = rest.partition("\t")
        started = _created_at(created)
        too_old = started is not None and now - started > stale_after_s
        if owner_alive(owner) is False or too_old:
            dead.append(container_id)
    return dead


def remove(docker: list[str], container_ids: list[str]) -> None:
    """Force-remove containers (SIGKILL first), in batches."""
    for start in range(0, len(container_ids), 50):
        docker_call(docker, "rm", "--force", "--volumes", *container_ids[start : start + 50])


def reap(docker: list[str], stale_after_s: float) -> list[str]:
    """Remove leftovers of judges that died; returns the ids removed."""
    dead = leftovers(docker, stale_after_s)
    remove(docker, dead)
    return dead


def remove_run(docker: list[str], run_id: str) -> list[str]:
    """Remove every container of one run, whatever state it is in."""
    listing = docker_call(docker, "ps", "--all", "--quiet", "--no-trunc", "--filter", f"label={RUN_LABEL}={run_id}")
    ids = listing.stdout.split() if listing.returncode == 0 else []
    remove(docker, ids)
    return ids

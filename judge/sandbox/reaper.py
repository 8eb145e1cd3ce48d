"""Finding and removing candidate containers nobody will remove any more.

Every candidate container carries the labels judge.sandbox=1, judge.run=<run id> and
judge.owner=<host>/<boot id>/<pid>/<start time> of the judge process that ran it. A judge removes its
run's containers when the run ends; containers outlive that only when the judge itself died (killed,
crashed, the machine rebooted). `reap` removes those: the owner is gone from this host, or the
container is older than any run may last (whoever owns it, on whichever host shares the engine).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from functools import lru_cache

from judge.errors import SandboxFault
from judge.sandbox.engine import ContainerInfo, Engine

log = logging.getLogger(__name__)

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


def dead(listing: list[ContainerInfo], stale_after_s: float, now: float) -> list[str]:
    """Ids of the listed judge containers whose owner is dead, or that are older than `stale_after_s`."""
    return [
        c.id for c in listing if owner_alive(c.labels.get(OWNER_LABEL, "")) is False or now - c.created > stale_after_s
    ]


def leftovers(engine: Engine, stale_after_s: float) -> list[str]:
    """Ids of judge containers whose owner is dead, or that are older than `stale_after_s`."""
    return dead(engine.containers(f"{SANDBOX_LABEL}=1"), stale_after_s, time.time())


def remove(engine: Engine, container_ids: list[str]) -> None:
    """Force-remove containers (SIGKILL first)."""
    for container in container_ids:
        engine.remove(container)


def reap(engine: Engine, stale_after_s: float) -> list[str]:
    """Remove leftovers of judges that died; returns the ids removed."""
    found = leftovers(engine, stale_after_s)
    remove(engine, found)
    return found


def remove_run(engine: Engine, run_id: str) -> list[str]:
    """Remove every container of one run, whatever state it is in; best effort (the engine may be
    gone: what it cannot remove now, the next start-up reaps)."""
    try:
        ids = [c.id for c in engine.containers(f"{RUN_LABEL}={run_id}")]
        remove(engine, ids)
    except SandboxFault as exc:
        log.warning("removing the containers of run %s: %s", run_id, exc)
        return []
    return ids

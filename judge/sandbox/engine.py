"""Which run of the Docker engine is serving: a restart kills every container, so a grade that
spanned one saw the candidate's processes die for a reason that was the judge's, not theirs."""

from __future__ import annotations

import socket
import struct

#: The docker CLI's engine address when none is configured.
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
_PEERCRED = struct.Struct("3i")  # pid, uid, gid


def engine_epoch(docker_host: str | None) -> str:
    """An id of the engine process behind a local unix socket (its pid, from SO_PEERCRED), "down" when
    nothing answers there, or "remote" for an engine over TCP (whose restarts cannot be seen here)."""
    host = docker_host or DEFAULT_DOCKER_HOST
    if not host.startswith("unix://"):
        return "remote"
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(2.0)
            connection.connect(host.removeprefix("unix://"))
            pid, _uid, _gid = _PEERCRED.unpack(connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))
    except OSError:
        return "down"
    return f"pid {pid}"

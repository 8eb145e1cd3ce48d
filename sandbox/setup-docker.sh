#!/usr/bin/env bash
# Make this machine able to run the judge's sandboxes: a Docker engine, debootstrap (for the offline
# image build) and bubblewrap (the fallback backend). Idempotent: every step is skipped when done.
#
#   sudo sandbox/setup-docker.sh        # then: judge sandbox build --offline && judge sandbox doctor
#
# Environment: DOCKERD_LOG (default /var/log/dockerd.log), DOCKER_WAIT_S (default 60).
set -euo pipefail

DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
DOCKER_WAIT_S="${DOCKER_WAIT_S:-60}"
SOCKET=/var/run/docker.sock

log() { printf '[setup-docker] %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root (installs packages and starts dockerd)"
    exit 1
fi

# 1. Packages. dockerd may be missing even where a docker CLI is installed (a static client alone).
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
# docker-compose brings docker-compose.yml up in the tests (tests/queue/test_compose_up.py) where the
# compose v2 plugin is absent.
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    log "docker.io, debootstrap and bubblewrap already installed"
fi

engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

wait_for_engine() {
    local waited=0
    while ! { [ -S "$SOCKET" ] && engine_up; }; do
        if [ -n "${DOCKERD_PID:-}" ] && ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
            return 1  # dockerd exited: its storage driver (or something else) failed
        fi
        if [ "$waited" -ge "$DOCKER_WAIT_S" ]; then
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

start_dockerd() {
    # $1: extra dockerd arguments. setsid + nohup: the engine outlives this script and its terminal.
    log "starting dockerd $*(log: $DOCKERD_LOG)"
    setsid nohup dockerd "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null &
    DOCKERD_PID=$!
}

# A container must really start: overlay2 can come up and still fail at the first mount (overlay on
# overlay, some kernels). The image is tini (static, shipped with docker.io) and nothing else.
storage_works() {
    local init dir ok=1
    init="$(readlink -f "$(command -v docker-init || echo /usr/bin/docker-init)")"
    [ -x "$init" ] || { log "no docker-init to smoke-test with; assuming the storage driver works"; return 0; }
    dir="$(mktemp -d)"
    cp "$init" "$dir/init"
    if tar -C "$dir" -c . | docker import - judge-storage-smoke:latest >/dev/null \
        && docker run --rm --network none judge-storage-smoke:latest /init --version >/dev/null 2>&1; then
        ok=0
    fi
    docker image rm judge-storage-smoke:latest >/dev/null 2>&1 || true
    rm -rf "$dir"
    return "$ok"
}

stop_dockerd() {
    local pid
    pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    rm -f /var/run/docker.pid
}

# 2. The engine, with a storage driver that works (vfs always does, only slower and bigger).
if engine_up; then
    log "docker engine already running: $(docker version --format '{{.Server.Version}}')"
else
    start_dockerd
    if ! wait_for_engine; then
        log "dockerd did not come up with its default storage driver; retrying with vfs"
        kill "$DOCKERD_PID" 2>/dev/null || true
        wait "$DOCKERD_PID" 2>/dev/null || true
        rm -f /var/run/docker.pid
        start_dockerd --storage-driver vfs
        if ! wait_for_engine; then
            log "dockerd failed to start; last lines of $DOCKERD_LOG:"
            tail -n 20 "$DOCKERD_LOG" >&2
            exit 1
        fi
    fi
fi
if ! storage_works; then
    driver="$(docker info --format '{{.Driver}}')"
    if [ "$driver" = vfs ]; then
        log "containers do not start even with the vfs storage driver; see $DOCKERD_LOG"
        exit 1
    fi
    log "containers do not start with the $driver storage driver; restarting dockerd with vfs"
    stop_dockerd
    start_dockerd --storage-driver vfs
    wait_for_engine && storage_works || { log "containers do not start with vfs either; see $DOCKERD_LOG"; exit 1; }
fi
log "docker engine ready: $(docker version --format '{{.Server.Version}}'), storage driver $(docker info --format '{{.Driver}}')"

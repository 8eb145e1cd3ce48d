#!/bin/sh
# As the official image's entrypoint: without a config file, protected mode would refuse the other
# containers (no password on a private network), so it is turned off; the server runs as `redis`.
set -eu
if [ "${1:-}" = redis-server ]; then
    shift
    set -- redis-server --protected-mode no "$@"
fi
if [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"

#!/usr/bin/env bash
# Installs (Debian packages) and starts Redis and PostgreSQL on the loopback for the service's
# integration tests, idempotently; creates the test user and database; prints the URLs as exports:
#
#   eval "$(scripts/services.sh)"      # then: python -m pytest -m integration
#
# Everything else goes to stderr. Needs root (apt-get, starting the cluster). The password below
# guards a throwaway test database listening on 127.0.0.1 only.
set -euo pipefail

REDIS_PORT="${JUDGE_TEST_REDIS_PORT:-6379}"
PG_PORT="${JUDGE_TEST_POSTGRES_PORT:-5432}"
PG_USER=judge_test
PG_PASSWORD=judge_test
PG_DB=judge_test
say() { echo "services.sh: $*" >&2; }

need_install=()
command -v redis-server >/dev/null 2>&1 || need_install+=(redis-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_install+=(postgresql)
if ((${#need_install[@]})); then
    say "installing ${need_install[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    # policy-rc.d-less containers may fail to auto-start services here; we start them ourselves below.
    apt-get install -y -qq "${need_install[@]}" >&2
fi

# Redis: no persistence needed for tests.
if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    say "redis already answers on 127.0.0.1:$REDIS_PORT"
else
    say "starting redis on 127.0.0.1:$REDIS_PORT"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --pidfile "/tmp/judge-test-redis-$REDIS_PORT.pid" --logfile "/tmp/judge-test-redis-$REDIS_PORT.log" >&2
    for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null
fi

# PostgreSQL: Debian's cluster tools; make a cluster if the package did not.
PG_VERSION="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -qx "$PG_VERSION main"; then
    say "creating PostgreSQL $PG_VERSION cluster main on port $PG_PORT"
    pg_createcluster "$PG_VERSION" main --port "$PG_PORT" >&2
fi
PG_PORT="$(pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" {print $3}')"
if pg_lsclusters -h | awk -v v="$PG_VERSION" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
    say "PostgreSQL $PG_VERSION already online on port $PG_PORT"
else
    say "starting PostgreSQL $PG_VERSION on port $PG_PORT"
    pg_ctlcluster "$PG_VERSION" main start >&2
fi
for _ in $(seq 100); do pg_isready -h 127.0.0.1 -p "$PG_PORT" -q && break; sleep 0.1; done
pg_isready -h 127.0.0.1 -p "$PG_PORT" >&2

psql_admin() { (cd / && runuser -u postgres -- psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qtA "$@"); }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" != 1 ]; then
    say "creating role $PG_USER"
    psql_admin -c "CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
    say "creating database $PG_DB"
    psql_admin -c "CREATE DATABASE $PG_DB OWNER $PG_USER"
fi

echo "export JUDGE_TEST_POSTGRES_URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
echo "export JUDGE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/15"

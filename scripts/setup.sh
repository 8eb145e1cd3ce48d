#!/usr/bin/env bash
# Creates .venv with the pinned CPU torch (from the local wheel directory) and the judge package.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# Found, not imported (importing torch takes seconds, and this runs on every ./scripts/start); -I: not
# this directory's judge/ but the installed one.
if ! .venv/bin/python -I -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in ('judge', 'torch', 'pytest_timeout')))" >/dev/null 2>&1 \
    || [ pyproject.toml -nt .venv/.installed ]; then
    .venv/bin/pip install --quiet --upgrade pip
    # torch first and pinned: any range admitting a newer release would pull a multi-GB CUDA build.
    .venv/bin/pip install --quiet "torch==2.13.0"
    .venv/bin/pip install --quiet -e ".[test]"
    touch .venv/.installed
fi

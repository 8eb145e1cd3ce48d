#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, when it builds the autograder's image:
# a venv with exactly the pinned requirements and the judge wheel (judge/bank/gradescope.py).
#
# Where the wheels come from (set them here, or in the environment of an offline test):
#   JUDGE_WHEELS     a directory or find-links URL holding every wheel of requirements.txt: pip then
#                    installs from it alone (--no-index), without any network.
#   TORCH_INDEX_URL  otherwise torch comes from this index (the CPU build), the rest from PyPI.
#   JUDGE_VENV       where the venv goes; run_autograder reads the same variable.
#   JUDGE_PYTHON     the interpreter (Python 3.11 or newer; choose an Ubuntu 24.04 base image).
set -euo pipefail
JUDGE_WHEELS="${JUDGE_WHEELS:-}"
TORCH_INDEX_URL="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"
JUDGE_VENV="${JUDGE_VENV:-/opt/judge-autograder/venv}"
JUDGE_PYTHON="${JUDGE_PYTHON:-python3}"
cd "$(dirname "$0")"

# Gradescope's Ubuntu images have python3 but not always its venv module.
if ! "$JUDGE_PYTHON" -c 'import ensurepip, venv' 2>/dev/null && command -v apt-get >/dev/null; then
    apt-get install -y python3 python3-venv python3-pip
fi
"$JUDGE_PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "the judge needs Python 3.11 or newer, not " + sys.version)'
"$JUDGE_PYTHON" -m venv "$JUDGE_VENV"
pip=("$JUDGE_VENV/bin/pip" install --no-cache-dir --disable-pip-version-check)
if [ -n "$JUDGE_WHEELS" ]; then
    "${pip[@]}" --no-index --find-links "$JUDGE_WHEELS" --requirement requirements.txt
else
    # torch first, from the CPU index: PyPI's build of the same version pulls gigabytes of CUDA.
    "${pip[@]}" --index-url "$TORCH_INDEX_URL" "$(grep '^torch==' requirements.txt)"
    "${pip[@]}" --requirement requirements.txt
fi
"${pip[@]}" --no-index --no-deps judge-*.whl
"$JUDGE_VENV/bin/python" -I -c 'import judge.bank.gradescope, torch; print("judge autograder ready: torch", torch.__version__)'

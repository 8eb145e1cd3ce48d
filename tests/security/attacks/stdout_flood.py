"""Writes 50 MB to stdout and 50 MB to stderr before failing."""

import sys

line = "x" * 1023 + "\n"
for _ in range(50 * 1024):
    sys.stdout.write(line)
for _ in range(50 * 1024):
    sys.stderr.write(line)
raise NotImplementedError

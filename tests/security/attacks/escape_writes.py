"""Writes outside the work dir and plants symlinks pointing outside, hoping the host follows them."""

import os
import sys

MARK = "MARKER"  # replaced by the test with a unique name
results = []
for directory in ["/tmp", "/var/tmp", "/dev/shm", "..", "../trusted", "../trusted/checks", "/work", "/"] + [
    p for p in sys.path if p
]:
    path = os.path.join(directory, MARK)
    try:
        with open(path, "w") as f:
            f.write("escaped")
        results.append(f"wrote {path}")
    except OSError as exc:
        results.append(f"{path}: {exc.strerror}")
for name, target in [
    ("link-shadow", "/etc/shadow"),
    ("link-root", "/"),
    ("link-trusted", "../trusted"),
    ("solution-link", "/etc/passwd"),
]:
    for directory in (".", "/tmp"):
        try:
            os.symlink(target, os.path.join(directory, name))
            results.append(f"linked {directory}/{name}")
        except OSError as exc:
            results.append(f"{directory}/{name}: {exc.strerror}")
raise RuntimeError(" ".join(results))

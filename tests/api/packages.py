"""Problem packages built in memory, and uploading them (POST, then poll until decided), for upload tests."""

from __future__ import annotations

import io
import tarfile
import time
import zipfile

TINY_TOML = """\
slug = "{slug}"
title = "A tiny problem"
difficulty = "easy"
kind = "code"
entrypoint = "solution.py"

[limits]
check_timeout_s = 20
run_timeout_s = 60
memory_mb = 1024

[[checks]]
id = "alpha"
category = "shape"
points = 1
visibility = "public"
title = "add returns a sum"

[[checks]]
id = "beta"
category = "formula"
points = 2
title = "add handles negatives"
"""


def tiny_package(slug: str = "tiny-upload", mutant: str = "# fake: fail=beta\n") -> dict[str, bytes]:
    """A valid package: under the FakeSandbox the starter fails all, the mutant fails beta. Under a real
    sandbox it is also a real problem: `add(a, b)`, checked on positives (public) and negatives."""
    return {
        "problem.toml": TINY_TOML.format(slug=slug).encode(),
        "statement.md": b"# Add\nWrite `add(a, b)` returning a + b.\n",
        "starter.py": b"# fake: fail=all\ndef add(a, b):\n    raise NotImplementedError\n",
        "solution.py": b"def add(a, b):\n    return a + b\n",
        "probes.py": b"def add(solution, a, b):\n    return solution.add(a, b)\n",
        "public/test_tiny_public.py": b'def test_alpha(candidate):\n    assert candidate.call("add", 2, 3) == 5, "add(2, 3) must be 5"\n',
        "checks/test_tiny.py": b'def test_beta(candidate):\n    assert candidate.call("add", -2, -3) == -5, "add must handle negatives"\n',
        "mutants/abs_sum.py": mutant.encode() + b"def add(a, b):\n    return abs(a) + abs(b)\n",
    }


def zip_bytes(files: dict[str, bytes], prefix: str = "") -> bytes:
    """A zip archive of `files`, each under `prefix`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(prefix + name, data)
    return buffer.getvalue()


def tar_bytes(
    files: dict[str, bytes], prefix: str = "", links: dict[str, str] | None = None, mode: str = "w:gz"
) -> bytes:
    """A tar archive of `files` (and symbolic links name -> target), each under `prefix`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(prefix + name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def uploaded(
    client, data: bytes, headers: dict[str, str], name: str = "pkg.zip", timeout_s: float = 60, poll_s: float = 0.25
) -> dict:
    """POST /problems (asserting the 202), then poll the upload until it is decided; its final status."""
    answer = client.post(
        "/api/v1/problems", files={"package": (name, data, "application/octet-stream")}, headers=headers
    )
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == answer.json()["links"]["self"]
    return decided(client, answer.headers["location"], headers, timeout_s, poll_s)


def decided(client, location: str, headers: dict[str, str], timeout_s: float = 60, poll_s: float = 0.25) -> dict:
    """Poll an upload's status (GET `location`) until it is no longer queued or running."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = client.get(location, headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if body["status"] not in ("queued", "running"):
            return body
        assert time.monotonic() < deadline, f"upload still {body['status']} after {timeout_s} s: {body}"
        time.sleep(poll_s)

"""A team uploads a problem whose checks attack the grading host; the runner contains them.

A real `judge serve` per backend; the packages come in over HTTP with a team key, as any team's would.
Validation at upload already runs the hostile checks (reference, starter, mutant), so does every
submission. Proven for each backend: every read, connection and write the checks try gets nothing
(the readers' reference validates and scores full marks, and no check message carries a secret), no
process they start outlives the run, nothing lands outside the sandbox, exhausting processes, memory
and disk harms nothing, and the judge keeps serving: a seed reference graded afterwards is accepted.
"""

from __future__ import annotations

import io
import os
import secrets
import signal
import socket
import subprocess
import tarfile
import time

import httpx
import pytest

from judge.settings import Settings
from tests.api.packages import uploaded
from tests.api.support import REPO, ServiceProcess, free_port, judge_command, service_env, wait_finished, wait_healthy
from tests.conftest import PROBLEMS
from tests.security.hostile_package import ESCAPE_DIR, READER_CHECKS, hostile_readers, hostile_resources

pytestmark = [pytest.mark.security, pytest.mark.integration, pytest.mark.slow]
BACKENDS = ["docker", "bwrap", "process"]
UPLOAD_TIMEOUT_S = 600
GRADE_TIMEOUT_S = 300


def tgz(slug: str, files: dict[str, bytes]) -> bytes:
    """A package archive as a team uploads it."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{slug}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def processes_with(argument: str) -> list[int]:
    """Pids whose command line holds `argument`."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                    if argument.encode() in f.read().split(b"\0"):
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


class Judge:
    """`judge serve` on one backend, with a secret in its environment and a team key."""

    def __init__(self, tmp, backend: str) -> None:
        if os.geteuid() != 0:
            pytest.skip("the runner is contained as root (the documented set-up); without root it is trusted code only")
        self.port = free_port()
        self.canary = "canary-" + secrets.token_hex(8)
        values = {
            "port": str(self.port),
            "sandbox": backend,
            "workers": "2",
            "docker_image": Settings().sandbox.docker_image,
        }
        self.env = service_env(tmp, **values)
        self.env["JUDGE_CALLBACK_SECRET"] = self.canary
        self.data_dir = tmp / "data"
        self.process = ServiceProcess(judge_command("serve"), self.env, tmp / "serve.log").start()
        wait_healthy(f"http://127.0.0.1:{self.port}", self.process, timeout_s=180)
        made = subprocess.run(
            judge_command("keys", "create", "--role", "team", "--team", "red"),
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert made.returncode == 0, made.stderr
        key = made.stdout.strip().splitlines()[-1]
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}", headers={"Authorization": f"Bearer {key}"}, timeout=60
        )

    def values(self, marker: str) -> dict[str, str]:
        """What the hostile checks are told about the host: the worst case, they know every path."""
        return {
            "DATA_DIR": str(self.data_dir.resolve()),
            "BANK": str(PROBLEMS.resolve()),
            "ESCAPE": str(ESCAPE_DIR / f".judge-hostile-{marker}"),
            "PORT": str(self.port),
            "SLEEP": f"{4000 + int(marker[:4], 16) % 1000}.{int(marker[4:8], 16) % 1000}",
        }

    def upload(self, slug: str, files: dict[str, bytes]) -> dict:
        """POST the package, then poll until its validation (which grades it) decided; the upload's final status."""
        return uploaded(self.client, tgz(slug, files), {}, name=f"{slug}.tgz", timeout_s=UPLOAD_TIMEOUT_S, poll_s=1)

    def grade(self, problem: str, source: str) -> dict:
        """Submit and wait for the result."""
        answer = self.client.post("/api/v1/submissions", json={"problem": problem, "source": source})
        assert answer.status_code == 202, answer.text
        return wait_finished(self.client, answer.json()["id"], GRADE_TIMEOUT_S)

    def close(self) -> None:
        """Stop the service."""
        self.client.close()
        self.process.kill(signal.SIGTERM)


@pytest.fixture(params=BACKENDS)
def judge(request, tmp_path):
    """A judge on each backend (skipped where the backend cannot run, failed for docker in CI)."""
    from tests.sandbox.conftest import sandbox_or_skip

    sandbox_or_skip(request.param, Settings())
    running = Judge(tmp_path, request.param)
    yield running
    running.close()


def test_hostile_checks_reach_nothing(judge):
    marker = secrets.token_hex(4)
    values = judge.values(marker)
    slug = f"hostile-readers-{marker}"
    answer = judge.upload(slug, hostile_readers(slug, values))
    assert answer["status"] == "accepted", (
        f"the readers' reference did not validate (an attack got through?): {str(answer)[:3000]}"
    )
    result = judge.grade(slug, "def add(a, b):\n    return a + b\n")
    text = result.__repr__()
    assert result["verdict"] == "accepted", [
        (c["id"], c["message"]) for c in result["result"]["checks"] if c["outcome"] != "passed"
    ]
    assert {c["id"] for c in result["result"]["checks"]} == set(READER_CHECKS)
    assert "LEAK" not in text and judge.canary not in text
    assert not (ESCAPE_DIR / f".judge-hostile-{marker}").exists() and not (PROBLEMS / "pwned").exists()
    assert not (judge.data_dir / "pwned").exists()
    # The process a check left behind died with its run (at upload and at this grade).
    time.sleep(1)
    assert not processes_with(values["SLEEP"]), "a process started by a check outlived its run"
    with socket.create_connection(("127.0.0.1", judge.port), timeout=5):
        pass  # the service itself is still reachable from the host


def test_exhausting_checks_harm_nothing(judge):
    marker = secrets.token_hex(4)
    slug = f"hostile-resources-{marker}"
    answer = judge.upload(slug, hostile_resources(slug, judge.values(marker)))
    # Validation may fail (a runner killed for memory is the problem's fault, never a score): either
    # way the checks ran, and the judge must answer with a verdict on the package, not a crash.
    assert answer["status"] in ("accepted", "rejected"), str(answer)[:2000]
    assert "LEAK" not in str(answer)
    assert httpx.get(f"http://127.0.0.1:{judge.port}/readyz", timeout=10).status_code == 200
    assert not list(REPO.glob("fill")) and not (PROBLEMS / "fill").exists()
    honest = judge.grade("vae-mnist", (PROBLEMS / "vae-mnist" / "solution.py").read_text())
    assert honest["verdict"] == "accepted", honest

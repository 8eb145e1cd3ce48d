"""`judge serve` on its embedded defaults (SQLite file, in-process grading threads) as a real process,
grading for real over HTTP."""

from __future__ import annotations

import io
import json
import signal
import tarfile
import time
from pathlib import Path

import httpx
import pytest

from judge.problem import load_problem
from tests.api.packages import uploaded
from tests.api.support import (
    ServiceProcess,
    first_admin_key,
    free_port,
    judge_command,
    service_env,
    wait_finished,
    wait_for,
    wait_healthy,
)
from tests.api.test_problems import SEED_SLUGS
from tests.conftest import PROBLEMS

pytestmark = pytest.mark.integration
GRADE_TIMEOUT_S = 240


class Embedded:
    """A `judge serve` process and a client holding the admin key it wrote on first start."""

    def __init__(self, tmp) -> None:
        self.port = free_port()
        self.env = service_env(
            tmp,
            port=str(self.port),
            workers="2",
            heartbeat_interval_s="1",
            heartbeat_timeout_s="5",
            poll_interval_s="0.2",
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "serve.log"
        self.process = ServiceProcess(judge_command("serve"), self.env, self.log_path).start()
        wait_healthy(self.base, self.process)
        key = first_admin_key(self.env)
        assert key not in self.process.log(), "without a terminal the key is written to a file, never to the log"
        self.client = httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {key}"}, timeout=60)

    def restart(self, sig: int) -> None:
        """Stop the server with `sig` and start it again on the same data."""
        self.process.kill(sig)
        self.process = ServiceProcess(self.process.argv, self.env, self.log_path).start()
        wait_healthy(self.base, self.process)

    def submit(self, problem: str, source: bytes) -> str:
        """POST a JSON submission; its id."""
        answer = self.client.post("/api/v1/submissions", json={"problem": problem, "source": source.decode()})
        assert answer.status_code == 202, answer.text
        return answer.json()["id"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One embedded `judge serve` for the module."""
    running = Embedded(tmp_path_factory.mktemp("embedded"))
    yield running
    running.client.close()
    running.process.kill(signal.SIGTERM)


@pytest.fixture(scope="module")
def reference_submissions(server) -> dict[str, str]:
    """Every loadable problem's reference, submitted at once."""
    return {slug: server.submit(slug, load_problem(PROBLEMS / slug).solution_path.read_bytes()) for slug in SEED_SLUGS}


def test_serve_prints_where_to_send_a_submission(server):
    log = server.process.log()
    assert f"judge serving on {server.base} (embedded queue)" in log
    assert f"-F problem=vae-mnist -F file=@solution.py {server.base}/api/v1/submissions" in log
    assert (Path(server.env["JUDGE_DATA_DIR"]) / "judge.db").is_file(), (
        "the default database is a SQLite file in the data dir"
    )


@pytest.mark.parametrize("slug", SEED_SLUGS)
def test_reference_completes_with_full_marks(server, reference_submissions, slug):
    done = wait_finished(server.client, reference_submissions[slug], GRADE_TIMEOUT_S)
    assert done["status"] == "completed", f"{done}\n{server.process.log()[-3000:]}"
    assert done["verdict"] == "accepted"
    assert done["score"] == done["max_score"] == load_problem(PROBLEMS / slug).max_score


def test_event_stream_of_a_real_grade(server, reference_submissions):
    for submission_id in reference_submissions.values():
        wait_finished(server.client, submission_id, GRADE_TIMEOUT_S)
    problem = load_problem(PROBLEMS / "vae-mnist")
    submission_id = server.submit("vae-mnist", problem.solution_path.read_bytes())
    events = []
    with server.client.stream("GET", f"/api/v1/submissions/{submission_id}/events", timeout=GRADE_TIMEOUT_S) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                events.append(line.removeprefix("event: "))
    assert events == ["check"] * len(problem.check_specs) + ["result"]


def test_restart_mid_grade_loses_nothing(server):
    submission_id = server.submit("vae-mnist", (PROBLEMS / "vae-mnist" / "solution.py").read_bytes())
    wait_for(
        lambda: server.client.get(f"/api/v1/submissions/{submission_id}").json()["status"] == "running",
        120,
        "grading to start",
    )
    time.sleep(1.0)
    server.restart(signal.SIGKILL)
    done = wait_finished(server.client, submission_id, GRADE_TIMEOUT_S)
    assert done["status"] == "completed" and done["verdict"] == "accepted"
    assert done["attempts"] == 2
    assert server.process.log().count("created an admin API key") == 1, "a second start must not make another admin key"


def test_upload_of_a_real_package(server):
    """A copy of a quiz under a new slug: unpacked, validated for real (reference, starter, mutants), graded."""
    source = PROBLEMS / "aigc-concepts"
    if not (source / "problem.toml").is_file():
        pytest.skip("the aigc-concepts quiz is not in the bank")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                if path.name == "problem.toml":
                    data = data.replace(b'slug = "aigc-concepts"', b'slug = "uploaded-quiz"')
                info = tarfile.TarInfo(f"uploaded-quiz/{path.relative_to(source)}")
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    body = uploaded(server.client, buffer.getvalue(), {}, name="quiz.tgz", timeout_s=GRADE_TIMEOUT_S, poll_s=1)
    assert body["status"] == "accepted", body
    assert all(line.startswith("ok") for line in body["validation"][1:])
    solution = json.loads((source / "solution.json").read_text())
    submission_id = server.submit("uploaded-quiz", json.dumps(solution).encode())
    done = wait_finished(server.client, submission_id, 60)
    assert done["verdict"] == "accepted"

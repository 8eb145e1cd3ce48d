"""Runs graded for real: the app, its queue and workers on the process sandbox (isolated as root) run
the candidate's code against the public checks only, and hand back what it printed, capped."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from judge.errors import SandboxUnavailable
from judge.grading import public_checks
from judge.problem import Visibility
from judge.sandbox.base import Sandbox
from judge.sandbox.process import ProcessSandbox
from judge.sandbox.select import choose_sandbox
from judge.settings import Settings
from judge.storage import keys
from judge.storage.models import Role
from tests.api.test_assessments import KL, T0, Clock, Team, started

pytestmark = pytest.mark.integration
RUN_TIMEOUT_S = 240
#: Small, so that a print loop passes it quickly.
OUTPUT_CAP_BYTES = 2048


def docker_sandbox(settings: Settings) -> Sandbox:
    """The docker backend (its image: JUDGE_DOCKER_IMAGE, built from this checkout's harness); skips without an engine."""
    try:
        return choose_sandbox(settings, "docker")
    except SandboxUnavailable as exc:
        pytest.skip(f"no docker sandbox here: {exc}")


@pytest.fixture(params=["process", "docker"])
def real(request, start_service):
    """The service grading in a real sandbox (the process backend, isolated as root; docker), on a clock
    inside acme's assessment, and a started candidate."""
    factory = ProcessSandbox if request.param == "process" else docker_sandbox
    service = start_service(sandbox_factory=factory, limits={"output_cap_bytes": OUTPUT_CAP_BYTES})
    service.state.clock = Clock(T0 + timedelta(minutes=1))
    with service.state.sessions() as session:
        acme = Team(service, keys.create_key(session, Role.TEAM, "acme", team="acme").secret)
    assessment = acme.create(problems=[{"problem": "kl-divergence", "points": 10}])
    service.state.clock.set(T0)
    _invitation, candidate = started(service, acme, assessment["id"], "Ada")
    return service, candidate


def finished_run(candidate, source: str) -> dict:
    """A Run of kl-divergence, waited for until graded."""
    answer = candidate.call("POST", "/runs", json={"problem": "kl-divergence", "source": source})
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        # The server caps each long poll (service.max_wait_s): ask again until the Run is graded.
        done = candidate.call("GET", f"/runs/{answer.json()['id']}", params={"wait": 30})
        assert done.status_code == 200, done.text
        if done.json()["status"] in ("completed", "failed") or time.monotonic() > deadline:
            break
    assert done.json()["status"] == "completed", done.text
    return done.json()


def test_a_real_run_passes_the_public_checks_and_returns_stdout_and_stderr(real):
    _service, candidate = real
    source = 'import sys\nprint("to stdout")\nprint("to stderr", file=sys.stderr)\n' + KL.solution_path.read_text()
    result = finished_run(candidate, source)
    assert [c["id"] for c in result["checks"]] == [c.id for c in public_checks(KL)]
    assert any(c.visibility is Visibility.HIDDEN for c in KL.check_specs), "the problem has hidden checks to leave out"
    assert result["verdict"] == "accepted" and result["passed"] == result["total"] == 2
    assert result["output"].splitlines() == ["to stdout", "to stderr"]
    assert "passed" not in result["output"], "pytest's own output is not the candidate's"


def test_a_real_runs_output_is_capped_and_a_failing_import_is_shown(real):
    _service, candidate = real
    result = finished_run(candidate, 'for i in range(2000):\n    print("line", i)\nraise ValueError("boom")\n')
    assert result["verdict"] == "runtime_error" and result["passed"] == 0
    assert all(c["outcome"] == "error" and "boom" in c["message"] for c in result["checks"])
    output = result["output"]
    assert output.startswith("line 0\nline 1\n")
    assert "[output cut:" in output and len(output.encode()) < 2 * OUTPUT_CAP_BYTES

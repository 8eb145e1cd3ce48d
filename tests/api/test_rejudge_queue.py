"""Rejudges never crowd candidates out: one open round per assessment, their gradings wait behind
candidates' work in the real embedded pool, and neither they nor POST /submissions' limit lock the
other out. A gated FakeSandbox holds grading still while the test arranges the queue."""

from __future__ import annotations

import threading
import time

import pytest

from judge.sandbox.base import EventSink, SandboxJob, SandboxRun
from judge.settings import Settings
from judge.storage import keys, submissions
from judge.storage.models import Role
from tests.api.support import FakeSandbox
from tests.api.test_assessments import SOLUTION_BODY, T0, Clock, Team, refused, started


class GatedSandbox(FakeSandbox):
    """A FakeSandbox whose runs wait while the gate is closed, recording the order sources ran in
    (by their first line)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.gate.set()
        self.order: list[str] = []

    def run(self, job: SandboxJob, on_event: EventSink | None = None) -> SandboxRun:
        """Wait for the gate (at most a minute), note the source, then run as FakeSandbox does."""
        self.gate.wait(60)
        source = (job.workspace.candidate_dir / job.config.entrypoint).read_text(encoding="utf-8")
        with self._lock:
            self.order.append(source.splitlines()[0])
        return super().run(job, on_event)


@pytest.fixture
def gated():
    """One GatedSandbox, which the service grades with."""
    return GatedSandbox()


def _service(start_service, gated: GatedSandbox, **groups: dict):
    def factory(_settings: Settings) -> GatedSandbox:
        return gated

    service = start_service(sandbox_factory=factory, queue={"workers": 1, **groups.pop("queue", {})}, **groups)
    service.state.clock = Clock(T0)
    with service.state.sessions() as session:
        acme = Team(service, keys.create_key(session, Role.TEAM, "acme", team="acme").secret)
        globex = Team(service, keys.create_key(session, Role.TEAM, "globex", team="globex").secret)
    return service, acme, globex


def _graded_attempts(service, team: Team, name: str, count: int) -> dict:
    """An assessment of `team` where candidate `name` submitted `count` graded attempts (first lines `# name n`)."""
    assessment = team.create(max_attempts=count)
    _invitation, candidate = started(service, team, assessment["id"], name)
    for number in range(count):
        candidate.submitted(f"# {name} {number}\n" + SOLUTION_BODY)
    return assessment


def _wait_until(predicate, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _all_finished(service) -> bool:
    with service.state.sessions() as session:
        return not submissions.unfinished(session)


def test_a_candidates_submission_is_graded_before_a_waiting_rejudge(start_service, gated):
    service, acme, _globex = _service(start_service, gated)
    assessment = _graded_attempts(service, acme, "ada", 3)
    other = _graded_attempts(service, acme, "cy", 3)
    gated.gate.clear()
    gated.order.clear()
    first = acme.call("POST", f"/assessments/{assessment['id']}/rejudge", json={})
    assert first.status_code == 202 and first.json()["gradings"] == 3
    second = acme.call("POST", f"/assessments/{other['id']}/rejudge", json={})
    assert second.status_code == 202 and second.json()["gradings"] == 3
    # Candidates' work arrives after six rejudge gradings: practice, and an assessment attempt.
    practice = service.submit(service.candidate, "# urgent practice\n")
    _invitation, dee = started(service, acme, assessment["id"], "Dee")
    attempt = dee.submit("# urgent attempt\n" + SOLUTION_BODY)
    assert attempt.status_code == 202
    gated.gate.set()
    _wait_until(lambda: _all_finished(service), "every grading")
    assert service.wait(service.candidate, practice["id"])["status"] == "completed"
    rejudged = [line for line in gated.order if not line.startswith("# urgent")]
    assert len(gated.order) == 8 and len(rejudged) == 6
    # The one thread may have held a rejudge grading when the candidates came; nothing else went first.
    urgent_at = sorted(gated.order.index(line) for line in ("# urgent practice", "# urgent attempt"))
    assert urgent_at in ([0, 1], [1, 2]), gated.order


def test_one_open_round_per_assessment_whatever_its_scope(start_service, gated):
    service, acme, globex = _service(start_service, gated)
    assessment = _graded_attempts(service, acme, "ada", 2)
    path = f"/assessments/{assessment['id']}/rejudge"
    gated.gate.clear()
    assert acme.call("POST", path, json={"problem": "kl-divergence"}).status_code == 202
    for body in ({}, {"problem": "kl-divergence"}, {"problem": "generative-models-quiz"}, {}):
        body_seen = refused(acme.call("POST", path, json=body), 409, None)
        assert body_seen["detail"].startswith(
            "rejudge round 1 (problem 'kl-divergence') is still grading (0 of 2 graded)"
        )
    refused(globex.call("POST", path, json={}), 404, None)
    assert [r["round"] for r in acme.call("GET", f"/assessments/{assessment['id']}/rejudges").json()] == [1]
    gated.gate.set()
    _wait_until(lambda: _all_finished(service), "round 1")
    again = acme.call("POST", path, json={})
    assert again.status_code == 202 and again.json()["round"] == 2 and again.json()["gradings"] == 2


def test_rejudges_neither_lock_candidates_out_nor_queue_past_the_limit(start_service, gated):
    service, acme, globex = _service(start_service, gated, queue={"limit": 3})
    assessment = _graded_attempts(service, acme, "ada", 3)
    small = _graded_attempts(service, globex, "bo", 1)
    gated.gate.clear()
    # The one thread is busy: every rejudge grading stays queued.
    blocker = service.submit(service.candidate, "# blocker\n")
    _wait_until(lambda: service.wait(service.candidate, blocker["id"], 0)["status"] == "running", "the blocker to run")
    assert acme.call("POST", f"/assessments/{assessment['id']}/rejudge", json={}).status_code == 202
    # Three rejudge gradings wait, as many as the limit: candidates still get in.
    accepted = service.submit(service.candidate, "# after the rejudge\n")
    full = refused(globex.call("POST", f"/assessments/{small['id']}/rejudge", json={}), 503, None)
    assert full["detail"].startswith(
        "this round would queue 1 gradings on top of 3 rejudge gradings already waiting, past the queue limit of 3"
    )
    # Alternating scopes starts nothing while the round is open.
    for body in ({"problem": "kl-divergence"}, {}, {"problem": "kl-divergence"}):
        refused(acme.call("POST", f"/assessments/{assessment['id']}/rejudge", json=body), 409, None)
    with service.state.sessions() as session:
        assert submissions.low_priority_backlog(session) == 3 and submissions.queue_depth(session) == 1
    gated.gate.set()
    assert service.wait(service.candidate, accepted["id"])["status"] == "completed"
    _wait_until(lambda: _all_finished(service), "every grading")
    assert globex.call("POST", f"/assessments/{small['id']}/rejudge", json={}).status_code == 202


def test_a_round_larger_than_the_limit_is_refused_and_one_problem_fits(start_service, gated):
    service, acme, _globex = _service(start_service, gated, queue={"limit": 2, "retry_after_s": 7})
    assessment = acme.create(max_attempts=2)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    ada.submitted("# ada kl\n" + SOLUTION_BODY)
    ada.submitted("# ada kl again\n" + SOLUTION_BODY)
    ada.submitted('{"answers": {}}', problem="generative-models-quiz")
    path = f"/assessments/{assessment['id']}/rejudge"
    answer = acme.call("POST", path, json={})
    # The same Retry-After as a full queue for candidates' work: one setting says when to come back.
    assert answer.headers["Retry-After"] == "7"
    whole = refused(answer, 503, None)
    assert (
        "would queue 3 gradings on top of 0" in whole["detail"] and "rejudge one problem at a time" in whole["detail"]
    )
    assert acme.call("POST", path, json={"problem": "kl-divergence"}).status_code == 202

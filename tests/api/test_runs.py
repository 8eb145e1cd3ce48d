"""Runs over HTTP on the real app with a FakeSandbox: a Run grades the public checks only, returns the
code's printed output, uses no attempt and shows up in no listing, report, export, similarity or
integrity scan or rejudge; it is rate-limited per caller, refused outside the candidate's time, and
readable only by whoever made it."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import timedelta

import pytest

from judge.grading import public_checks
from judge.problem import load_problem
from judge.sandbox.base import SandboxJob, SandboxRun
from judge.storage import keys
from judge.storage.models import Role
from tests.api.packages import tiny_package
from tests.api.support import FakeSandbox
from tests.api.test_assessments import HOUR, KL, SOLUTION_BODY, T0, Candidate, Clock, Team, refused, started

KL_PUBLIC = [c.id for c in public_checks(KL)]
KL_HIDDEN_FILES = sorted(p.name for p in KL.hidden_checks_dir.glob("*.py"))
KL_PUBLIC_FILES = sorted(p.name for p in KL.public_checks_dir.glob("*.py"))


class RecordingSandbox(FakeSandbox):
    """The FakeSandbox, noting which check files each run's workspace held."""

    def __init__(self) -> None:
        super().__init__()
        self.check_files: list[list[str]] = []

    def run(self, job: SandboxJob, on_event=None) -> SandboxRun:
        """Note the checks directory, then run as the FakeSandbox does."""
        self.check_files.append(sorted(os.listdir(job.workspace.checks_dir)))
        return super().run(job, on_event)


@pytest.fixture
def clock() -> Clock:
    """A clock at the assessment's opening."""
    return Clock(T0)


@pytest.fixture
def world(start_service, clock):
    """The service on `clock` with a RecordingSandbox, team `acme` and team `globex`."""
    sandbox = RecordingSandbox()
    service = start_service(sandbox_factory=lambda _settings: sandbox, rate_limits={"runs_per_minute": 50})
    service.state.clock = clock
    with service.state.sessions() as session:
        acme = keys.create_key(session, Role.TEAM, "acme", team="acme").secret
        globex = keys.create_key(session, Role.TEAM, "globex", team="globex").secret
    return service, Team(service, acme), Team(service, globex), sandbox


def run(candidate: Candidate, source: str, problem: str = "kl-divergence") -> dict:
    """A candidate's Run (202 asserted), waited for until graded."""
    answer = candidate.call("POST", "/runs", json={"problem": problem, "source": source})
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] in ("queued", "running") and answer.json()["total"] == len(KL_PUBLIC)
    done = candidate.call("GET", f"/runs/{answer.json()['id']}", params={"wait": 20})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed", done.json()
    return done.json()


def test_a_candidate_run_grades_only_public_checks_and_shows_the_printed_output(world, clock):
    service, acme, _globex, sandbox = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    clock.set(T0 + timedelta(minutes=5))
    result = run(ada, "# fake: print=hello-from-my-model\n# fake: fail=categorical_shapes\n" + SOLUTION_BODY)
    assert [c["id"] for c in result["checks"]] == KL_PUBLIC
    assert [c["outcome"] for c in result["checks"]] == ["passed", "failed"]
    assert result["checks"][1]["message"] == "the fake sandbox failed this check"
    assert all(c["title"] for c in result["checks"])
    assert result["passed"] == 1 and result["total"] == 2 and result["verdict"] == "partial"
    # The code's own output, without the checks' output that came before it on the runner's stderr.
    assert result["output"] == "hello-from-my-model"
    # Its event stream: one event per public check, then the Run.
    stream = ada.call("GET", f"/runs/{result['id']}/events").text
    events = [dict(line.split(": ", 1) for line in block.splitlines()) for block in stream.strip().split("\n\n")]
    checks = [json.loads(e["data"]) for e in events if e["event"] == "check"]
    assert [c["id"] for c in checks] == KL_PUBLIC and stream.count("event: check") == len(KL_PUBLIC)
    assert "event: result" in stream and '"output":"hello-from-my-model"' in stream
    # Hidden checks were never even copied into the Run's workspace.
    assert sandbox.check_files == [KL_PUBLIC_FILES]
    assert not set(KL_HIDDEN_FILES) & set(sandbox.check_files[0])


def test_a_run_uses_no_attempt_and_counts_nowhere(world, clock):
    service, acme, _globex, _sandbox = world
    assessment = acme.create()
    ada_invitation, ada = started(service, acme, assessment["id"], "Ada")
    _bob_invitation, bob = started(service, acme, assessment["id"], "Bob")
    clock.set(T0 + timedelta(minutes=5))
    # Ada and Bob run the same code, with a tampering import: a pair and a flag, were it counted.
    tampering = "# fake: print=x\nimport ctypes\n" + SOLUTION_BODY
    ada_run, bob_run = run(ada, tampering), run(bob, tampering)
    overview = ada.call("GET", "").json()
    kl = next(p for p in overview["problems"] if p["problem"] == "kl-divergence")
    assert kl["attempts_used"] == 0 and kl["attempts_left"] == 3 and kl["score"] is None
    assert ada.call("GET", "/submissions").json() == []
    report = acme.report(assessment["id"])
    assert report["similar_pairs"] == [] and report["distribution"]["max"] == 0
    for row in report["ranking"]:
        assert row["total_score"] in (0, None) and row["integrity_flags"] == 0 and row["similar_to"] == []
        assert row["scores"]["kl-divergence"] is None and row["verdicts"]["kl-divergence"] is None
    detail = acme.candidate(assessment["id"], ada_invitation["id"])
    assert all(p["entries"] == [] for p in detail["problems"])
    exported = acme.call("GET", f"/assessments/{assessment['id']}/export", params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["scores.kl-divergence"] for r in rows] == ["", ""]
    assert ada_run["id"] not in exported.text
    # No submission to rejudge: the Runs are not gradings of the assessment.
    refused(acme.call("POST", f"/assessments/{assessment['id']}/rejudge", json={}), 422, None)
    # Not in any key's submission list, not readable as a submission, not in the metrics' counts.
    for key in (service.admin, acme.key):
        listed = service.client.get("/api/v1/submissions", headers=service.auth(key)).json()["items"]
        assert {ada_run["id"], bob_run["id"]}.isdisjoint(item["id"] for item in listed)
        assert service.client.get(f"/api/v1/submissions/{ada_run['id']}", headers=service.auth(key)).status_code == 404
    assert 'judge_submissions_by_status{status="completed"} 0.0' in service.client.get("/metrics").text
    # Then a real submission counts as before: attempt 1, in the report.
    submitted = ada.submitted(SOLUTION_BODY)
    assert submitted["number"] == 1
    assert acme.report(assessment["id"])["ranking"][0]["scores"]["kl-divergence"] == 30


def test_a_candidates_run_is_theirs_alone(world, clock):
    service, acme, globex, _sandbox = world
    assessment = acme.create()
    _ada_invitation, ada = started(service, acme, assessment["id"], "Ada")
    _bob_invitation, bob = started(service, acme, assessment["id"], "Bob")
    theirs = globex.create()
    _eve_invitation, eve = started(service, globex, theirs["id"], "Eve")
    mine = run(ada, "# fake: print=mine\n")
    assert ada.call("GET", f"/runs/{mine['id']}").json()["output"] == "mine"
    # Another candidate of the same assessment, and of another team: the 404 of an unknown id.
    for other in (bob, eve):
        refused(other.call("GET", f"/runs/{mine['id']}"), 404, f"no run {mine['id']!r} among yours")
        refused(other.call("GET", f"/runs/{mine['id']}/events"), 404, f"no run {mine['id']!r} among yours")
    # No API key reads a candidate's Run, not even the team's or an admin's.
    for key in (acme.key, service.admin):
        answer = service.client.get(f"/api/v1/runs/{mine['id']}", headers=service.auth(key))
        refused(answer, 404, None)
    # A problem outside the candidate's assessment is not theirs to run.
    refused(eve.call("POST", "/runs", json={"problem": "vae-mnist", "source": "x = 1\n"}), 404, None)


@pytest.mark.parametrize(
    ("moment", "status", "detail"),
    [
        (T0 - HOUR, 403, "the assessment is not open: code can be run only while it is"),
        (T0 + 9 * HOUR, 403, "the assessment is not open: code can be run only while it is"),
        (T0 + 2 * HOUR, 403, "your time has ended: code can no longer be run"),
    ],
)
def test_a_run_is_refused_outside_the_candidates_time(world, clock, moment, status, detail):
    service, acme, _globex, sandbox = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    clock.set(moment)
    refused(ada.call("POST", "/runs", json={"problem": "kl-divergence", "source": "x = 1\n"}), status, detail)
    assert sandbox.check_files == []


def test_a_run_before_start_or_after_finish_is_refused(world, clock):
    service, acme, _globex, _sandbox = world
    assessment = acme.create()
    waiting = Candidate(service, acme.invite(assessment["id"], "Ada")["token"])
    body = {"problem": "kl-divergence", "source": "x = 1\n"}
    refused(waiting.call("POST", "/runs", json=body), 409, "press Start before running your code")
    waiting.start()
    assert waiting.call("POST", "/runs", json=body).status_code == 202
    waiting.call("POST", "/finish")
    refused(waiting.call("POST", "/runs", json=body), 403, "your time has ended: code can no longer be run")


def test_a_run_of_a_quiz_or_an_invalid_source_is_refused(world):
    service, acme, _globex, _sandbox = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    refused(
        ada.call("POST", "/runs", json={"problem": "generative-models-quiz", "source": "{}"}),
        422,
        "generative-models-quiz is a quiz: there is nothing to run; submit your answers",
    )
    refused(ada.call("POST", "/runs", json={"problem": "kl-divergence", "source": "a\0b"}), 422, None)
    refused(ada.call("POST", "/runs", json={"problem": "kl-divergence"}), 422, None)


def test_runs_are_rate_limited_per_candidate_with_retry_after(start_service, clock):
    service = start_service(rate_limits={"runs_per_minute": 2})
    service.state.clock = clock
    with service.state.sessions() as session:
        acme = Team(service, keys.create_key(session, Role.TEAM, "acme", team="acme").secret)
    assessment = acme.create()
    _ada_invitation, ada = started(service, acme, assessment["id"], "Ada")
    _bob_invitation, bob = started(service, acme, assessment["id"], "Bob")
    body = {"problem": "kl-divergence", "source": "x = 1\n"}
    assert [ada.call("POST", "/runs", json=body).status_code for _ in range(2)] == [202, 202]
    limited = ada.call("POST", "/runs", json=body)
    refused(limited, 429, None)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "2 times a minute" in limited.json()["detail"]
    # Only Runs are limited: the candidate still submits, and another candidate still runs.
    assert ada.submit("x = 1\n").status_code == 202
    assert bob.call("POST", "/runs", json=body).status_code == 202
    # Practice Runs: limited per key the same way.
    auth = service.auth(service.candidate)
    practice = {"problem": "kl-divergence", "source": "x = 1\n"}
    statuses = [service.client.post("/api/v1/runs", json=practice, headers=auth).status_code for _ in range(3)]
    assert statuses == [202, 202, 429]
    assert service.client.post("/api/v1/runs", json=practice, headers=service.auth(service.team)).status_code == 202


@pytest.mark.parametrize("role", ["admin", "team", "candidate"])
def test_each_role_runs_practice_problems_and_reads_only_its_own_runs(world, role):
    service, acme, globex, _sandbox = world
    key = {"admin": service.admin, "team": acme.key, "candidate": service.candidate}[role]
    answer = service.client.post(
        "/api/v1/runs",
        json={"problem": "kl-divergence", "source": "# fake: print=practice\n# fake: fail=all\n"},
        headers=service.auth(key),
    )
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["id"]
    done = service.client.get(f"/api/v1/runs/{run_id}", params={"wait": 20}, headers=service.auth(key)).json()
    assert done["status"] == "completed" and done["verdict"] == "wrong_answer" and done["output"] == "practice"
    assert [c["id"] for c in done["checks"]] == KL_PUBLIC and done["passed"] == 0
    others = {service.admin, acme.key, globex.key, service.candidate, service.other_candidate} - {key}
    for other in others:
        refused(service.client.get(f"/api/v1/runs/{run_id}", headers=service.auth(other)), 404, None)
        refused(service.client.get(f"/api/v1/runs/{run_id}/events", headers=service.auth(other)), 404, None)
    stream = service.client.get(f"/api/v1/runs/{run_id}/events", headers=service.auth(key)).text
    assert stream.count("event: check") == len(KL_PUBLIC) and "event: result" in stream
    listed = service.client.get("/api/v1/submissions", headers=service.auth(key)).json()["items"]
    assert run_id not in {item["id"] for item in listed}


def test_practice_runs_see_only_the_callers_problems(start_service, tmp_path):
    bank = tmp_path / "acme-bank"
    for name, data in tiny_package("acme-private").items():
        target = bank / "acme-private" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    service = start_service(problems={"team_dirs": {"acme": [bank]}})
    with service.state.sessions() as session:
        acme = keys.create_key(session, Role.TEAM, "acme", team="acme").secret
        globex = keys.create_key(session, Role.TEAM, "globex", team="globex").secret
    body = {"problem": "acme-private", "source": "# fake: print=ok\ndef add(a, b):\n    return a + b\n"}
    answer = service.client.post("/api/v1/runs", json=body, headers=service.auth(acme))
    assert answer.status_code == 202, answer.text
    done = service.client.get(f"/api/v1/runs/{answer.json()['id']}", params={"wait": 20}, headers=service.auth(acme))
    private = load_problem(bank / "acme-private")
    assert [c["id"] for c in done.json()["checks"]] == [c.id for c in public_checks(private)] == ["alpha"]
    for key in (globex, service.candidate):
        refused(service.client.post("/api/v1/runs", json=body, headers=service.auth(key)), 404, None)
    refused(service.client.post("/api/v1/runs", json=body), 401, None)

"""Candidates' drafts over HTTP on the real app with a FakeSandbox: saving and restoring, the size bound,
refusals outside the candidate's time, isolation between candidates, and the draft submitted once
when the time runs out."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from judge.assessments import drafts
from judge.storage import drafts as stored
from judge.storage import keys
from judge.storage.models import AssessmentEntry, Role
from tests.api.test_assessments import HOUR, KL, T0, Candidate, Clock, Team, refused, started
from tests.api.test_candidate_cookie import _browser_taking

SECOND = timedelta(seconds=1)
DRAFT = "# fake: fail=\nimport torch\n\n\ndef kl_categorical(p, q):\n    return p\n"
LIMIT = 2000


@pytest.fixture
def clock() -> Clock:
    """A clock at the assessment's opening."""
    return Clock(T0)


@pytest.fixture
def world(start_service, clock):
    """The service on `clock`, submissions at most LIMIT bytes; teams acme and globex. The service's own
    sweeper waits an hour, so that each test decides when a sweep runs."""
    service = start_service(limits={"max_source_bytes": LIMIT}, assessments={"draft_sweep_interval_s": 3600})
    service.state.clock = clock
    with service.state.sessions() as session:
        acme = keys.create_key(session, Role.TEAM, "acme", team="acme").secret
        globex = keys.create_key(session, Role.TEAM, "globex", team="globex").secret
    return service, Team(service, acme), Team(service, globex)


def _draft(candidate: Candidate, problem: str = "kl-divergence") -> dict:
    answer = candidate.call("GET", f"/drafts/{problem}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _save(candidate: Candidate, source: str, problem: str = "kl-divergence"):
    return candidate.call("PUT", f"/drafts/{problem}", json={"source": source})


def _entries(service) -> list[AssessmentEntry]:
    with service.state.sessions() as session:
        return list(session.scalars(select(AssessmentEntry).order_by(AssessmentEntry.submitted_at)))


def test_the_editor_restores_the_draft_then_the_submission_then_a_newer_draft(world, clock):
    service, acme, _globex = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    first = _draft(ada)
    assert (first["origin"], first["source"], first["saved_at"]) == ("starter", KL.starter(), None)

    clock.set(T0 + 60 * SECOND)
    saved = _save(ada, DRAFT)
    assert saved.status_code == 200, saved.text
    assert saved.json()["origin"] == "draft"
    restored = _draft(ada)
    assert (restored["origin"], restored["source"]) == ("draft", DRAFT)
    assert restored["saved_at"].startswith("2030-01-01T09:01:00")

    clock.set(T0 + 120 * SECOND)
    submitted_code = DRAFT + "# submitted\n"
    ada.submitted(submitted_code)
    after = _draft(ada)
    assert (after["origin"], after["source"]) == ("submission", submitted_code), "the submission is newer"

    clock.set(T0 + 180 * SECOND)
    assert _save(ada, DRAFT + "# edited after submitting\n").status_code == 200
    assert _draft(ada)["source"] == DRAFT + "# edited after submitting\n"


def test_a_draft_is_bounded_like_a_submission_and_only_for_code_problems(world):
    service, acme, _globex = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    assert _save(ada, "x" * LIMIT).status_code == 200, "exactly the limit is kept"
    refused(_save(ada, "x" * (LIMIT + 1)), 422, f"submission is {LIMIT + 1} bytes; the limit is {LIMIT}")
    assert _draft(ada)["source"] == "x" * LIMIT, "the refused draft replaced nothing"
    refused(_save(ada, "a\0b"), 422, "submission holds a NUL character (character 1); it is not a text file")
    refused(
        _save(ada, "{}", "generative-models-quiz"),
        422,
        "'generative-models-quiz' is a quiz: drafts are kept for code problems only",
    )
    refused(_save(ada, DRAFT, "vae-mnist"), 404, "problem 'vae-mnist' is not part of this assessment")
    body = refused(ada.call("PUT", "/drafts/kl-divergence", json={"source": DRAFT, "extra": 1}), 422, None)
    assert "extra" in body["detail"]


def test_a_draft_is_saved_only_while_the_candidates_time_runs(world, clock):
    service, acme, _globex = world
    assessment = acme.create()
    waiting = Candidate(service, acme.invite(assessment["id"], "Wendy")["token"])
    refused(_save(waiting, DRAFT), 409, "press Start before saving a draft")
    refused(waiting.call("GET", "/drafts/kl-divergence"), 409, None)

    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    assert _save(ada, DRAFT).status_code == 200
    clock.set(T0 + HOUR)
    refused(_save(ada, "late"), 403, "your time is up; the draft was not saved")
    assert _draft(ada)["source"] == DRAFT, "reading stays possible, the draft unchanged"

    clock.set(T0 + 10 * SECOND)
    _bob_invitation, bob = started(service, acme, assessment["id"], "Bob")
    assert bob.call("POST", "/finish").status_code == 200
    refused(_save(bob, DRAFT), 403, "your time is up; the draft was not saved")
    clock.set(T0 + 9 * HOUR)
    refused(_save(ada, DRAFT), 403, "the assessment is not open; the draft was not saved")


def test_a_candidate_reaches_only_their_own_draft(world):
    service, acme, globex = world
    assessment = acme.create()
    theirs = globex.create(problems=[{"problem": "kl-divergence"}])
    _ada_invitation, ada = started(service, acme, assessment["id"], "Ada")
    _bob_invitation, bob = started(service, acme, assessment["id"], "Bob")
    _eve_invitation, eve = started(service, globex, theirs["id"], "Eve")
    assert _save(ada, DRAFT).status_code == 200
    for other in (bob, eve):
        seen = _draft(other)
        assert (seen["origin"], seen["source"]) == ("starter", KL.starter()), "nobody else's draft"
    assert _save(bob, "# bob\n").status_code == 200
    assert _save(eve, "# eve\n").status_code == 200
    assert _draft(ada)["source"] == DRAFT, "their saves left Ada's draft alone"
    for key in (acme.key, service.candidate, service.admin):
        answer = service.client.get("/api/v1/candidate/drafts/kl-divergence", headers=service.auth(key))
        refused(answer, 401, None)


def test_saving_with_the_invitation_cookie_needs_the_csrf_token(service):
    _issued, token = _browser_taking(service)
    client = service.client
    assert client.post("/api/v1/candidate/start", headers={"X-CSRF-Token": token}).status_code == 200
    for forged in ({}, {"X-CSRF-Token": "forged"}):
        answer = client.put("/api/v1/candidate/drafts/vae-mnist", json={"source": "# mine\n"}, headers=forged)
        refused(answer, 403, None)
    assert client.get("/api/v1/candidate/drafts/vae-mnist").json()["origin"] == "starter", "reading needs no token"
    answer = client.put(
        "/api/v1/candidate/drafts/vae-mnist", json={"source": "# mine\n"}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 200, answer.text
    assert client.get("/api/v1/candidate/drafts/vae-mnist").json()["source"] == "# mine\n"


def _sweep(service, clock) -> list[str]:
    with service.state.sessions() as session:
        return drafts.submit_when_time_up(session, service.state.bank, clock(), service.state.enqueue)


def test_when_the_time_runs_out_an_unsubmitted_draft_is_submitted_once(world, clock):
    service, acme, _globex = world
    assessment = acme.create()
    ada_invitation, ada = started(service, acme, assessment["id"], "Ada")
    clock.set(T0 + 30 * SECOND)
    bob_invitation, bob = started(service, acme, assessment["id"], "Bob")
    clock.set(T0 + 60 * SECOND)
    assert _save(ada, DRAFT).status_code == 200
    # Bob submitted the problem and then kept editing: his attempt stands, his draft is not submitted.
    bob.submitted(DRAFT)
    assert _save(bob, DRAFT + "# more\n").status_code == 200

    clock.set(T0 + 59 * 60 * SECOND)
    assert _sweep(service, clock) == [], "their time still runs"
    assert len(_entries(service)) == 1

    clock.set(T0 + HOUR)
    overview = ada.call("GET", "").json()
    kl = next(p for p in overview["problems"] if p["problem"] == "kl-divergence")
    assert kl["attempts_used"] == 1, "the candidate's next read submitted it"
    mine = ada.call("GET", "/submissions").json()
    assert [(s["problem"], s["number"]) for s in mine] == [("kl-divergence", 1)]
    assert mine[0]["submitted_at"].startswith("2030-01-01T10:00:00"), "submitted at the end of their time"
    assert ada.wait(mine[0]["id"])["status"] == "completed", "graded like any attempt"
    assert _draft(ada)["auto_submitted"] == mine[0]["id"]
    assert _draft(ada)["origin"] == "submission"

    assert _sweep(service, clock) == [], "never twice"
    assert ada.call("GET", "").status_code == 200
    entries = [(e.invitation_id, e.problem, e.number) for e in _entries(service)]
    # Bob's own submission, then Ada's draft once; Bob's later draft is not submitted.
    assert entries == [(bob_invitation["id"], "kl-divergence", 1), (ada_invitation["id"], "kl-divergence", 1)]


def test_finishing_early_submits_the_draft_as_of_the_moment_of_finishing(world, clock):
    service, acme, _globex = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    assert _save(ada, DRAFT).status_code == 200
    clock.set(T0 + 5 * SECOND)
    assert ada.call("POST", "/finish").status_code == 200
    assert [e.number for e in _entries(service)] == [], "nothing before the next read or sweep"
    made = _sweep(service, clock)
    assert len(made) == 1
    (entry,) = _entries(service)
    assert entry.submitted_at == T0 + 5 * SECOND, "submitted when they finished"


def test_a_sweep_that_died_before_its_commit_is_done_by_the_next(world, clock):
    service, acme, _globex = world
    assessment = acme.create()
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    assert _save(ada, DRAFT).status_code == 200
    clock.set(T0 + HOUR)
    with service.state.sessions() as session:
        assert stored.claim(session, invitation["id"], "kl-divergence", clock())
        session.rollback()  # the process died here: nothing it did is kept
    assert len(_sweep(service, clock)) == 1
    assert len(_entries(service)) == 1


def test_simultaneous_sweeps_submit_a_draft_once(world, clock):
    service, acme, _globex = world
    assessment = acme.create()
    for name in ("Ada", "Bob", "Cy"):
        _invitation, candidate = started(service, acme, assessment["id"], name)
        assert _save(candidate, DRAFT).status_code == 200
    clock.set(T0 + HOUR)
    made: list[str] = []
    gate = threading.Barrier(4)

    def sweep() -> None:
        gate.wait()
        made.extend(_sweep(service, clock))

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 3
    assert len(_entries(service)) == 3


def test_the_service_sweeps_by_itself(start_service, clock):
    service = start_service(assessments={"draft_sweep_interval_s": 0.05})
    service.state.clock = clock
    with service.state.sessions() as session:
        acme = Team(service, keys.create_key(session, Role.TEAM, "acme", team="acme").secret)
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    assert _save(ada, DRAFT).status_code == 200
    clock.set(T0 + HOUR)
    deadline = time.monotonic() + 10
    while not _entries(service) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_entries(service)) == 1, "submitted without any request"

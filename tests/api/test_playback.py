"""Code playback over HTTP on the real app with a FakeSandbox: batches kept once, the per-candidate bound
(413, nothing stored), refusals outside the candidate's time, each candidate writing only their own log
and reading none, another team's 404, and the team's read: replay, submission marks, summary and flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from judge.storage import keys
from judge.storage.models import EditLog, Role
from tests.api.test_assessments import HOUR, KL, T0, Candidate, Clock, Team, refused, started

SECOND = timedelta(seconds=1)
LIMIT = 4000
T0_MS = int(T0.timestamp() * 1000)
CODE = "# fake: fail=\nimport torch\n\n\ndef kl_categorical(p, q):\n    return p\n"
PASTED = "def kl_categorical(p, q):\n    return (p * (p / q).log()).sum(-1)\n"


@pytest.fixture
def clock() -> Clock:
    """A clock at the assessment's opening."""
    return Clock(T0)


@pytest.fixture
def world(start_service, clock):
    """The service on `clock`, edit logs bounded at LIMIT bytes per candidate; teams acme and globex."""
    service = start_service(playback={"max_bytes": LIMIT, "away_flag_s": 60})
    service.state.clock = clock
    with service.state.sessions() as session:
        acme = keys.create_key(session, Role.TEAM, "acme", team="acme").secret
        globex = keys.create_key(session, Role.TEAM, "globex", team="globex").secret
    return service, Team(service, acme), Team(service, globex)


def _batch(seq: int, events: list[dict], page: str = "page-one-0001", sent_at: int = T0_MS) -> dict:
    return {"page": page, "seq": seq, "sent_at": sent_at, "events": events}


def _snapshot(t: int, text: str) -> dict:
    return {"type": "snapshot", "t": t, "reason": "load", "files": [{"file": None, "text": text}]}


def _edit(t: int, at: int, delete: int, insert: str, kind: str = "insertText") -> dict:
    return {"type": "edit", "t": t, "file": None, "at": at, "delete": delete, "insert": insert, "input": kind}


def _send(candidate: Candidate, body: dict, problem: str = "kl-divergence"):
    return candidate.call("POST", f"/playback/{problem}", json=body)


def _rows(service) -> int:
    with service.state.sessions() as session:
        return session.scalar(select(func.count()).select_from(EditLog)) or 0


def _playback(team: Team, assessment_id: str, invitation_id: str, problem: str = "kl-divergence"):
    return team.call("GET", f"/assessments/{assessment_id}/candidates/{invitation_id}/playback/{problem}")


def test_a_batch_is_kept_once_and_the_team_replays_it_to_the_submitted_code(world, clock):
    service, acme, _globex = world
    assessment = acme.create()
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    starter = KL.starter()
    typed = "\n# mine"
    events = [_snapshot(T0_MS, starter)] + [
        _edit(T0_MS + 100 * (i + 1), len(starter) + i, 0, ch) for i, ch in enumerate(typed)
    ]
    first = _send(ada, _batch(0, events))
    assert first.status_code == 200, first.text
    assert first.json()["stored"] is True
    again = _send(ada, _batch(0, events))
    assert again.status_code == 200 and again.json()["stored"] is False, "a retried batch is kept once"
    assert again.json()["used_bytes"] == first.json()["used_bytes"]
    assert _rows(service) == 1

    clock.set(T0 + 10 * SECOND)
    entry = ada.submitted(starter + typed)
    view = _playback(acme, assessment["id"], invitation["id"]).json()
    assert len(view["events"]) == 1 + len(typed)
    [mark] = view["submissions"]
    assert (mark["entry_id"], mark["matches_log"], mark["position"]) == (entry["id"], True, 1 + len(typed))
    summary = view["summary"]
    assert (summary["recorded"], summary["characters_typed"], summary["characters_pasted"]) == (True, len(typed), 0)
    assert view["flags"] == []


def test_the_log_is_bounded_per_candidate_and_a_refused_batch_stores_nothing(world):
    service, acme, _globex = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    assert _send(ada, _batch(0, [_snapshot(T0_MS, "x" * (LIMIT // 2))])).status_code == 200
    body = refused(_send(ada, _batch(1, [_snapshot(T0_MS, "y" * (LIMIT // 2))])), 413, None)
    assert f"at most {LIMIT} bytes of edit log are kept per candidate" in body["detail"]
    assert "Your work is not affected" in body["detail"]
    assert _rows(service) == 1, "nothing of the refused batch was stored"
    assert _send(ada, _batch(1, [_edit(T0_MS, 0, 0, "z")])).status_code == 200, "a batch that fits still is"


def test_events_are_recorded_only_while_the_candidates_time_runs_and_only_for_code_problems(world, clock):
    service, acme, _globex = world
    assessment = acme.create()
    waiting = Candidate(service, acme.invite(assessment["id"], "Wendy")["token"])
    refused(_send(waiting, _batch(0, [])), 409, "press Start first: edits are recorded while your time runs")
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    refused(
        _send(ada, _batch(0, []), "generative-models-quiz"),
        422,
        "'generative-models-quiz' is a quiz: edits are recorded for code problems only",
    )
    refused(_send(ada, _batch(0, []), "vae-mnist"), 404, "problem 'vae-mnist' is not part of this assessment")
    body = refused(_send(ada, {**_batch(0, []), "extra": 1}), 422, None)
    assert "extra" in body["detail"]
    clock.set(T0 + HOUR)
    refused(_send(ada, _batch(0, [_edit(T0_MS, 0, 0, "late")])), 403, "your time is up; the edits were not recorded")
    assert _rows(service) == 0


def test_each_candidate_writes_only_their_own_log_and_reads_none_and_another_team_gets_404(world):
    service, acme, globex = world
    assessment = acme.create()
    ada_invitation, ada = started(service, acme, assessment["id"], "Ada")
    bob_invitation, bob = started(service, acme, assessment["id"], "Bob")
    assert _send(bob, _batch(0, [_snapshot(T0_MS, "bob's")])).status_code == 200
    assert _playback(acme, assessment["id"], ada_invitation["id"]).json()["events"] == [], "Bob's went to Bob's log"
    assert len(_playback(acme, assessment["id"], bob_invitation["id"]).json()["events"]) == 1
    path = f"/api/v1/assessments/{assessment['id']}/candidates/{bob_invitation['id']}/playback/kl-divergence"
    as_ada = service.client.get(path, headers={"Authorization": f"Bearer {ada.token}"})
    refused(as_ada, 401, None)
    refused(_playback(globex, assessment["id"], bob_invitation["id"]), 404, None)
    refused(_playback(acme, assessment["id"], bob_invitation["id"], "vae-mnist"), 404, None)


def test_pasted_code_submitted_code_never_typed_and_time_away_are_flagged(world, clock):
    service, acme, _globex = world
    assessment = acme.create(scoring="last")
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    head = "import torch\n\n\n"
    events = [
        _snapshot(T0_MS, head),
        {"type": "away", "t": T0_MS + 1000, "reason": "hidden"},
        {"type": "back", "t": T0_MS + 151_000},
        {"type": "paste", "t": T0_MS + 152_000, "file": None, "size": len(PASTED), "text": PASTED},
        _edit(T0_MS + 152_001, len(head), 0, PASTED, "insertFromPaste"),
    ]
    assert _send(ada, _batch(0, events)).status_code == 200
    clock.set(T0 + 160 * SECOND)
    never_typed = ada.submitted(CODE)
    clock.set(T0 + 170 * SECOND)
    pasted_entry = ada.submitted(head + PASTED)
    view = _playback(acme, assessment["id"], invitation["id"]).json()
    flags = {f["key"]: f for f in view["flags"]}
    assert set(flags) == {"away", "paste:kl-divergence", f"no_history:kl-divergence:{never_typed['id']}"}
    assert flags["away"]["message"] == "away from the page for 2.5 minutes in total (1 time)"
    assert flags["away"]["evidence"]["away_s"] == 150.0
    share = round(100 * len(PASTED.strip()) / len((head + PASTED).strip()))
    assert flags["paste:kl-divergence"]["message"] == (
        f"{len(PASTED.strip())} characters pasted that make up {share}% of the submitted code"
    )
    marks = {m["entry_id"]: m["matches_log"] for m in view["submissions"]}
    assert marks == {never_typed["id"]: False, pasted_entry["id"]: True}
    [paste] = view["summary"]["pastes"]
    assert (paste["size"], paste["from_editor"], paste["survives"]) == (len(PASTED), False, True)
    assert view["summary"]["characters_typed"] == 0 and view["summary"]["characters_pasted"] == len(PASTED)

"""Who reads which submission over /submissions: a candidate key its own, a team key its team's (any
key of the team, and the gradings of the team's assessments), an admin every one; anything else
answers exactly as an unknown id, and never shows another team's callback URL or check messages."""

from __future__ import annotations

import uuid

import pytest

from judge.storage import keys
from judge.storage.models import Role
from tests.api.test_assessments import SOLUTION_BODY, T0, Clock, Team, started

FAILED_MESSAGE = "the fake sandbox failed this check"
ACME_HOOK = "http://127.0.0.1:9/acme-private-hook"
GLOBEX_HOOK = "http://127.0.0.1:9/globex-private-hook"


@pytest.fixture
def tenants(start_service):
    """Graded submissions of team acme (two keys, a practice submission each and one assessment
    grading), team globex, a team key of its own (no team), a candidate key, and every key."""
    service = start_service(callbacks={"secret": "s3cret", "max_deliveries": 1, "allowed_hosts": ["127.0.0.1"]})
    service.state.clock = Clock(T0)
    with service.state.sessions() as session:
        made = {
            name: keys.create_key(session, Role.TEAM, name, team=team).secret
            for name, team in (("acme", "acme"), ("acme2", "acme"), ("globex", "globex"))
        }
    # globex's first: a listing filtered after its LIMIT would lose it behind acme's newer ones.
    ids = {"globex": service.submit(made["globex"], "# globex\n", callback_url=GLOBEX_HOOK)["id"]}
    # Only acme's checks fail, so their messages are acme's alone.
    ids["acme"] = service.submit(made["acme"], "# acme\n# fake: fail=all\n", callback_url=ACME_HOOK)["id"]
    ids["acme2"] = service.submit(made["acme2"], "# acme two\n# fake: fail=all\n")["id"]
    ids["solo"] = service.submit(service.team, "# a team of its own\n")["id"]
    ids["candidate"] = service.submit(service.candidate, "# practice\n")["id"]
    acme = Team(service, made["acme"])
    assessment = acme.create()
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    ada.submitted("# fake: fail=all\n" + SOLUTION_BODY)
    entry = acme.candidate(assessment["id"], invitation["id"])["problems"][0]["entries"][0]
    ids["acme_grading"] = entry["gradings"][0]["submission_id"]
    for submission_id in ids.values():
        assert service.wait(service.admin, submission_id)["status"] == "completed"
    made.update(solo=service.team, candidate=service.candidate, admin=service.admin)
    return service, made, ids


#: Which submissions each key reads.
READS = {
    "acme": {"acme", "acme2", "acme_grading"},
    "acme2": {"acme", "acme2", "acme_grading"},
    "globex": {"globex"},
    "solo": {"solo"},
    "candidate": {"candidate"},
    "admin": {"globex", "acme", "acme2", "solo", "candidate", "acme_grading"},
}


def test_each_key_lists_exactly_the_submissions_it_may_read(tenants):
    service, made, ids = tenants
    for reader, readable in READS.items():
        listed = service.client.get("/api/v1/submissions", params={"limit": 200}, headers=service.auth(made[reader]))
        assert listed.status_code == 200
        assert {item["id"] for item in listed.json()["items"]} == {ids[name] for name in readable}, reader
    # Chosen in the query: globex's first page of one holds its own, older than acme's work.
    page = service.client.get("/api/v1/submissions", params={"limit": 1}, headers=service.auth(made["globex"])).json()
    assert [item["id"] for item in page["items"]] == [ids["globex"]]


def test_reading_another_teams_submission_answers_as_an_unknown_id(tenants):
    service, made, ids = tenants
    for reader, readable in READS.items():
        headers = service.auth(made[reader])
        for name, submission_id in [*ids.items(), ("unknown", uuid.uuid4().hex)]:
            one = service.client.get(f"/api/v1/submissions/{submission_id}", headers=headers)
            events = service.client.get(f"/api/v1/submissions/{submission_id}/events", headers=headers)
            if name in readable:
                assert one.status_code == 200 and one.json()["id"] == submission_id
                assert events.status_code == 200 and "event: result" in events.text
            else:
                for answer in (one, events):
                    assert answer.status_code == 404, (reader, name, answer.text)
                    assert answer.json()["detail"] == f"no submission '{submission_id}'"


def test_another_teams_callback_url_and_check_messages_never_appear(tenants):
    service, made, ids = tenants
    acme_view = service.client.get(f"/api/v1/submissions/{ids['acme']}", headers=service.auth(made["acme2"])).text
    assert ACME_HOOK in acme_view and FAILED_MESSAGE in acme_view, "acme's own keys read both"
    for reader in ("globex", "solo", "candidate"):
        headers = service.auth(made[reader])
        seen = [service.client.get("/api/v1/submissions", params={"limit": 200}, headers=headers).text]
        for submission_id in ids.values():
            seen.append(service.client.get(f"/api/v1/submissions/{submission_id}", headers=headers).text)
            seen.append(service.client.get(f"/api/v1/submissions/{submission_id}/events", headers=headers).text)
        assert not any(ACME_HOOK in text or FAILED_MESSAGE in text for text in seen), reader
    globex_view = service.client.get(f"/api/v1/submissions/{ids['globex']}", headers=service.auth(made["acme"]))
    assert globex_view.status_code == 404 and GLOBEX_HOOK not in globex_view.text

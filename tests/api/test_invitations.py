"""Invitations over the API beyond one at a time: re-issuing a link (the old token stops working at
once), and inviting a CSV list (all or nothing, every bad line named, duplicates confirmed, a limit)."""

from __future__ import annotations

import pytest

from judge.assessments.errors import InvalidInvitationList
from judge.assessments.invitations import parse_csv
from judge.assessments.schemas import MAX_BATCH_ROWS
from judge.storage import keys
from judge.storage.models import Role
from tests.web.pages import invite, make_assessment


def rival(service) -> str:
    """A team key of another team."""
    with service.state.sessions() as session:
        return keys.create_key(session, Role.TEAM, "rival", team="rival").secret


def candidate_status(service, token: str) -> int:
    """What the candidate API answers this invitation token."""
    return service.client.get("/api/v1/candidate", headers=service.auth(token)).status_code


def bulk(service, key: str, assessment_id: str, text: str, **extra):
    """POST a CSV list to the bulk endpoint."""
    return service.client.post(
        f"/api/v1/assessments/{assessment_id}/invitations/bulk",
        json={"csv": text, **extra},
        headers=service.auth(key),
    )


# ---------------------------------------------------------------- re-issuing a link


def test_a_reissued_link_replaces_the_old_one_at_once(service):
    made = make_assessment(service.client, service.team)
    old = invite(service.client, service.team, made["id"], "Ada")
    assert candidate_status(service, old["token"]) == 200
    answer = service.client.post(
        f"/api/v1/assessments/{made['id']}/invitations/{old['id']}/reissue", headers=service.auth(service.team)
    )
    assert answer.status_code == 200, answer.text
    new = answer.json()
    assert new["id"] == old["id"] and new["candidate_name"] == "Ada"
    assert new["token"] != old["token"] and new["link"] == f"/invite/{new['token']}"
    assert candidate_status(service, old["token"]) == 401, "the old token stops working at once"
    assert candidate_status(service, new["token"]) == 200
    listed = service.client.get(f"/api/v1/assessments/{made['id']}/invitations", headers=service.auth(service.team))
    assert [i["id"] for i in listed.json()] == [old["id"]], "still one invitation, not a second"
    assert "token" not in listed.json()[0]


def test_an_admin_may_reissue_and_others_may_not(service):
    made = make_assessment(service.client, service.team)
    ada = invite(service.client, service.team, made["id"], "Ada")
    path = f"/api/v1/assessments/{made['id']}/invitations/{ada['id']}/reissue"
    assert service.client.post(path, headers=service.auth(service.admin)).status_code == 200
    assert service.client.post(path, headers=service.auth(rival(service))).status_code == 404, "another team's"
    assert service.client.post(path, headers=service.auth(service.candidate)).status_code == 403
    assert service.client.post(path, headers=service.auth(ada["token"])).status_code == 401, "the candidate's own"
    assert service.client.post(path).status_code == 401
    unknown = f"/api/v1/assessments/{made['id']}/invitations/0123456789abcdef/reissue"
    assert service.client.post(unknown, headers=service.auth(service.team)).status_code == 404


def test_a_withdrawn_invitation_is_not_reissued(service):
    made = make_assessment(service.client, service.team)
    ada = invite(service.client, service.team, made["id"], "Ada")
    auth = service.auth(service.team)
    assert service.client.delete(f"/api/v1/assessments/{made['id']}/invitations/{ada['id']}", headers=auth).is_success
    answer = service.client.post(f"/api/v1/assessments/{made['id']}/invitations/{ada['id']}/reissue", headers=auth)
    assert answer.status_code == 422 and "withdrawn" in answer.json()["detail"]
    assert candidate_status(service, ada["token"]) == 401


# ---------------------------------------------------------------- a CSV list


def test_a_csv_list_invites_everyone_with_a_link_each(service):
    made = make_assessment(service.client, service.team)
    answer = bulk(service, service.team, made["id"], "name,email\nAda Lovelace,ada@example.com\n\n  Bob  \n")
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    assert [(i["candidate_name"], i["candidate_email"]) for i in issued] == [
        ("Ada Lovelace", "ada@example.com"),
        ("Bob", None),
    ]
    assert all(candidate_status(service, i["token"]) == 200 for i in issued)


def test_every_bad_line_is_named_and_nobody_is_invited(service):
    made = make_assessment(service.client, service.team)
    text = "Ada,ada@example.com\n,nobody@example.com\nBob,not-an-email\nCy,cy@example.com,extra\n"
    answer = bulk(service, service.team, made["id"], text)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "line 2: the name is empty" in detail
    assert "line 3: the email is not an address" in detail
    assert "line 4: 3 columns; expected name, email" in detail
    assert "line 1" not in detail
    listed = service.client.get(f"/api/v1/assessments/{made['id']}/invitations", headers=service.auth(service.team))
    assert listed.json() == [], "all or nothing"


def test_names_already_invited_need_allow_duplicates(service):
    made = make_assessment(service.client, service.team)
    invite(service.client, service.team, made["id"], "Ada")
    refused = bulk(service, service.team, made["id"], "ada \nBob\nbob")
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "line 1: ada is already invited" in detail and "line 3: bob is also on line 2" in detail
    allowed = bulk(service, service.team, made["id"], "ada \nBob\nbob", allow_duplicates=True)
    assert allowed.status_code == 201 and len(allowed.json()) == 3


def test_a_list_over_the_limit_is_refused(service):
    made = make_assessment(service.client, service.team)
    text = "\n".join(f"Candidate {n}" for n in range(MAX_BATCH_ROWS + 1))
    answer = bulk(service, service.team, made["id"], text)
    assert answer.status_code == 422 and f"at most {MAX_BATCH_ROWS} at once" in answer.json()["detail"]
    too_big = bulk(service, service.team, made["id"], "x" * 200_001)
    assert too_big.status_code == 422


def test_a_list_is_refused_to_other_teams_and_candidates(service):
    made = make_assessment(service.client, service.team)
    assert bulk(service, rival(service), made["id"], "Ada").status_code == 404
    assert bulk(service, service.candidate, made["id"], "Ada").status_code == 403
    assert bulk(service, service.admin, made["id"], "Ada").status_code == 201


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the list names no candidate"),
        ("name,email\n", "the list names no candidate"),
        ('"Ada\n', "line 1"),
        ("Ada,ada@example.com\n" + "B" * 201, "line 2: the name is longer than 200 characters"),
    ],
)
def test_parsing_refusals_say_where_and_why(text, problem):
    with pytest.raises(InvalidInvitationList) as refused:
        parse_csv(text)
    assert problem in str(refused.value)


def test_a_header_is_optional_and_quoted_names_keep_their_commas():
    rows = parse_csv('\ufeffName,Email\n"Lovelace, Ada",ada@example.com\r\nBob\n')
    assert [(r.line, r.invitation.candidate_name, r.invitation.candidate_email) for r in rows] == [
        (2, "Lovelace, Ada", "ada@example.com"),
        (3, "Bob", None),
    ]

"""The candidate API with the invite page's cookie: a change needs the page's CSRF token, a token
sent in a header does not (a page on another site can make the browser send the cookie, never a header)."""

from __future__ import annotations

import re

from tests.web.pages import invite, make_assessment, open_invitation

META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def _browser_taking(service) -> tuple[dict, str]:
    """The service's client holding a fresh invitation's cookie; the invitation and its page's CSRF token."""
    made = make_assessment(service.client, service.team)
    issued = invite(service.client, service.team, made["id"], "Ada")
    assert open_invitation(service.client, issued["link"]).status_code == 303
    found = META.search(service.client.get("/take").text)
    assert found, "the candidate's pages carry the token for the API"
    return issued, found.group(1)


def _refused(answer) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "X-CSRF-Token" in answer.json()["detail"]


def test_changes_authenticated_by_the_cookie_need_the_csrf_token(service):
    _issued, token = _browser_taking(service)
    client = service.client
    body = {"problem": "vae-mnist", "source": "# fake: fail=loss_formula\n"}
    for forged in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": token + "x"}):
        _refused(client.post("/api/v1/candidate/start", headers=forged))
    assert client.get("/api/v1/candidate").json()["started_at"] is None, "nothing started"
    assert client.post("/api/v1/candidate/start", headers={"X-CSRF-Token": token}).status_code == 200
    _refused(client.post("/api/v1/candidate/submissions", json=body))
    assert client.get("/api/v1/candidate/submissions").json() == [], "reading needs no token; nothing was submitted"
    assert client.post("/api/v1/candidate/submissions", json=body, headers={"X-CSRF-Token": token}).status_code == 202
    _refused(client.post("/api/v1/candidate/finish"))
    assert client.post("/api/v1/candidate/finish", headers={"X-CSRF-Token": token}).status_code == 200


def test_a_token_is_bound_to_its_own_invitation_cookie(service):
    _ada, ada_token = _browser_taking(service)
    service.client.cookies.clear()
    _bob, _bob_token = _browser_taking(service)
    _refused(service.client.post("/api/v1/candidate/start", headers={"X-CSRF-Token": ada_token}))


def test_the_token_in_a_header_needs_no_csrf_token(service):
    made = make_assessment(service.client, service.team)
    issued = invite(service.client, service.team, made["id"], "Ada")
    body = {"problem": "vae-mnist", "source": "# fake: fail=loss_formula\n"}
    for headers in ({"Authorization": f"Bearer {issued['token']}"}, {"X-Invitation-Token": issued["token"]}):
        assert service.client.post("/api/v1/candidate/start", headers=headers).status_code == 200
        assert service.client.post("/api/v1/candidate/submissions", json=body, headers=headers).status_code == 202
    assert service.client.post("/api/v1/candidate/finish", headers=headers).status_code == 200

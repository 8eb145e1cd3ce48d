"""Every page x every kind of browser: signed out, signed in as the owning team, signed in as another
team, holding the owning team's candidate's invitation, holding another team's candidate's. A page
added without a row fails `test_every_page_has_a_row`."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from judge.storage import keys
from judge.storage.models import Role
from tests.web.pages import csrf_of, invite, make_assessment, open_invitation

BROWSERS = ("signed_out", "own_team", "other_team", "invitee", "other_invitee")
LOGIN = "login"  # a 303 to the sign-in page
OK = 200


def expect(signed_out, own_team, other_team, invitee, other_invitee) -> dict[str, object]:
    """One row's expected answer per browser, in BROWSERS order."""
    return dict(zip(BROWSERS, (signed_out, own_team, other_team, invitee, other_invitee), strict=True))


TEAM_OWN = expect(LOGIN, OK, 404, LOGIN, LOGIN)
TEAM_ANY = expect(LOGIN, OK, OK, LOGIN, LOGIN)
INVITEE = expect(401, 401, 401, OK, OK)
INVITEE_OWN = expect(401, 401, 401, OK, 404)

ROWS = [
    ("/team/login", expect(OK, OK, OK, OK, OK)),
    ("/team/assessments", TEAM_ANY),
    ("/team/assessments/{assessment}", TEAM_OWN),
    ("/team/assessments/{assessment}/candidates/{invitation}", TEAM_OWN),
    ("/team/assessments/{assessment}/export.csv", TEAM_OWN),
    ("/team/assessments/{assessment}/export.json", TEAM_OWN),
    ("/team/assessments/{assessment}/similar/kl-divergence/{invitation}/{second_invitation}", TEAM_OWN),
    ("/team/known-solutions", TEAM_ANY),
    ("/team/assessments/{assessment}/candidates/{invitation}/known/kl-divergence/{known}", TEAM_OWN),
    ("/team/assessments/{assessment}/candidates/{invitation}/playback/kl-divergence", TEAM_OWN),
    ("/take", INVITEE),
    ("/take/problems/kl-divergence", INVITEE),
    ("/take/problems/kl-divergence/starter", INVITEE),
    ("/take/submissions/{entry}", INVITEE_OWN),
    ("/take/submissions/{entry}/result", INVITEE_OWN),
]


def _browser(service, app_client: TestClient) -> TestClient:
    """A fresh cookie jar on the same app."""
    return TestClient(app_client.app, base_url=str(app_client.base_url))


def _sign_in(client: TestClient, key: str) -> None:
    form = client.get("/team/login")
    answer = client.post(
        "/team/login",
        data={"api_key": key, "csrf_token": csrf_of(form.text), "next": "/team/assessments"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def _open_invitation(client: TestClient, link: str) -> None:
    answer = open_invitation(client, link)
    assert answer.status_code == 303, answer.text


@pytest.fixture
def browsers(service):
    """One browser per kind, and the ids of acme's assessment, invitation and attempt."""
    with service.state.sessions() as session:
        rival = keys.create_key(session, Role.TEAM, "rival", team="rival").secret
    made = make_assessment(service.client, service.team, problems=[{"problem": "kl-divergence"}])
    theirs = make_assessment(service.client, rival, problems=[{"problem": "kl-divergence"}])
    ada = invite(service.client, service.team, made["id"], "Ada")
    eve = invite(service.client, rival, theirs["id"], "Eve")
    bo = invite(service.client, service.team, made["id"], "Bo")
    auth = {"Authorization": f"Bearer {ada['token']}"}
    for token in (ada["token"], eve["token"], bo["token"]):
        assert (
            service.client.post("/api/v1/candidate/start", headers={"Authorization": f"Bearer {token}"}).status_code
            == 200
        )
    entry = service.client.post(
        "/api/v1/candidate/submissions", json={"problem": "kl-divergence", "source": "x = 1\n"}, headers=auth
    ).json()
    # Bo's attempt makes a pair to compare with Ada's.
    bo_auth = {"Authorization": f"Bearer {bo['token']}"}
    answer = service.client.post(
        "/api/v1/candidate/submissions", json={"problem": "kl-divergence", "source": "x = 2\n"}, headers=bo_auth
    )
    assert answer.status_code == 202, answer.text
    known = service.client.post(
        "/api/v1/known-solutions",
        json={"problem": "kl-divergence", "label": "leak", "source": "x = 3\n"},
        headers={"Authorization": f"Bearer {service.team}"},
    )
    assert known.status_code == 201, known.text
    made_browsers = {name: _browser(service, service.client) for name in BROWSERS}
    _sign_in(made_browsers["own_team"], service.team)
    _sign_in(made_browsers["other_team"], rival)
    _open_invitation(made_browsers["invitee"], ada["link"])
    _open_invitation(made_browsers["other_invitee"], eve["link"])
    ids = {
        "assessment": made["id"],
        "invitation": ada["id"],
        "second_invitation": bo["id"],
        "entry": entry["id"],
        "known": known.json()["id"],
    }
    yield made_browsers, ids
    for client in made_browsers.values():
        client.close()


@pytest.mark.parametrize("browser", BROWSERS)
def test_each_browser_sees_exactly_its_pages(browsers, browser):
    clients, ids = browsers
    wrong = []
    for path, expected in ROWS:
        answer = clients[browser].get(path.format(**ids), follow_redirects=False)
        want = expected[browser]
        if want == LOGIN:
            good = answer.status_code == 303 and answer.headers["location"].startswith("/team/login")
        else:
            good = answer.status_code == want
        if not good:
            wrong.append(f"GET {path}: {answer.status_code} {answer.headers.get('location', '')}, expected {want}")
    assert not wrong, "\n".join(wrong)


def test_every_page_has_a_row(service):
    pages = {
        route.path
        for route in service.client.app.routes
        if isinstance(route, APIRoute) and not route.include_in_schema and "GET" in route.methods
    }
    templated = {
        re.sub(r"\{[^}]+\}", "{}", path.replace("export.csv", "export.{}").replace("export.json", "export.{}"))
        for path, _ in ROWS
    }
    templated |= {re.sub(r"\{[^}]+\}", "{}", path).replace("kl-divergence", "{}") for path, _ in ROWS}
    # The invitation link itself is the credential, tested in test_pages.py; the root redirects.
    missing = sorted(
        p for p in pages if re.sub(r"\{[^}]+\}", "{}", p) not in templated and p not in ("/invite/{token}", "/")
    )
    assert not missing, f"pages without a row: {missing}"

"""Inviting from the dashboard (real app, FakeSandbox): post/redirect/get with the new link shown once
(carried in a signed cookie, never in the URL), re-issuing a link, the warning about a name already
invited, a CSV list answered with its links as a download; and the create form's errors all at once."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

from judge.app.cookies import ISSUED_COOKIE
from tests.web.pages import csrf_of, invite, make_assessment
from tests.web.test_team_actions import rival_key, sign_in, valid_form

LINK = re.compile(r'<code class="invite-link" id="invite-link"[^>]*>([^<]+)</code>')


def dashboard(service, assessment_id: str):
    """GET the dashboard."""
    return service.client.get(f"/team/assessments/{assessment_id}")


def invitations_of(service, assessment_id: str) -> list[dict]:
    """The assessment's invitations over the API."""
    answer = service.client.get(f"/api/v1/assessments/{assessment_id}/invitations", headers=service.auth(service.team))
    return answer.json()


def post_invite(service, assessment_id: str, **fields):
    """Post the invite form without following the redirect."""
    token = csrf_of(dashboard(service, assessment_id).text)
    return service.client.post(
        f"/team/assessments/{assessment_id}/invitations",
        data={"csrf_token": token, **fields},
        follow_redirects=False,
    )


def test_invite_redirects_to_the_dashboard_which_shows_the_link_once(service):
    made = make_assessment(service.client, service.team)
    sign_in(service, service.team)
    answer = post_invite(service, made["id"], candidate_name="Dee", candidate_email="dee@example.com")
    assert answer.status_code == 303 and answer.headers["location"] == f"/team/assessments/{made['id']}#issued"
    assert "inv_" not in answer.headers["location"], "the secret never goes into a URL"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{ISSUED_COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert f"Path=/team/assessments/{made['id']}" in cookie
    shown = dashboard(service, made["id"])
    assert shown.headers["cache-control"] == "no-store"
    link = html.unescape(LINK.search(shown.text).group(1))
    assert link.startswith("http://testserver/invite/inv_"), "the whole link, with the server's address"
    assert 'id="copy-link" data-copy="invite-link"' in shown.text
    assert service.client.get(link.removeprefix("http://testserver")).status_code == 200, "the link works"
    again = dashboard(service, made["id"])
    assert "Dee" in again.text and not LINK.search(again.text), "shown once: a reload does not show it again"
    assert len(invitations_of(service, made["id"])) == 1, "and reloading invited nobody again"


def test_a_forged_or_another_assessment_s_carried_link_is_not_shown(service):
    made = make_assessment(service.client, service.team)
    other = make_assessment(service.client, service.team, title="Other")
    sign_in(service, service.team)
    answer = post_invite(service, made["id"], candidate_name="Dee")
    value = answer.cookies[ISSUED_COOKIE]
    jar = service.client.cookies
    jar.delete(ISSUED_COOKIE)
    jar.set(ISSUED_COOKIE, value, domain="testserver.local", path=f"/team/assessments/{other['id']}")
    assert not LINK.search(dashboard(service, other["id"]).text), "a link is shown only on its own assessment"
    jar.delete(ISSUED_COOKIE)
    jar.set(ISSUED_COOKIE, value, domain="testserver.local", path=f"/team/assessments/{made['id']}")
    assert LINK.search(dashboard(service, made["id"]).text), "the same cookie on its own assessment's page shows it"
    jar.delete(ISSUED_COOKIE)
    payload, signature = value.split(".")
    forged = f"{payload}.{signature[:-2]}AA"
    jar.set(ISSUED_COOKIE, forged, domain="testserver.local", path=f"/team/assessments/{made['id']}")
    assert not LINK.search(dashboard(service, made["id"]).text), "a forged cookie shows nothing"


def test_a_name_or_email_already_invited_is_asked_to_confirm(service):
    made = make_assessment(service.client, service.team)
    invite(service.client, service.team, made["id"], "Ada Lovelace")
    sign_in(service, service.team)
    warned = post_invite(service, made["id"], candidate_name="ada  lovelace", candidate_email="ada@example.com")
    assert warned.status_code == 409 and 'id="duplicate-warning"' in warned.text
    assert "ada  lovelace is already invited on" in html.unescape(warned.text)
    assert 'name="confirm_duplicate" value="1"' in warned.text and 'value="ada@example.com"' in warned.text
    assert len(invitations_of(service, made["id"])) == 1, "nobody invited before confirming"
    confirmed = post_invite(
        service, made["id"], candidate_name="ada  lovelace", candidate_email="ada@example.com", confirm_duplicate="1"
    )
    assert confirmed.status_code == 303
    assert len(invitations_of(service, made["id"])) == 2
    by_email = post_invite(service, made["id"], candidate_name="Someone Else", candidate_email="ADA@example.com")
    assert by_email.status_code == 409 and "ADA@example.com is already invited" in by_email.text


def test_a_link_is_reissued_from_the_dashboard_and_the_old_one_stops_working(service):
    made = make_assessment(service.client, service.team)
    ada = invite(service.client, service.team, made["id"], "Ada")
    sign_in(service, service.team)
    page = dashboard(service, made["id"])
    assert f'action="/team/assessments/{made["id"]}/invitations/{ada["id"]}/reissue"' in page.text
    answer = service.client.post(
        f"/team/assessments/{made['id']}/invitations/{ada['id']}/reissue",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    shown = dashboard(service, made["id"])
    assert "New link for <strong>Ada</strong>; their old link no longer works." in shown.text
    link = html.unescape(LINK.search(shown.text).group(1)).removeprefix("http://testserver")
    assert link != ada["link"]
    assert service.client.get("/api/v1/candidate", headers=service.auth(ada["token"])).status_code == 401
    assert service.client.get(link).status_code == 200
    sign_in(service, rival_key(service))
    token = csrf_of(service.client.get("/team/assessments").text)
    foreign = service.client.post(
        f"/team/assessments/{made['id']}/invitations/{ada['id']}/reissue", data={"csrf_token": token}
    )
    assert foreign.status_code == 404, "another team's invitation is not found"


def post_bulk(service, assessment_id: str, text: str = "", upload: bytes | None = None, **fields):
    """Post the CSV-list form (pasted text, or a file)."""
    token = csrf_of(dashboard(service, assessment_id).text)
    files = {"csv_file": ("list.csv", upload, "text/csv")} if upload is not None else None
    return service.client.post(
        f"/team/assessments/{assessment_id}/invitations/bulk",
        data={"csrf_token": token, "csv": text, **fields},
        files=files,
    )


def test_a_pasted_list_answers_with_its_links_as_a_csv_download(service):
    made = make_assessment(service.client, service.team)
    sign_in(service, service.team)
    answer = post_bulk(service, made["id"], "name,email\nAda,ada@example.com\n=Bob\n")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == f'attachment; filename="invitations-{made["id"]}.csv"'
    assert answer.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["name"], r["email"]) for r in rows] == [("Ada", "ada@example.com"), ("'=Bob", "")], (
        "a name a spreadsheet would run as a formula is defused"
    )
    for row in rows:
        assert service.client.get(row["link"].removeprefix("http://testserver")).status_code == 200
    assert len(invitations_of(service, made["id"])) == 2


def test_an_uploaded_list_works_too_and_bad_lines_come_back_named(service):
    made = make_assessment(service.client, service.team)
    sign_in(service, service.team)
    good = post_bulk(service, made["id"], upload="\ufeffAda\nBob,bob@example.com\n".encode())
    assert good.status_code == 200 and len(list(csv.DictReader(io.StringIO(good.text)))) == 2
    bad = post_bulk(service, made["id"], "Cy\n,x@example.com\nDee,nope\n")
    assert bad.status_code == 422 and 'id="bulk-errors"' in bad.text and "<details" in bad.text
    text = html.unescape(bad.text)
    assert "line 2: the name is empty" in text and "line 3: the email is not an address" in text
    assert "Cy\n,x@example.com\nDee,nope" in text, "the list comes back as sent"
    not_utf8 = post_bulk(service, made["id"], upload=b"\xff\xfe\x00A")
    assert not_utf8.status_code == 422 and "not UTF-8" in not_utf8.text
    assert len(invitations_of(service, made["id"])) == 2, "nobody from a refused list"


def test_a_list_with_names_already_invited_is_confirmed_first(service):
    made = make_assessment(service.client, service.team)
    invite(service.client, service.team, made["id"], "Ada")
    sign_in(service, service.team)
    warned = post_bulk(service, made["id"], "Ada\nBob\n")
    assert warned.status_code == 409 and "line 1: Ada is already invited" in warned.text
    assert 'name="confirm_duplicate" value="1"' in warned.text
    assert len(invitations_of(service, made["id"])) == 1
    confirmed = post_bulk(service, made["id"], "Ada\nBob\n", confirm_duplicate="1")
    assert confirmed.status_code == 200 and len(invitations_of(service, made["id"])) == 3


# ---------------------------------------------------------------- the create form


def test_the_create_form_shows_every_error_at_once_in_the_form_s_words(service):
    sign_in(service, service.team)
    token = csrf_of(service.client.get("/team/assessments").text)
    later = datetime.now(UTC) + timedelta(days=30)
    form = valid_form(
        token,
        title="",
        opens_at=later.strftime("%Y-%m-%dT%H:%M"),
        closes_at=(later - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        duration_min="abc",
        max_attempts="0",
    )
    answer = service.client.post("/team/assessments", data=form)
    assert answer.status_code == 422
    page = html.unescape(answer.text)
    errors = dict(re.findall(r'<span class="field-error" id="([\w.-]+)-error">([^<]*)</span>', page))
    assert errors == {
        "title": "enter a title",
        "closes_at": "Closes at must be after Opens at",
        "duration_min": "enter a whole number of minutes",
        "max_attempts": "Input should be greater than or equal to 1",
    }
    assert "Closes at: Closes at must be after Opens at" in page, "the summary names each field by its label"
    assert f'value="{form["opens_at"]}"' in page and 'value="abc"' in page, "what was typed stays"

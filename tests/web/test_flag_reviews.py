"""Reviewing flags from the team's candidate page (real app, FakeSandbox): each flag with its evidence and a
form, the review shown after saving, a refused note kept as typed, clearing it, and the dashboard's counts."""

from __future__ import annotations

import html
import re

from tests.web.pages import csrf_of, invite, make_assessment
from tests.web.test_team_actions import rival_key, sign_in

FLAGGED = "# fake: fail=\nimport gc\n\n\ndef kl_diag_gaussian(mu1, logvar1, mu2=None, logvar2=None):\n    return mu1\n"
KEY = "ast:kl-divergence:gc:2"


def _flagged_candidate(service) -> tuple[dict, dict]:
    """An assessment and Ada, whose attempt imports gc on line 2."""
    made = make_assessment(service.client, service.team, problems=[{"problem": "kl-divergence"}])
    ada = invite(service.client, service.team, made["id"], "Ada")
    auth = {"Authorization": f"Bearer {ada['token']}"}
    assert service.client.post("/api/v1/candidate/start", headers=auth).status_code == 200
    answer = service.client.post(
        "/api/v1/candidate/submissions", json={"problem": "kl-divergence", "source": FLAGGED}, headers=auth
    )
    assert answer.status_code == 202, answer.text
    return made, ada


def _flag_item(page: str, key: str) -> str:
    found = re.search(rf'<li class="review-flag[^"]*" id="[^"]+" data-key="{re.escape(key)}">(.*?)</li>', page, re.S)
    assert found, f"no flag {key} on the page"
    return found.group(1)


def test_a_flag_is_reviewed_from_the_candidate_page_and_the_review_cleared(service):
    made, ada = _flagged_candidate(service)
    sign_in(service, service.team)
    detail = f"/team/assessments/{made['id']}/candidates/{ada['id']}"
    page = service.client.get(detail).text
    item = _flag_item(page, KEY)
    assert "gc" in item and "Line 2 of attempt 1" in item and "<code>import gc</code>" in item
    assert "Not reviewed yet." in item
    action = f"{detail}/flags/{KEY}/review"
    assert f'action="{action}"' in item
    form = {"csrf_token": csrf_of(page), "outcome": "dismissed", "note": "gc imported for a benchmark <b>only</b>"}
    answer = service.client.post(action, data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"{detail}#flag-ast-kl-divergence-gc-2"
    item = _flag_item(service.client.get(detail).text, KEY)
    assert "<strong>Dismissed</strong> by team" in item
    assert html.escape("gc imported for a benchmark <b>only</b>", quote=False) in item, "the note, escaped"
    dashboard = service.client.get(f"/team/assessments/{made['id']}").text
    assert "1 flag</span>, 0 unreviewed" in dashboard
    assert f"{KEY}=dismissed" in service.client.get(f"/team/assessments/{made['id']}/export.csv").text
    exported = service.client.get(f"/team/assessments/{made['id']}/export.json").json()
    assert exported["candidates"][0]["flags"][0]["review"]["note"] == "gc imported for a benchmark <b>only</b>"
    # A refused note comes back by its flag, as typed, with why.
    refused = service.client.post(action, data={**form, "note": "y" * 2001}, follow_redirects=False)
    assert refused.status_code == 422
    item = _flag_item(refused.text, KEY)
    assert 'class="field-error"' in item and "at most 2000 characters" in item and "y" * 2001 in item
    answer = service.client.post(f"{action}/clear", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert answer.status_code == 303
    assert "Not reviewed yet." in _flag_item(service.client.get(detail).text, KEY)
    assert "1 flag</span>, 1 unreviewed" in service.client.get(f"/team/assessments/{made['id']}").text


def test_review_forms_need_the_token_the_team_and_a_current_flag(service):
    made, ada = _flagged_candidate(service)
    sign_in(service, service.team)
    detail = f"/team/assessments/{made['id']}/candidates/{ada['id']}"
    token = csrf_of(service.client.get(detail).text)
    action = f"{detail}/flags/{KEY}/review"
    forged = service.client.post(action, data={"csrf_token": "forged", "outcome": "confirmed"}, follow_redirects=False)
    assert forged.status_code == 403
    stale = service.client.post(
        f"{detail}/flags/ast:kl-divergence:gc:9/review", data={"csrf_token": token, "outcome": "confirmed"}
    )
    assert stale.status_code == 404 and "no flag" in stale.text
    sign_in(service, rival_key(service))
    token = csrf_of(service.client.get("/team/assessments").text)
    for path in (action, f"{action}/clear"):
        answer = service.client.post(path, data={"csrf_token": token, "outcome": "confirmed"}, follow_redirects=False)
        assert answer.status_code == 404, path
    sign_in(service, service.team)
    assert "Not reviewed yet." in _flag_item(service.client.get(detail).text, KEY)

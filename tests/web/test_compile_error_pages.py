"""Pages for a file that does not compile: refused on the problem page with its line (the default), or
one banner with the line on the result and the team's pages, and the setting on the form and dashboard."""

from __future__ import annotations

import time

from tests.web.pages import csrf_of, invite, make_assessment, open_invitation
from tests.web.test_team_actions import assessments_of, sign_in, valid_form

BROKEN = "import torch\n\ndef make_model(x)\n    return x\n"


def _started(service, **fields) -> tuple[dict, dict, str]:
    """An assessment, an invited candidate who pressed Start in this client, and the page's CSRF token."""
    made = make_assessment(service.client, service.team, **fields)
    issued = invite(service.client, service.team, made["id"], "Ada")
    service.client.cookies.clear()
    open_invitation(service.client, issued["link"])
    token = csrf_of(service.client.get("/take").text)
    service.client.post("/take/start", data={"csrf_token": token})
    return made, issued, token


def test_by_default_the_problem_page_refuses_it_with_the_line_and_keeps_the_code(service):
    _made, _issued, token = _started(service, max_attempts=1)
    refused = service.client.post("/take/problems/vae-mnist", data={"csrf_token": token, "source": BROKEN})
    assert refused.status_code == 422
    assert "Not submitted: the file does not compile, and no attempt was used." in refused.text
    assert "SyntaxError at line 3: expected &#39;:&#39;" in refused.text
    assert 'data-error-line="3"' in refused.text
    assert "    3 | def make_model(x)" in refused.text, "the offending line is shown"
    assert "def make_model(x)\n    return x" in refused.text, "the code stays in the editor"
    assert "1 of 1 attempts left" in refused.text


def test_when_it_uses_an_attempt_the_result_is_one_banner_and_the_team_sees_it_without_a_flag(service):
    made, issued, token = _started(service, compile_error_uses_attempt=True)
    answer = service.client.post(
        "/take/problems/vae-mnist",
        data={"csrf_token": token, "source": "import subprocess\n" + BROKEN},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    entry_page = answer.headers["location"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = service.client.get(entry_page + "/result")
        if 'data-status="completed"' in result.text:
            break
        time.sleep(0.1)
    assert 'data-verdict="compile_error"' in result.text and 'data-error-line="4"' in result.text
    assert result.text.count('class="compile-error"') == 1
    assert "SyntaxError at line 4: expected &#39;:&#39;" in result.text and "    4 | def make_model(x)" in result.text
    assert 'class="checks"' not in result.text, "no row per check"
    assert 'class="verdict verdict-compile_error"' in result.text
    sign_in(service, service.team)
    detail = service.client.get(f"/team/assessments/{made['id']}/candidates/{issued['id']}")
    assert detail.status_code == 200
    assert 'class="compile-error"' in detail.text and "SyntaxError at line 4" in detail.text
    assert 'class="flag"' not in detail.text, "a file that does not compile raises no integrity flag"
    dashboard = service.client.get(f"/team/assessments/{made['id']}")
    assert "a file that does not compile uses an attempt" in dashboard.text


def test_the_form_sets_whether_a_compile_error_uses_an_attempt(service):
    sign_in(service, service.team)
    page = service.client.get("/team/assessments")
    assert 'name="compile_error_uses_attempt"' in page.text
    answer = service.client.post(
        "/team/assessments",
        data=valid_form(csrf_of(page.text), compile_error_uses_attempt="on"),
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    plain = service.client.post(
        "/team/assessments", data=valid_form(csrf_of(page.text), title="Default"), follow_redirects=False
    )
    assert plain.status_code == 303, plain.text
    settings = {a["title"]: a["compile_error_uses_attempt"] for a in assessments_of(service, service.team)}
    assert settings == {"Diffusion screen": True, "Default": False}
    dashboard = service.client.get(plain.headers["location"])
    assert "a file that does not compile is refused and uses no attempt" in dashboard.text

"""The pages over the real app (FakeSandbox grading): sign-in, refusals, CSRF, candidate flow, sanitising."""

from __future__ import annotations

import json
import time

from judge.app.cookies import CSRF_COOKIE, SESSION_COOKIE
from tests.web.pages import csrf_of, invite, make_assessment, open_invitation

HOSTILE_DESCRIPTION = """Welcome!

<script>alert("xss")</script>
<img src=x onerror="alert(1)">
[prize](javascript:alert(1))
"""


def sign_in(service, key: str, follow: bool = False):
    """Fetch the sign-in form and post `key` with its CSRF token."""
    form = service.client.get("/team/login")
    return service.client.post(
        "/team/login",
        data={"api_key": key, "csrf_token": csrf_of(form.text), "next": "/team/assessments"},
        follow_redirects=follow,
    )


# ---------------------------------------------------------------- team: sign-in and refusals


def test_team_pages_send_a_browser_without_a_session_to_sign_in(service):
    answer = service.client.get("/team/assessments", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/team/login?next=/team/assessments"
    form = service.client.get(answer.headers["location"])
    assert form.status_code == 200 and 'name="api_key"' in form.text and '<label for="api_key">' in form.text


def test_sign_in_sets_a_strict_httponly_session_cookie_and_shows_the_team_s_assessments(service):
    made = make_assessment(service.client, service.team)
    answer = sign_in(service, service.team)
    assert answer.status_code == 303 and answer.headers["location"] == "/team/assessments"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert service.team not in cookie, "the cookie names the key, never holds its secret"
    page = service.client.get("/team/assessments")
    assert page.status_code == 200 and made["title"] in page.text and f"/team/assessments/{made['id']}" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_sign_in_refuses_wrong_and_candidate_keys(service):
    wrong = sign_in(service, "judge_not-a-key")
    assert (
        wrong.status_code == 401
        and "not valid" in wrong.text
        and SESSION_COOKIE not in wrong.headers.get("set-cookie", "")
    )
    candidate = sign_in(service, service.candidate)
    assert candidate.status_code == 401 and "candidate key" in candidate.text


def test_forms_without_a_matching_csrf_token_are_refused(service):
    service.client.get("/team/login")
    for token in (None, "forged", csrf_of(service.client.get("/team/login").text) + "x"):
        data = {"api_key": service.team, **({"csrf_token": token} if token else {})}
        answer = service.client.post("/team/login", data=data, follow_redirects=False)
        assert answer.status_code == 403 and "security token" in answer.text
        assert answer.headers["content-type"].startswith("text/html")
    # A token is bound to the browser's own CSRF cookie: another browser's token does not fit.
    token = csrf_of(service.client.get("/team/login").text)
    service.client.cookies.set(CSRF_COOKIE, "another-browser")
    answer = service.client.post(
        "/team/login", data={"api_key": service.team, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 403


def test_a_forged_or_revoked_session_is_not_signed_in(service):
    service.client.cookies.set(SESSION_COOKIE, "eyJrIjogIngiLCAiZXhwIjogOTk5OTk5OTk5OX0=.forged")
    assert service.client.get("/team/assessments", follow_redirects=False).status_code == 303
    service.client.cookies.clear()
    assert sign_in(service, service.team).status_code == 303
    from judge.storage import keys

    with service.state.sessions() as session:
        team_row = next(k for k in keys.list_keys(session) if k.role == "team")
        keys.revoke_key(session, team_row.id)
    assert service.client.get("/team/assessments", follow_redirects=False).status_code == 303


def test_another_team_s_assessment_is_not_found(service, start_service):
    made = make_assessment(service.client, service.team)
    from judge.storage import keys
    from judge.storage.models import Role

    with service.state.sessions() as session:
        other = keys.create_key(session, Role.TEAM, "rival", team="rival").secret
    assert sign_in(service, other).status_code == 303
    answer = service.client.get(f"/team/assessments/{made['id']}")
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert made["title"] not in answer.text
    assert service.client.get(f"/team/assessments/{made['id']}/export.csv").status_code == 404


# ---------------------------------------------------------------- candidate


def test_candidate_pages_need_a_valid_invitation(service):
    assert service.client.get("/take").status_code == 401
    bad = service.client.get("/invite/inv_0123456789abcdef_" + "x" * 43)
    assert bad.status_code == 401 and "not valid" in bad.text and bad.headers["content-type"].startswith("text/html")
    assert "judge_invitation" not in bad.headers.get("set-cookie", "")


def test_landing_page_renders_the_description_sanitised_and_keeps_the_token_in_a_cookie(service):
    made = make_assessment(service.client, service.team, description=HOSTILE_DESCRIPTION)
    issued = invite(service.client, service.team, made["id"], "Ada")
    answer = service.client.get(issued["link"])
    assert answer.status_code == 200 and "Hello Ada" in answer.text
    assert "<script>" not in answer.text and "onerror" not in answer.text.split("<main", 1)[1].replace(
        "&lt;img src=x onerror", ""
    )
    assert 'href="javascript:' not in answer.text
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "judge_invitation=" not in answer.headers.get("set-cookie", ""), (
        "following a link sets no cookie; Continue does"
    )
    opened = service.client.post(issued["link"], data={"csrf_token": csrf_of(answer.text)}, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/take"
    cookie = next(h for h in opened.headers.get_list("set-cookie") if h.startswith("judge_invitation="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "secure" not in cookie.lower(), "plain HTTP, secure_cookies off"


def test_candidate_starts_submits_and_sees_the_result(service):
    made = make_assessment(service.client, service.team)
    issued = invite(service.client, service.team, made["id"], "Ada")
    open_invitation(service.client, issued["link"])
    overview = service.client.get("/take")
    assert overview.status_code == 200 and 'id="start"' in overview.text
    assert service.client.post("/take/start", data={}, follow_redirects=False).status_code == 403, (
        "Start needs the CSRF token"
    )
    started = service.client.post("/take/start", data={"csrf_token": csrf_of(overview.text)}, follow_redirects=False)
    assert started.status_code == 303
    overview = service.client.get("/take")
    assert 'data-remaining="' in overview.text and "/take/problems/vae-mnist" in overview.text
    problem = service.client.get("/take/problems/vae-mnist")
    assert problem.status_code == 200
    assert (
        "<h2>Variational autoencoder for 28x28 digits</h2>" in problem.text and "class VAE(nn.Module)" in problem.text
    )
    assert problem.text.count("<h1") == 1
    assert 'class="code-editor"' in problem.text and "Esc, then Tab" in problem.text
    submitted = service.client.post(
        "/take/problems/vae-mnist",
        data={"csrf_token": csrf_of(problem.text), "source": "# fake: fail=loss_formula\n"},
        follow_redirects=False,
    )
    assert submitted.status_code == 303
    entry_page = submitted.headers["location"]
    assert service.client.get(entry_page).status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result = service.client.get(entry_page + "/result")
        if 'data-status="completed"' in result.text:
            break
        time.sleep(0.1)
    assert 'data-status="completed"' in result.text
    assert 'data-score="8"' in result.text and 'data-max="10"' in result.text, result.text
    assert "loss_formula" in result.text and "the fake sandbox failed this check" in result.text


def test_a_refused_submission_keeps_the_code_and_says_why(service):
    made = make_assessment(service.client, service.team, max_attempts=1)
    issued = invite(service.client, service.team, made["id"], "Ada")
    open_invitation(service.client, issued["link"])
    token = csrf_of(service.client.get("/take").text)
    service.client.post("/take/start", data={"csrf_token": token})
    first = service.client.post(
        "/take/problems/vae-mnist", data={"csrf_token": token, "source": "# first\n"}, follow_redirects=False
    )
    assert first.status_code == 303
    again = service.client.post(
        "/take/problems/vae-mnist", data={"csrf_token": token, "source": "# my <b>second</b> try\n"}
    )
    assert again.status_code == 409 and "attempts" in again.text
    assert "# my &lt;b&gt;second&lt;/b&gt; try" in again.text, "the refused code stays in the editor, escaped"


def test_quiz_answers_are_submitted_as_the_answers_file(service):
    made = make_assessment(service.client, service.team)
    issued = invite(service.client, service.team, made["id"], "Ada")
    open_invitation(service.client, issued["link"])
    token = csrf_of(service.client.get("/take").text)
    service.client.post("/take/start", data={"csrf_token": token})
    quiz = service.client.get("/take/problems/aigc-concepts")
    assert quiz.status_code == 200 and '<fieldset class="question"' in quiz.text
    problem = service.state.bank.get("aigc-concepts")
    form = {f"q_{q.id}": list(q.answer) for q in problem.quiz.questions}
    answer = service.client.post(
        "/take/problems/aigc-concepts", data={**form, "csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    entry = answer.headers["location"].rsplit("/", 1)[1]
    view = service.client.get(
        f"/api/v1/candidate/submissions/{entry}", params={"wait": 10}, headers={"X-Invitation-Token": issued["token"]}
    ).json()
    assert view["status"] == "completed" and view["score"] == view["max_score"], json.dumps(view)


def test_score_only_feedback_shows_no_checks(service):
    made = make_assessment(service.client, service.team, feedback="score_only")
    issued = invite(service.client, service.team, made["id"], "Ada")
    open_invitation(service.client, issued["link"])
    token = csrf_of(service.client.get("/take").text)
    service.client.post("/take/start", data={"csrf_token": token})
    submitted = service.client.post(
        "/take/problems/vae-mnist",
        data={"csrf_token": token, "source": "# fake: fail=loss_formula\n"},
        follow_redirects=False,
    )
    page = submitted.headers["location"] + "/result"
    deadline = time.monotonic() + 20
    while 'data-status="completed"' not in (result := service.client.get(page)).text and time.monotonic() < deadline:
        time.sleep(0.1)
    assert 'data-score="8"' in result.text
    assert "loss_formula" not in result.text and "<table" not in result.text and "verdict-" not in result.text


# ---------------------------------------------------------------- team: reports


def _take(service, link: str, source: str) -> None:
    """A fresh browser opens `link`, starts and submits `source` to vae-mnist."""
    service.client.cookies.clear()
    open_invitation(service.client, link)
    token = csrf_of(service.client.get("/take").text)
    service.client.post("/take/start", data={"csrf_token": token})
    answer = service.client.post(
        "/take/problems/vae-mnist", data={"csrf_token": token, "source": source}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def test_dashboard_shows_ranking_histogram_similar_pairs_and_candidate_detail(service):
    from tests.conftest import PROBLEMS

    reference = (PROBLEMS / "vae-mnist" / "solution.py").read_text()
    made = make_assessment(service.client, service.team)
    ada = invite(service.client, service.team, made["id"], "Ada")
    bob = invite(service.client, service.team, made["id"], "Bob")
    cy = invite(service.client, service.team, made["id"], "Cy")
    _take(service, ada["link"], reference)
    _take(service, bob["link"], "import subprocess\n" + reference.replace("latent_dim", "z_dim"))
    _take(service, cy["link"], "# fake: fail=all\nimport torch\n")
    service.client.cookies.clear()
    assert sign_in(service, service.team).status_code == 303
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = service.client.get(f"/team/assessments/{made['id']}")
        if "grading)" not in page.text:
            break
        time.sleep(0.2)
    assert page.status_code == 200
    assert page.text.count('class="bar"') == 10 and 'data-count="2"' in page.text, "two candidates in the top bucket"
    pairs = [row for row in page.text.split('<tr class="similar-pair">')[1:]]
    assert any(">Ada</a>" in row.split("</tr>")[0] and ">Bob</a>" in row.split("</tr>")[0] for row in pairs), (
        page.text.split('id="similar-pairs"')[1][:2000]
    )
    detail = service.client.get(f"/team/assessments/{made['id']}/candidates/{bob['id']}")
    assert detail.status_code == 200
    assert "subprocess" in detail.text and 'class="flag"' in detail.text
    assert "shared with" in detail.text and ">Ada</a>" in detail.text
    assert "z_dim" in detail.text, "the submitted code is shown"
    csv = service.client.get(f"/team/assessments/{made['id']}/export.csv")
    assert csv.status_code == 200 and "Ada" in csv.text and csv.headers["content-disposition"].startswith("attachment")


def test_team_invites_from_the_dashboard_and_sees_the_link_once(service):
    made = make_assessment(service.client, service.team)
    assert sign_in(service, service.team).status_code == 303
    page = service.client.get(f"/team/assessments/{made['id']}")
    answer = service.client.post(
        f"/team/assessments/{made['id']}/invitations", data={"csrf_token": csrf_of(page.text), "candidate_name": "Dee"}
    )
    assert answer.status_code == 200 and answer.url.path == f"/team/assessments/{made['id']}", "redirected to a GET"
    assert "/invite/inv_" in answer.text
    again = service.client.get(f"/team/assessments/{made['id']}")
    assert "Dee" in again.text and "/invite/inv_" not in again.text
    forged = service.client.post(
        f"/team/assessments/{made['id']}/invitations", data={"csrf_token": "x", "candidate_name": "Eve"}
    )
    assert forged.status_code == 403


def test_a_candidate_cannot_open_another_candidate_s_submission(service):
    made = make_assessment(service.client, service.team)
    ada, bob = (invite(service.client, service.team, made["id"], name) for name in ("Ada", "Bob"))
    _take(service, ada["link"], "# ada's code\n")
    ada_entry = service.client.get("/take").text.split("/take/submissions/")[1].split('"')[0]
    _take(service, bob["link"], "# bob's code\n")
    answer = service.client.get(f"/take/submissions/{ada_entry}")
    # The page names the id it could not find; a random hex id may itself contain "ada".
    shown = answer.text.lower().split("<main", 1)[1].replace(ada_entry.lower(), "")
    assert answer.status_code == 404 and "ada" not in shown
    assert service.client.get(f"/take/submissions/{ada_entry}/result").status_code == 404


def test_after_the_candidate_s_time_is_up_a_submission_is_refused_and_the_code_kept(service):
    from datetime import timedelta

    made = make_assessment(service.client, service.team, duration_s=60)
    issued = invite(service.client, service.team, made["id"], "Ada")
    open_invitation(service.client, issued["link"])
    token = csrf_of(service.client.get("/take").text)
    service.client.post("/take/start", data={"csrf_token": token})
    real_clock = service.state.clock
    service.state.clock = lambda: real_clock() + timedelta(seconds=61)
    try:
        answer = service.client.post("/take/problems/vae-mnist", data={"csrf_token": token, "source": "late = True\n"})
        assert answer.status_code == 403 and "time ended" in answer.text and "late = True" in answer.text
        assert 'id="submit" disabled' in answer.text
        overview = service.client.get("/take")
        assert "is over for you" in overview.text and 'id="start"' not in overview.text
    finally:
        service.state.clock = real_clock


# ---------------------------------------------------------------- candidate: opening another invitation


def test_opening_another_invitation_asks_before_replacing_the_current_one(service):
    made = make_assessment(service.client, service.team)
    ada, eve = (invite(service.client, service.team, made["id"], name) for name in ("Ada", "Eve"))
    assert open_invitation(service.client, ada["link"]).status_code == 303
    asked = service.client.get(eve["link"])
    assert asked.status_code == 200 and 'id="confirm-switch"' in asked.text and "as Ada" in asked.text
    assert "judge_invitation=" not in asked.headers.get("set-cookie", "")
    # Continue on a landing page that did not know (a link from another site comes without the cookie) asks too.
    posted = service.client.post(eve["link"], data={"csrf_token": csrf_of(asked.text)}, follow_redirects=False)
    assert posted.status_code == 200 and 'id="confirm-switch"' in posted.text
    assert service.client.cookies["judge_invitation"] == ada["token"]
    forged = service.client.post(eve["link"], data={"switch": "yes"}, follow_redirects=False)
    assert forged.status_code == 403 and service.client.cookies["judge_invitation"] == ada["token"], (
        "the answer needs the CSRF token"
    )
    switched = service.client.post(
        eve["link"], data={"switch": "yes", "csrf_token": csrf_of(asked.text)}, follow_redirects=False
    )
    assert switched.status_code == 303 and service.client.cookies["judge_invitation"] == eve["token"]
    assert service.client.get("/api/v1/candidate").json()["candidate_name"] == "Eve"


def test_reopening_the_same_invitation_or_replacing_a_dead_one_does_not_ask(service):
    made = make_assessment(service.client, service.team)
    ada, bob = (invite(service.client, service.team, made["id"], name) for name in ("Ada", "Bob"))
    assert open_invitation(service.client, ada["link"]).status_code == 303
    assert open_invitation(service.client, ada["link"]).headers["location"] == "/take"
    withdrawn = service.client.delete(
        f"/api/v1/assessments/{made['id']}/invitations/{ada['id']}", headers={"Authorization": f"Bearer {service.team}"}
    )
    assert withdrawn.status_code == 200
    assert open_invitation(service.client, bob["link"]).headers["location"] == "/take", (
        "a withdrawn invitation is nothing to lose"
    )
    assert service.client.cookies["judge_invitation"] == bob["token"]


def test_candidate_pages_hand_the_invitation_s_api_token_to_scripts_only_on_their_own_pages(service):
    made = make_assessment(service.client, service.team)
    issued = invite(service.client, service.team, made["id"], "Ada")
    landing = service.client.get(issued["link"])
    assert 'name="csrf-token"' not in landing.text, "no cookie yet: no token"
    open_invitation(service.client, issued["link"])
    assert 'name="csrf-token"' in service.client.get("/take").text
    assert 'name="csrf-token"' not in service.client.get("/team/login").text

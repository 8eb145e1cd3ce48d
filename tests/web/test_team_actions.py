"""The team's actions on its pages (real app, FakeSandbox grading): creating an assessment from the form,
rejudging from the dashboard, withdrawing an invitation after a confirmation page; and their refusals."""

from __future__ import annotations

import html
import re
import shutil
import time
from datetime import UTC, datetime, timedelta

import pytest

from judge.storage import keys
from judge.storage.models import Role
from tests.conftest import PROBLEMS
from tests.web.pages import csrf_of, invite, make_assessment

FORMAT = "%Y-%m-%dT%H:%M"


def sign_in(service, key: str) -> None:
    """Sign this client in with `key` (a fresh browser: cookies cleared first)."""
    service.client.cookies.clear()
    form = service.client.get("/team/login")
    answer = service.client.post(
        "/team/login", data={"api_key": key, "csrf_token": csrf_of(form.text)}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text


def rival_key(service) -> str:
    """A team key of another team."""
    with service.state.sessions() as session:
        return keys.create_key(session, Role.TEAM, "rival", team="rival").secret


def valid_form(token: str, **changes) -> dict:
    """A complete new-assessment form, as a browser posts it."""
    now = datetime.now(UTC)
    form = {
        "csrf_token": token,
        "title": "Diffusion screen",
        "description": "Two problems; **good luck**.",
        "problem": ["vae-mnist", "aigc-concepts"],
        "points.vae-mnist": "25",
        "points.aigc-concepts": "",
        "opens_at": now.strftime(FORMAT),
        "closes_at": (now + timedelta(days=2)).strftime(FORMAT),
        "duration_min": "45",
        "max_attempts": "2",
        "feedback": "check_names",
        "scoring": "last",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def error_of(page: str, field_id: str) -> str:
    """The message shown next to a field, checking that the field points at it and is marked invalid."""
    found = re.search(rf'<span class="field-error" id="{re.escape(field_id)}-error">([^<]*)</span>', page)
    assert found, f"no message next to {field_id}"
    field = re.search(rf'<(?:input|textarea|fieldset)[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert field, f"no field {field_id}"
    described = re.search(r'aria-describedby="([^"]*)"', field.group(0))
    assert described and f"{field_id}-error" in described.group(1).split(), field.group(0)
    assert 'aria-invalid="true"' in field.group(0)
    return html.unescape(found.group(1))


def assessments_of(service, key: str) -> list[dict]:
    """The team's assessments over the API."""
    return service.client.get("/api/v1/assessments", headers=service.auth(key)).json()


# ---------------------------------------------------------------- creating an assessment


def test_the_form_offers_the_team_s_problems_labelled_and_marks_practice_only_ones(start_service, tmp_path):
    bank = tmp_path / "rival-bank"
    shutil.copytree(PROBLEMS / "kl-divergence", bank / "rival-kl")
    toml = bank / "rival-kl" / "problem.toml"
    toml.write_text(toml.read_text().replace('slug = "kl-divergence"', 'slug = "rival-kl"'))
    service = start_service(problems={"team_dirs": {"rival": [bank]}})
    marked = service.client.put("/api/v1/practice-problems/kl-divergence", headers=service.auth(service.team))
    assert marked.status_code in (200, 204), marked.text
    sign_in(service, service.team)
    page = service.client.get("/team/assessments").text
    for field in ("title", "description", "opens_at", "closes_at", "duration_min", "max_attempts"):
        assert f'<label for="{field}">' in page, field
    assert (
        "<legend>Problems</legend>" in page
        and '<label for="problem-vae-mnist">' in page
        and '<label class="visually-hidden" for="points-vae-mnist">' in page
    )
    assert 'name="points.vae-mnist"' in page and 'type="radio" name="feedback" value="score_only"' in page
    assert "rival-kl" not in page, "another team's private problem is not offered"
    practice = re.search(r'<input type="checkbox" id="problem-kl-divergence"[^>]*>', page).group(0)
    assert "disabled" in practice and "practice-only for your team" in page
    sign_in(service, rival_key(service))
    assert 'id="problem-rival-kl"' in service.client.get("/team/assessments").text, (
        "a team sees its own private problem"
    )


def test_a_team_creates_an_assessment_from_the_form(service):
    sign_in(service, service.team)
    page = service.client.get("/team/assessments")
    form = valid_form(csrf_of(page.text))
    answer = service.client.post("/team/assessments", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    made = assessments_of(service, service.team)
    assert len(made) == 1
    view = made[0]
    assert answer.headers["location"] == f"/team/assessments/{view['id']}?created=1"
    assert [(p["problem"], p["points"]) for p in view["problems"]] == [
        ("vae-mnist", 25),
        ("aigc-concepts", view["problems"][1]["max_score"]),
    ]
    assert (view["duration_s"], view["max_attempts"], view["feedback"], view["scoring"]) == (
        2700,
        2,
        "check_names",
        "last",
    )
    opens = datetime.fromisoformat(view["opens_at"].replace("Z", "+00:00"))
    assert opens.astimezone(UTC).strftime(FORMAT) == form["opens_at"], "the form's times are UTC"
    dashboard = service.client.get(answer.headers["location"])
    assert (
        dashboard.status_code == 200 and "Assessment created" in dashboard.text and "Diffusion screen" in dashboard.text
    )
    assert "Diffusion screen" in service.client.get("/team/assessments").text


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"title": ""}, "title", "enter a title"),
        ({"problem": None}, "problems", "choose at least one problem"),
        ({"points.vae-mnist": "-3"}, "points-vae-mnist", "greater than 0"),
        ({"points.vae-mnist": "lots"}, "points-vae-mnist", "enter a number of points"),
        ({"opens_at": "tomorrow"}, "opens_at", "enter a date and time"),
        ({"closes_at": "2020-01-01T00:00", "opens_at": "2019-12-01T00:00"}, "closes_at", "is in the past"),
        (
            {"closes_at": "2030-01-01T00:00", "opens_at": "2030-02-01T00:00"},
            "closes_at",
            "Closes at must be after Opens at",
        ),
        ({"duration_min": "0"}, "duration_min", "enter between 1 and 10080 minutes"),
        ({"duration_min": "1.5"}, "duration_min", "whole number of minutes"),
        ({"max_attempts": "0"}, "max_attempts", "greater than or equal to 1"),
        ({"feedback": "loud"}, "feedback", "full"),
        ({"problem": ["vae-mnist", "no-such-problem"]}, "problems", "no problem 'no-such-problem'"),
    ],
)
def test_invalid_values_come_back_with_the_message_next_to_the_field(service, changes, field_id, message):
    sign_in(service, service.team)
    token = csrf_of(service.client.get("/team/assessments").text)
    answer = service.client.post("/team/assessments", data=valid_form(token, **changes))
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert message in error_of(answer.text, field_id)
    assert 'class="error-summary" role="alert"' in answer.text and f'href="#{field_id}"' in answer.text
    assert 'value="Diffusion screen"' in answer.text or changes.get("title") == "", "what was typed stays in the form"
    assert "Two problems; **good luck**." in answer.text
    assert assessments_of(service, service.team) == [], "nothing was created"


def test_a_practice_only_problem_is_refused_with_the_service_s_message(service):
    service.client.put("/api/v1/practice-problems/kl-divergence", headers=service.auth(service.team))
    sign_in(service, service.team)
    token = csrf_of(service.client.get("/team/assessments").text)
    answer = service.client.post("/team/assessments", data=valid_form(token, problem=["kl-divergence"]))
    assert answer.status_code == 422
    assert "marked practice-only for your team" in error_of(answer.text, "problems")


def test_creating_needs_a_session_and_the_form_s_csrf_token(service):
    service.client.cookies.clear()
    token = csrf_of(service.client.get("/team/login").text)
    anonymous = service.client.post("/team/assessments", data=valid_form(token), follow_redirects=False)
    assert anonymous.status_code == 401 and anonymous.headers["content-type"].startswith("text/html")
    sign_in(service, service.team)
    for forged in ("", "forged"):
        answer = service.client.post("/team/assessments", data=valid_form(forged), follow_redirects=False)
        assert answer.status_code == 403 and "security token" in answer.text
    assert assessments_of(service, service.team) == [], "nothing was created"


# ---------------------------------------------------------------- rejudge


def _submit(service, token: str, source: str, problem: str = "vae-mnist") -> None:
    """A candidate starts and submits over the API, and the grading finishes."""
    headers = {"Authorization": f"Bearer {token}"}
    assert service.client.post("/api/v1/candidate/start", headers=headers).status_code == 200
    sent = service.client.post(
        "/api/v1/candidate/submissions", json={"problem": problem, "source": source}, headers=headers
    )
    assert sent.status_code == 202, sent.text
    done = service.client.get(
        f"/api/v1/candidate/submissions/{sent.json()['id']}", params={"wait": 20}, headers=headers
    ).json()
    assert done["status"] == "completed", done


def _rounds(html: str) -> dict[int, tuple[int, int]]:
    return {
        int(r): (int(f), int(g))
        for r, f, g in re.findall(r'<tr data-round="(\d+)" data-finished="(\d+)" data-gradings="(\d+)">', html)
    }


def _until_graded(service, path: str) -> str:
    deadline = time.monotonic() + 20
    while True:
        page = service.client.get(path).text
        if all(f == g for f, g in _rounds(page).values()) or time.monotonic() > deadline:
            return page
        time.sleep(0.1)


def test_a_rejudge_from_the_dashboard_starts_a_round_and_shows_its_progress(service):
    made = make_assessment(service.client, service.team)
    for name in ("Ada", "Bob"):
        service.client.cookies.clear()
        _submit(
            service,
            invite(service.client, service.team, made["id"], name)["token"],
            f"# {name}\n# fake: fail=loss_formula\n",
        )
    sign_in(service, service.team)
    path = f"/team/assessments/{made['id']}"
    page = service.client.get(path)
    assert '<label for="rejudge-problem">' in page.text and '<option value="vae-mnist">' in page.text
    answer = service.client.post(
        f"{path}/rejudges", data={"csrf_token": csrf_of(page.text), "problem": ""}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"{path}?rejudge=1#rejudges"
    shown = service.client.get(answer.headers["location"]).text
    assert "Rejudge round 1 started: 2 submissions to grade again" in shown
    assert '<progress max="2"' in shown and 'aria-label="Round 1 progress"' in shown
    assert '<script src="/static/rejudges.js" defer></script>' in shown and f'data-src="{path}/rejudges"' in shown
    rounds = _until_graded(service, f"{path}/rejudges")
    assert _rounds(rounds) == {1: (2, 2)} and "2 of 2 graded · done" in rounds and "<html" not in rounds, (
        "the table alone, for the script"
    )
    graded = service.client.get(path).text
    assert _rounds(graded) == {1: (2, 2)} and "Refresh progress" not in graded
    one = service.client.post(
        f"{path}/rejudges", data={"csrf_token": csrf_of(graded), "problem": "vae-mnist"}, follow_redirects=False
    )
    assert one.status_code == 303 and "rejudge=2#" in one.headers["location"]
    rounds = _rounds(_until_graded(service, path))
    assert rounds == {1: (2, 2), 2: (2, 2)}
    report = service.client.get(f"/api/v1/assessments/{made['id']}/rejudges", headers=service.auth(service.team)).json()
    assert [(r["round"], r["problem"]) for r in report] == [(1, None), (2, "vae-mnist")]


def test_a_rejudge_with_nothing_to_grade_says_so_next_to_the_form(service):
    made = make_assessment(service.client, service.team)
    sign_in(service, service.team)
    path = f"/team/assessments/{made['id']}"
    token = csrf_of(service.client.get(path).text)
    answer = service.client.post(f"{path}/rejudges", data={"csrf_token": token, "problem": ""})
    assert answer.status_code == 422 and "there are no submissions to rejudge yet" in answer.text
    select = re.search(r'<select id="rejudge-problem"[^>]*>', answer.text).group(0)
    assert 'aria-describedby="rejudge-error"' in select and 'id="rejudge-error"' in answer.text
    missing = service.client.post(f"{path}/rejudges", data={"csrf_token": token, "problem": "kl-divergence"})
    assert missing.status_code == 404 and "not part of this assessment" in missing.text
    odd = service.client.post(f"{path}/rejudges", data={"csrf_token": token, "problem": "../etc"})
    assert odd.status_code == 404


def test_a_second_rejudge_while_a_round_grades_is_refused_next_to_the_form(service):
    made = make_assessment(service.client, service.team)
    _submit(service, invite(service.client, service.team, made["id"], "Ada")["token"], "# ada\n# fake: sleep=0.3\n")
    sign_in(service, service.team)
    path = f"/team/assessments/{made['id']}"
    token = csrf_of(service.client.get(path).text)
    assert (
        service.client.post(
            f"{path}/rejudges", data={"csrf_token": token, "problem": ""}, follow_redirects=False
        ).status_code
        == 303
    )
    # The round's one grading takes seconds (a pause per check): it is still open now.
    again = service.client.post(f"{path}/rejudges", data={"csrf_token": token, "problem": "vae-mnist"})
    assert again.status_code == 409 and "rejudge round 1 (every problem) is still grading" in html.unescape(again.text)
    assert 'id="rejudge-error"' in again.text
    _until_graded(service, f"{path}/rejudges")
    report = service.client.get(f"/api/v1/assessments/{made['id']}/rejudges", headers=service.auth(service.team)).json()
    assert [r["round"] for r in report] == [1]


def test_rejudge_refusals_no_session_bad_csrf_another_team(service):
    made = make_assessment(service.client, service.team)
    _submit(service, invite(service.client, service.team, made["id"], "Ada")["token"], "# ada\n")
    path = f"/team/assessments/{made['id']}/rejudges"
    service.client.cookies.clear()
    token = csrf_of(service.client.get("/team/login").text)
    assert service.client.post(path, data={"csrf_token": token}, follow_redirects=False).status_code == 401
    sign_in(service, service.team)
    assert service.client.post(path, data={"csrf_token": "forged"}).status_code == 403
    sign_in(service, rival_key(service))
    token = csrf_of(service.client.get("/team/assessments").text)
    other = service.client.post(path, data={"csrf_token": token})
    assert other.status_code == 404 and made["title"] not in other.text
    assert service.client.get(path).status_code == 404, "nor can it read the rounds"
    listed = service.client.get(f"/api/v1/assessments/{made['id']}/rejudges", headers=service.auth(service.team)).json()
    assert listed == [], "no refused request started a round"


# ---------------------------------------------------------------- withdrawing an invitation


def test_withdrawing_asks_first_then_the_link_stops_working(service):
    made = make_assessment(service.client, service.team)
    ada = invite(service.client, service.team, made["id"], "Ada")
    sign_in(service, service.team)
    path = f"/team/assessments/{made['id']}"
    dashboard = service.client.get(path).text
    confirm_path = f"{path}/invitations/{ada['id']}/withdraw"
    assert f'href="{confirm_path}" aria-label="Withdraw the invitation of Ada"' in dashboard
    confirm = service.client.get(confirm_path)
    assert confirm.status_code == 200 and "Withdraw the invitation of Ada?" in confirm.text
    assert f'<form method="post" action="{confirm_path}"' in confirm.text and 'id="confirm-withdraw"' in confirm.text
    assert f'href="{path}#invitations" class="cancel"' in confirm.text, "cancelling is a plain link back"
    assert service.client.get(ada["link"]).status_code == 200, "asking withdrew nothing"
    answer = service.client.post(confirm_path, data={"csrf_token": csrf_of(confirm.text)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"{path}?withdrawn={ada['id']}#invitations"
    shown = service.client.get(answer.headers["location"]).text
    assert "The invitation of <strong>Ada</strong> is withdrawn" in shown and confirm_path not in shown
    service.client.cookies.clear()
    refused = service.client.get(ada["link"])
    assert refused.status_code == 401 and "withdrawn" in refused.text
    sign_in(service, service.team)
    again = service.client.get(confirm_path)
    assert again.status_code == 200 and "already withdrawn" in again.text and 'id="confirm-withdraw"' not in again.text


def test_withdrawal_refusals_no_session_bad_csrf_another_team_unknown(service):
    made = make_assessment(service.client, service.team)
    ada = invite(service.client, service.team, made["id"], "Ada")
    confirm_path = f"/team/assessments/{made['id']}/invitations/{ada['id']}/withdraw"
    service.client.cookies.clear()
    assert service.client.get(confirm_path, follow_redirects=False).headers["location"].startswith("/team/login?next=")
    token = csrf_of(service.client.get("/team/login").text)
    assert service.client.post(confirm_path, data={"csrf_token": token}, follow_redirects=False).status_code == 401
    sign_in(service, service.team)
    assert service.client.post(confirm_path, data={"csrf_token": "forged"}).status_code == 403
    unknown = f"/team/assessments/{made['id']}/invitations/nosuchinvitation/withdraw"
    assert service.client.get(unknown).status_code == 404
    sign_in(service, rival_key(service))
    token = csrf_of(service.client.get("/team/assessments").text)
    for answer in (service.client.get(confirm_path), service.client.post(confirm_path, data={"csrf_token": token})):
        assert answer.status_code == 404 and "Ada" not in answer.text
    service.client.cookies.clear()
    assert service.client.get(ada["link"]).status_code == 200, "the invitation still works"

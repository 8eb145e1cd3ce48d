"""The side-by-side page of two candidates' code (real app, FakeSandbox grading): the lines the
similarity matched are marked in both columns, and the page refuses what is not a pair of the team's."""

from __future__ import annotations

import re

from judge.storage import keys
from judge.storage.models import Role
from tests.conftest import PROBLEMS
from tests.web.pages import invite, make_assessment
from tests.web.test_team_actions import sign_in

SOLUTION = (PROBLEMS / "kl-divergence" / "solution.py").read_text()
OWN = "\n\ndef helper_of_my_own(values):\n    total = 0\n    for value in values:\n        total += value * value\n    return total\n"


def _submit(service, assessment_id: str, name: str, source: str) -> str:
    issued = invite(service.client, service.team, assessment_id, name)
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert service.client.post("/api/v1/candidate/start", headers=headers).status_code == 200
    answer = service.client.post(
        "/api/v1/candidate/submissions", json={"problem": "kl-divergence", "source": source}, headers=headers
    )
    assert answer.status_code == 202, answer.text
    return issued["id"]


def _marked(html: str, column: int) -> set[int]:
    """The numbers of the marked lines in one column (0 or 1) of the page."""
    section = html.split('<section class="compared"')[column + 1]
    return {int(n) for n in re.findall(r'<span class="line shared" data-line="(\d+)">', section)}


def _numbered(html: str, column: int) -> set[int]:
    """The numbers of every line shown in one column (0 or 1) of the page."""
    section = html.split('<section class="compared"')[column + 1]
    return {int(n) for n in re.findall(r'data-line="(\d+)"', section)}


def test_the_shared_lines_are_marked_in_both_columns(service):
    made = make_assessment(service.client, service.team, problems=[{"problem": "kl-divergence"}])
    ada = _submit(service, made["id"], "Ada", SOLUTION)
    bo = _submit(service, made["id"], "Bo", SOLUTION.replace("mu1", "first_mean") + OWN)
    sign_in(service, service.team)
    dashboard = service.client.get(f"/team/assessments/{made['id']}").text
    link = f"/team/assessments/{made['id']}/similar/kl-divergence/"
    assert link in dashboard, "the similar pair links to its side-by-side page"

    page = service.client.get(f"{link}{ada}/{bo}")
    assert page.status_code == 200, page.text
    assert "<h1>Ada and Bo: kl-divergence</h1>" in page.text
    ada_marked, bo_marked = _marked(page.text, 0), _marked(page.text, 1)
    solution_lines = len(SOLUTION.splitlines())
    assert ada_marked and bo_marked, "both columns mark the shared code"
    helper_body = set(range(solution_lines + 4, solution_lines + 8))
    assert helper_body.isdisjoint(bo_marked), f"Bo's own helper is not marked: {sorted(bo_marked)}"
    assert helper_body <= _numbered(page.text, 1), "Bo's whole code is shown"
    assert "<mark>" in page.text


def test_the_page_refuses_what_is_not_a_pair_of_the_team_s(service):
    made = make_assessment(service.client, service.team, problems=[{"problem": "kl-divergence"}])
    ada = _submit(service, made["id"], "Ada", SOLUTION)
    idle = invite(service.client, service.team, made["id"], "Cy")["id"]
    with service.state.sessions() as session:
        rival = keys.create_key(session, Role.TEAM, "rival", team="rival").secret
    theirs = make_assessment(service.client, rival, problems=[{"problem": "kl-divergence"}])
    eve = invite(service.client, rival, theirs["id"], "Eve")["id"]
    sign_in(service, service.team)
    base = f"/team/assessments/{made['id']}/similar"
    assert service.client.get(f"{base}/kl-divergence/{ada}/{ada}").status_code == 422, "a candidate with themself"
    assert service.client.get(f"{base}/vae-mnist/{ada}/{idle}").status_code == 404, "a problem not in the assessment"
    no_attempt = service.client.get(f"{base}/kl-divergence/{ada}/{idle}")
    assert no_attempt.status_code == 404 and "Cy has no attempt" in no_attempt.text
    assert service.client.get(f"{base}/kl-divergence/{ada}/{eve}").status_code == 404, "another team's candidate"

"""Known solutions and matches (real app, FakeSandbox grading): the team's corpus through the API and its
page, and a candidate's code flagged when it matches the reference solution, a known solution, or another
candidate of the team's other assessments, never another team's."""

from __future__ import annotations

import re

from judge.assessments import matches
from judge.bank.ownership import Viewer
from judge.storage import keys
from judge.storage.models import Assessment, Fingerprint, FingerprintSet, Role
from tests.conftest import PROBLEMS
from tests.web.pages import csrf_of, invite, make_assessment
from tests.web.test_team_actions import sign_in

SOLUTION = (PROBLEMS / "kl-divergence" / "solution.py").read_text()
LEAKED = """import torch


def kl_divergence(first_mean, first_logvar, second_mean, second_logvar):
    variance_ratio = torch.exp(first_logvar - second_logvar)
    squared_gap = (first_mean - second_mean) ** 2 / torch.exp(second_logvar)
    per_dimension = 0.5 * (variance_ratio + squared_gap - 1.0 + second_logvar - first_logvar)
    summed = per_dimension.sum(dim=-1)
    if summed.dim() == 0:
        return summed
    return summed.mean()
"""
OWN = "\n\ndef helper_of_my_own(values):\n    total = 0\n    for value in values:\n        total += value * value\n    return total\n"
ORIGINAL = """import torch


def kl_divergence(a, b, c, d):
    out = []
    for i in range(a.shape[0]):
        row = 0.0
        for j in range(a.shape[1]):
            row = row + 0.5 * (torch.exp(b[i, j] - d[i, j]) + (a[i, j] - c[i, j]) ** 2 / torch.exp(d[i, j]))
            row = row + 0.5 * (d[i, j] - b[i, j] - 1.0)
        out.append(row)
    return torch.stack(out).mean()
"""


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _add(service, key: str, **body):
    return service.client.post("/api/v1/known-solutions", json=body, headers=_auth(key))


def _submit(service, key: str, assessment_id: str, name: str, source: str) -> str:
    issued = invite(service.client, key, assessment_id, name)
    headers = _auth(issued["token"])
    assert service.client.post("/api/v1/candidate/start", headers=headers).status_code == 200
    answer = service.client.post(
        "/api/v1/candidate/submissions", json={"problem": "kl-divergence", "source": source}, headers=headers
    )
    assert answer.status_code == 202, answer.text
    return issued["id"]


def _matches(service, assessment_id: str, invitation_id: str) -> list[matches.MatchFlag]:
    """The candidate's matches as the team that owns the assessment sees them."""
    with service.state.sessions() as session:
        team = session.get_one(Assessment, assessment_id).team
        return matches.candidate_matches(session, service.state.bank, Viewer(team=team), assessment_id, invitation_id)


def test_the_corpus_is_the_team_s_own(service):
    with service.state.sessions() as session:
        rival = keys.create_key(session, Role.TEAM, "rival", team="rival").secret
    made = _add(service, service.team, problem="kl-divergence", label="forum post", source=LEAKED)
    assert made.status_code == 201, made.text
    assert made.json()["label"] == "forum post" and made.json()["lines"] == len(LEAKED.splitlines())
    listed = service.client.get(
        "/api/v1/known-solutions", params={"problem": "kl-divergence"}, headers=_auth(service.team)
    )
    assert [k["id"] for k in listed.json()] == [made.json()["id"]]
    assert (
        service.client.get(
            "/api/v1/known-solutions", params={"problem": "vae-mnist"}, headers=_auth(service.team)
        ).json()
        == []
    )
    assert service.client.get("/api/v1/known-solutions", headers=_auth(rival)).json() == []
    gone = service.client.delete(f"/api/v1/known-solutions/{made.json()['id']}", headers=_auth(rival))
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")
    assert (
        service.client.delete(f"/api/v1/known-solutions/{made.json()['id']}", headers=_auth(service.team)).status_code
        == 204
    )
    assert service.client.get("/api/v1/known-solutions", headers=_auth(service.team)).json() == []
    assert _add(service, service.candidate, problem="kl-divergence", label="x", source=LEAKED).status_code == 403
    assert service.client.post("/api/v1/known-solutions", json={}).status_code == 401


def test_unusable_known_solutions_are_refused_with_the_reason(service):
    limit = service.state.settings.limits.max_source_bytes
    big = _add(service, service.team, problem="kl-divergence", label="big", source="x = 1\n" * (limit // 6 + 1))
    assert big.status_code == 413 and "limit" in big.json()["detail"]
    broken = _add(service, service.team, problem="kl-divergence", label="broken", source="def f(:\n")
    assert broken.status_code == 422 and "compiles: line 1" in broken.json()["detail"]
    unknown = _add(service, service.team, problem="no-such-problem", label="x", source=LEAKED)
    assert unknown.status_code == 404
    quiz = _add(service, service.team, problem="aigc-risks-quiz", label="x", source=LEAKED)
    assert quiz.status_code == 422 and "quiz" in quiz.json()["detail"]
    assert _add(service, service.team, problem="kl-divergence", label="", source=LEAKED).status_code == 422
    sign_in(service, service.team)
    form = service.client.get("/team/known-solutions")
    refused = service.client.post(
        "/team/known-solutions",
        data={"csrf_token": csrf_of(form.text), "problem": "kl-divergence", "label": "latin-1"},
        files={"file": ("leak.py", "x = 'caf\xe9'\n".encode("latin-1"), "text/x-python")},
    )
    assert refused.status_code == 422 and "must be UTF-8" in refused.text
    added = service.client.post(
        "/team/known-solutions",
        data={"csrf_token": csrf_of(form.text), "problem": "kl-divergence", "label": "assistant answer"},
        files={"file": ("leak.py", LEAKED.encode(), "text/x-python")},
        follow_redirects=True,
    )
    assert added.status_code == 200 and "assistant answer" in added.text
    row = re.search(r'<tr data-id="([0-9a-f]+)">', added.text)
    assert row is not None
    deleted = service.client.post(
        f"/team/known-solutions/{row.group(1)}/delete", data={"csrf_token": csrf_of(added.text)}, follow_redirects=True
    )
    assert deleted.status_code == 200 and f'data-id="{row.group(1)}"' not in deleted.text


def test_a_reference_match_and_a_corpus_match_are_flagged_with_a_side_by_side_page(service):
    known = _add(service, service.team, problem="kl-divergence", label="forum post", source=LEAKED).json()
    made = make_assessment(service.client, service.team, problems=[{"problem": "kl-divergence"}])
    copier = _submit(service, service.team, made["id"], "Ada", SOLUTION.replace("mu1", "first_mean"))
    leaker = _submit(service, service.team, made["id"], "Bo", LEAKED.replace("summed", "total") + OWN)
    honest = _submit(service, service.team, made["id"], "Cy", ORIGINAL)
    assert [f.key for f in _matches(service, made["id"], copier)] == ["known:kl-divergence:reference"]
    flags = _matches(service, made["id"], leaker)
    assert [f.key for f in flags] == [f"known:kl-divergence:{known['id']}"]
    assert re.fullmatch(r"matches a known solution: forum post \(\d+%\)", flags[0].message)
    assert _matches(service, made["id"], honest) == []
    sign_in(service, service.team)
    page = service.client.get(f"/team/assessments/{made['id']}/candidates/{leaker}")
    assert (
        f'data-key="known:kl-divergence:{known["id"]}"' in page.text
        and "matches a known solution: forum post" in page.text
    )
    side = service.client.get(flags[0].link)
    assert side.status_code == 200 and "<h1>Bo and forum post: kl-divergence</h1>" in side.text
    assert '<span class="line shared"' in side.text
    reference = service.client.get(f"/team/assessments/{made['id']}/candidates/{copier}/known/kl-divergence/reference")
    assert reference.status_code == 200 and "reference solution" in reference.text
    wrong = service.client.get(f"/team/assessments/{made['id']}/candidates/{copier}/known/kl-divergence/nope")
    assert wrong.status_code == 404


def test_a_pair_across_assessments_is_found_and_never_across_teams(service):
    with service.state.sessions() as session:
        rival = keys.create_key(session, Role.TEAM, "rival", team="rival").secret
    spring = make_assessment(service.client, service.team, problems=[{"problem": "kl-divergence"}], title="Spring")
    autumn = make_assessment(service.client, service.team, problems=[{"problem": "kl-divergence"}], title="Autumn")
    theirs = make_assessment(service.client, rival, problems=[{"problem": "kl-divergence"}])
    ada = _submit(service, service.team, spring["id"], "Ada", ORIGINAL)
    bo = _submit(service, service.team, autumn["id"], "Bo", ORIGINAL.replace("row", "acc").replace("out", "res") + OWN)
    eve = _submit(service, rival, theirs["id"], "Eve", ORIGINAL)
    with service.state.sessions() as session:
        assert matches.backfill(session, service.state.bank) == 3, "every team's counted submissions, once"
        assert matches.backfill(session, service.state.bank) == 0
    flags = _matches(service, autumn["id"], bo)
    assert [(f.kind, f.other_label, f.other_assessment_title) for f in flags] == [
        (matches.MatchKind.CROSS_ASSESSMENT, "Ada", "Spring")
    ]
    assert (
        flags[0].key.startswith("cross:kl-divergence:")
        and "similar to candidate Ada of assessment 'Spring'" in flags[0].message
    )
    assert flags[0].link == f"/team/assessments/{spring['id']}/candidates/{ada}"
    assert [f.other_label for f in _matches(service, spring["id"], ada)] == ["Bo"]
    assert _matches(service, theirs["id"], eve) == [], "acme's identical code is never shown to rival"
    with service.state.sessions() as session:
        stored = session.query(FingerprintSet).count()
        assert stored == 3 and session.query(Fingerprint).count() > 0, "a report stores nothing twice"
    _matches(service, autumn["id"], bo)
    with service.state.sessions() as session:
        assert session.query(FingerprintSet).count() == stored

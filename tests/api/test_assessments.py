"""Assessments over HTTP on the real app with a FakeSandbox: the team's and the candidate's routes,
every refusal, clocks (an injected clock, never sleeping), feedback levels, scoring policies,
reports and exports, rejudges, private banks and practice-only problems."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from judge.problem import load_problem
from judge.storage import keys
from judge.storage.models import Invitation, Role
from tests.api.packages import tiny_package, uploaded, zip_bytes
from tests.api.test_errors import PROBLEM_JSON
from tests.conftest import PROBLEMS

KL = load_problem(PROBLEMS / "kl-divergence")
KL_CHECKS = [c.id for c in KL.check_specs]
QUIZ = load_problem(PROBLEMS / "generative-models-quiz")
QUIZ_ANSWERS = (PROBLEMS / "generative-models-quiz" / "solution.json").read_text()
T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

# Enough real code for the similarity fingerprints; the fake sandbox only reads the directives.
SOLUTION_BODY = """
import torch


def kl_diag_gaussian(mu1, logvar1, mu2=None, logvar2=None):
    if mu2 is None:
        mu2 = torch.zeros_like(mu1)
    if logvar2 is None:
        logvar2 = torch.zeros_like(logvar1)
    ratio = torch.exp(logvar1 - logvar2)
    squared = (mu1 - mu2) ** 2 / torch.exp(logvar2)
    return 0.5 * torch.sum(ratio + squared - 1.0 - (logvar1 - logvar2), dim=-1)


def kl_categorical(p, q):
    positive = p > 0
    terms = torch.where(positive, p * (torch.log(torch.where(positive, p, torch.ones_like(p))) - torch.log(q)), torch.zeros_like(p))
    return terms.sum(dim=-1)
"""


def refused(answer, status: int, detail: str | None) -> dict:
    """The answer is problem+json with `status` and, when given, exactly `detail`."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    body = answer.json()
    assert body["status"] == status and body["title"] and body["detail"]
    if detail is not None:
        assert body["detail"] == detail
    return body


class Clock:
    """The service's clock, moved by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        """Jump to `moment`."""
        self.now = moment


class Team:
    """Calls of one team key."""

    def __init__(self, service, key: str) -> None:
        self.service, self.key = service, key

    def call(self, method: str, path: str, **kwargs):
        """A request with this key."""
        return self.service.client.request(method, f"/api/v1{path}", headers=self.service.auth(self.key), **kwargs)

    def create(self, **overrides) -> dict:
        """A new assessment (201 asserted): kl-divergence and the quiz, 09:00-17:00, 1 hour each, 3 attempts."""
        body = {
            "title": "ML engineer screen",
            "problems": [{"problem": "kl-divergence", "points": 30}, {"problem": "generative-models-quiz"}],
            "opens_at": T0.isoformat(),
            "closes_at": (T0 + 8 * HOUR).isoformat(),
            "duration_s": 3600,
            "max_attempts": 3,
            **overrides,
        }
        answer = self.call("POST", "/assessments", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def invite(self, assessment_id: str, name: str, **extra) -> dict:
        """A new invitation (201 asserted)."""
        answer = self.call("POST", f"/assessments/{assessment_id}/invitations", json={"candidate_name": name, **extra})
        assert answer.status_code == 201, answer.text
        return answer.json()

    def report(self, assessment_id: str) -> dict:
        """The assessment report (200 asserted)."""
        answer = self.call("GET", f"/assessments/{assessment_id}/report")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def candidate(self, assessment_id: str, invitation_id: str) -> dict:
        """One candidate's report (200 asserted)."""
        answer = self.call("GET", f"/assessments/{assessment_id}/report/candidates/{invitation_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()


class Candidate:
    """Calls with one invitation token."""

    def __init__(self, service, token: str) -> None:
        self.service, self.token = service, token

    def call(self, method: str, path: str, **kwargs):
        """A request with this token."""
        return self.service.client.request(
            method, f"/api/v1/candidate{path}", headers={"Authorization": f"Bearer {self.token}"}, **kwargs
        )

    def start(self) -> dict:
        """Press Start (200 asserted)."""
        answer = self.call("POST", "/start")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def submit(self, source: str, problem: str = "kl-divergence"):
        """POST a submission; the answer."""
        return self.call("POST", "/submissions", json={"problem": problem, "source": source})

    def submitted(self, source: str, problem: str = "kl-divergence") -> dict:
        """Submit, assert 202, and wait until graded."""
        answer = self.submit(source, problem)
        assert answer.status_code == 202, answer.text
        return self.wait(answer.json()["id"])

    def wait(self, entry_id: str) -> dict:
        """Long-poll one submission until graded."""
        answer = self.call("GET", f"/submissions/{entry_id}", params={"wait": 20})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] in ("completed", "failed"), body
        return body


@pytest.fixture
def clock() -> Clock:
    """A clock at the assessment's opening."""
    return Clock(T0)


@pytest.fixture
def world(start_service, clock):
    """The service on `clock`, with team `acme` (two keys), team `globex`, and helpers."""
    service = start_service()
    service.state.clock = clock
    with service.state.sessions() as session:
        acme = keys.create_key(session, Role.TEAM, "acme recruiter", team="acme").secret
        acme2 = keys.create_key(session, Role.TEAM, "acme lead", team="acme").secret
        globex = keys.create_key(session, Role.TEAM, "globex", team="globex").secret
    return service, Team(service, acme), Team(service, acme2), Team(service, globex)


def started(service, team: Team, assessment_id: str, name: str) -> tuple[dict, Candidate]:
    """An invited candidate who pressed Start."""
    invitation = team.invite(assessment_id, name)
    candidate = Candidate(service, invitation["token"])
    candidate.start()
    return invitation, candidate


# ---------------------------------------------------------------- creating and reading assessments


def test_team_creates_lists_and_reads_its_assessments_and_nobody_else_does(world):
    service, acme, acme2, globex = world
    created = acme.create()
    assert created["team"] == "acme"
    assert [p["problem"] for p in created["problems"]] == ["kl-divergence", "generative-models-quiz"]
    assert created["problems"][0]["points"] == 30
    assert created["problems"][1]["points"] == QUIZ.max_score  # default: the problem's own max score
    assert created["total_points"] == 30 + QUIZ.max_score
    assert created["feedback"] == "full" and created["scoring"] == "best"
    # Another key of the same team sees it; another team does not, not even that it exists.
    assert acme2.call("GET", f"/assessments/{created['id']}").status_code == 200
    assert [a["id"] for a in acme2.call("GET", "/assessments").json()] == [created["id"]]
    assert globex.call("GET", "/assessments").json() == []
    for path in ("", "/report", "/report/candidates/x", "/invitations", "/export", "/rejudges"):
        refused(
            globex.call("GET", f"/assessments/{created['id']}{path}"),
            404,
            f"no assessment {created['id']!r} (or not one of your team's)",
        )
    refused(globex.call("POST", f"/assessments/{created['id']}/invitations", json={"candidate_name": "x"}), 404, None)
    refused(globex.call("POST", f"/assessments/{created['id']}/rejudge", json={}), 404, None)
    # An admin sees every team's; a candidate key may not touch assessments at all.
    admin = Team(service, service.admin)
    assert admin.call("GET", f"/assessments/{created['id']}").status_code == 200
    refused(
        Team(service, service.candidate).call("GET", "/assessments"),
        403,
        "only admin or team keys may do this; this key's role is candidate",
    )


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        ({"closes_at": T0.isoformat()}, "closes_at must be after opens_at"),
        ({"problems": []}, "problems: List should have at least 1 item"),
        ({"problems": [{"problem": "kl-divergence"}, {"problem": "kl-divergence"}]}, "a problem appears twice"),
        ({"duration_s": 0}, "duration_s: Input should be greater than 0"),
        ({"feedback": "everything"}, "feedback: Input should be 'full', 'check_names' or 'score_only'"),
        ({"scoring": "average"}, "scoring: Input should be 'best' or 'last'"),
        ({"opens_at": "2030-01-01T09:00:00"}, "opens_at: Input should have timezone info"),
    ],
)
def test_invalid_assessments_are_refused(world, overrides, detail):
    _service, acme, _acme2, _globex = world
    answer = acme.call(
        "POST",
        "/assessments",
        json={
            "title": "t",
            "problems": [{"problem": "kl-divergence"}],
            "opens_at": T0.isoformat(),
            "closes_at": (T0 + HOUR).isoformat(),
            "duration_s": 60,
            **overrides,
        },
    )
    assert answer.status_code == 422, answer.text
    assert detail in answer.json()["detail"]


def test_unknown_problem_and_past_window_are_refused(world, clock):
    _service, acme, _acme2, _globex = world
    answer = acme.call(
        "POST",
        "/assessments",
        json={
            "title": "t",
            "problems": [{"problem": "no-such"}],
            "opens_at": T0.isoformat(),
            "closes_at": (T0 + HOUR).isoformat(),
            "duration_s": 60,
        },
    )
    refused(answer, 404, answer.json()["detail"])
    assert answer.json()["detail"].startswith("no problem 'no-such' (known: ")
    clock.set(T0 + 2 * HOUR)
    answer = acme.call(
        "POST",
        "/assessments",
        json={
            "title": "t",
            "problems": [{"problem": "kl-divergence"}],
            "opens_at": T0.isoformat(),
            "closes_at": (T0 + HOUR).isoformat(),
            "duration_s": 60,
        },
    )
    refused(answer, 422, "closes_at (2030-01-01T10:00:00Z) is in the past")


# ---------------------------------------------------------------- invitations and tokens


def test_invitation_token_is_shown_once_and_stored_only_as_a_hash(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create()
    issued = acme.invite(assessment["id"], "Ada", candidate_email="ada@example.com")
    token = issued["token"]
    assert issued["link"] == f"/invite/{token}"
    assert token.startswith(f"inv_{issued['id']}_") and len(token) > 50
    assert issued["expires_at"].startswith("2030-01-08T17:00:00")  # the close plus a week to read results
    assert issued["state"] == "invited"
    with service.state.sessions() as session:
        row = session.scalar(select(Invitation).where(Invitation.id == issued["id"]))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in (row.token_hash, row.candidate_name, row.id)
    listed = acme.call("GET", f"/assessments/{assessment['id']}/invitations").json()
    assert [i["id"] for i in listed] == [issued["id"]] and "token" not in listed[0]
    other = acme.invite(assessment["id"], "Grace")
    assert other["token"] != token


def test_refusals_of_tokens_wrong_malformed_withdrawn_expired(world, clock):
    service, acme, _acme2, _globex = world
    assessment = acme.create()
    issued = acme.invite(assessment["id"], "Ada", expires_at=(T0 + 2 * HOUR).isoformat())
    token = issued["token"]
    refused(
        service.client.get("/api/v1/candidate"),
        401,
        "an invitation token is required: open the link from your invitation",
    )
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "inv_nope_nope", "garbage", service.candidate):
        answer = Candidate(service, bad).call("GET", "")
        refused(answer, 401, "the invitation token is not valid; open the link from your invitation again")
        assert answer.headers["www-authenticate"].startswith("Bearer")
    # The token works in a header of its own and as the invite page's cookie too.
    assert service.client.get("/api/v1/candidate", headers={"X-Invitation-Token": token}).status_code == 200
    service.client.cookies.set("judge_invitation", token)
    assert service.client.get("/api/v1/candidate").status_code == 200
    service.client.cookies.clear()
    # An API key is no invitation token, and an invitation token is no API key.
    assert service.client.get("/api/v1/problems", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    clock.set(T0 + 2 * HOUR)
    refused(Candidate(service, token).call("GET", ""), 401, "this invitation expired at 2030-01-01T11:00:00Z")
    clock.set(T0)
    withdrawn = acme.call("DELETE", f"/assessments/{assessment['id']}/invitations/{issued['id']}")
    assert withdrawn.status_code == 200 and withdrawn.json()["revoked_at"] is not None
    refused(Candidate(service, token).call("GET", ""), 401, "this invitation was withdrawn by the hiring team")
    refused(
        acme.call("DELETE", f"/assessments/{assessment['id']}/invitations/nope"),
        404,
        f"no invitation 'nope' in assessment {assessment['id']!r}",
    )


def test_inviting_after_the_close_or_with_a_past_expiry_is_refused(world, clock):
    _service, acme, _acme2, _globex = world
    assessment = acme.create()
    clock.set(T0 + HOUR)
    answer = acme.call(
        "POST",
        f"/assessments/{assessment['id']}/invitations",
        json={"candidate_name": "x", "expires_at": T0.isoformat()},
    )
    refused(answer, 422, "expires_at (2030-01-01T09:00:00Z) is in the past")
    clock.set(T0 + 8 * HOUR)
    answer = acme.call("POST", f"/assessments/{assessment['id']}/invitations", json={"candidate_name": "x"})
    refused(answer, 422, "the assessment closed at 2030-01-01T17:00:00Z; a new invitation could not be used")


# ---------------------------------------------------------------- the candidate's clock and refusals


def test_candidate_flow_and_clock_refusals(world, clock):
    service, acme, _acme2, _globex = world
    assessment = acme.create(duration_s=1800)
    issued = acme.invite(assessment["id"], "Ada")
    ada = Candidate(service, issued["token"])
    clock.set(T0 - HOUR)
    overview = ada.call("GET", "").json()
    assert overview["state"] == "invited" and overview["remaining_s"] is None and overview["started_at"] is None
    assert [p["attempts_left"] for p in overview["problems"]] == [3, 3]
    refused(
        ada.call("GET", "/problems/kl-divergence"), 409, "press Start first: problems are shown once your time runs"
    )
    refused(ada.call("POST", "/start"), 403, "the assessment opens at 2030-01-01T09:00:00Z; come back then")
    refused(ada.submit(SOLUTION_BODY), 403, "the assessment opens at 2030-01-01T09:00:00Z; come back then")
    # The clock starts at Start (10:00), not at the window's opening (09:00).
    clock.set(T0 + HOUR)
    refused(ada.submit(SOLUTION_BODY), 409, "press Start before submitting")
    overview = ada.start()
    assert overview["state"] == "in_progress" and overview["remaining_s"] == 1800
    assert overview["deadline_at"].startswith("2030-01-01T10:30:00")
    clock.set(T0 + HOUR + timedelta(minutes=10))
    again = ada.start()  # pressing Start again changes nothing
    assert again["started_at"] == overview["started_at"] and again["remaining_s"] == 1200
    problem = ada.call("GET", "/problems/kl-divergence").json()
    assert problem["starter"] == KL.starter() and problem["statement"] == KL.statement() and problem["points"] == 30
    assert {c["id"] for c in problem["public_checks"]} == {"gaussian_shapes", "categorical_shapes"}
    assert "solution" not in json.dumps(problem).lower().replace("solution.py", "")
    quiz = ada.call("GET", "/problems/generative-models-quiz").json()
    assert len(quiz["questions"]) == len(QUIZ.quiz.questions) and "answer" not in quiz["questions"][0]
    # A problem outside the assessment is a 404 for reading and submitting.
    refused(ada.call("GET", "/problems/vae-mnist"), 404, "problem 'vae-mnist' is not part of this assessment")
    refused(ada.submit("x", problem="vae-mnist"), 404, "problem 'vae-mnist' is not part of this assessment")
    # At 10:29:59 the submission is accepted; at 10:30:00 the time is up.
    clock.set(T0 + HOUR + timedelta(minutes=29, seconds=59))
    assert ada.submit(SOLUTION_BODY).status_code == 202
    clock.set(T0 + HOUR + timedelta(minutes=30))
    refused(
        ada.submit(SOLUTION_BODY), 403, "your time ended at 2030-01-01T10:30:00Z; submissions after it are not accepted"
    )
    overview = ada.call("GET", "").json()
    assert overview["state"] == "finished" and overview["remaining_s"] == 0
    # Reading what was submitted still works after the time is up.
    assert len(ada.call("GET", "/submissions").json()) == 1
    clock.set(T0 + 8 * HOUR)
    refused(ada.submit(SOLUTION_BODY), 403, "the assessment closed at 2030-01-01T17:00:00Z")


def test_duration_never_runs_past_the_close_and_starting_after_the_close_is_refused(world, clock):
    service, acme, _acme2, _globex = world
    assessment = acme.create(duration_s=3 * 3600)
    grace = Candidate(service, acme.invite(assessment["id"], "Grace")["token"])
    bob = Candidate(service, acme.invite(assessment["id"], "Bob")["token"])
    clock.set(T0 + 7 * HOUR)
    overview = grace.start()
    assert overview["deadline_at"].startswith("2030-01-01T17:00:00") and overview["remaining_s"] == 3600
    clock.set(T0 + 8 * HOUR)
    refused(bob.call("POST", "/start"), 403, "the assessment closed at 2030-01-01T17:00:00Z")
    assert bob.call("GET", "").json()["state"] == "finished"


def test_finishing_early_ends_the_time(world, clock):
    service, acme, _acme2, _globex = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    refused(Candidate(service, acme.invite(assessment["id"], "Bob")["token"]).call("POST", "/finish"), 409, None)
    clock.set(T0 + timedelta(minutes=5))
    done = ada.call("POST", "/finish").json()
    assert done["state"] == "finished" and done["remaining_s"] == 0
    refused(
        ada.submit(SOLUTION_BODY),
        403,
        "you ended the assessment at 2030-01-01T09:05:00Z; no more submissions are accepted",
    )


def test_two_start_presses_at_once_start_the_clock_once(world, clock):
    """Both requests read the invitation before either writes: the second must not move the clock."""
    from judge.assessments import service as assessments

    service, acme, _acme2, _globex = world
    assessment = acme.create()
    token = acme.invite(assessment["id"], "Ada")["token"]
    bank = service.state.bank
    with service.state.sessions() as first, service.state.sessions() as second:
        early = assessments.authenticate(first, token, T0)
        late = assessments.authenticate(second, token, T0)
        assert early.started_at is None and late.started_at is None
        one = assessments.start(first, bank, early, T0 + timedelta(minutes=1))
        two = assessments.start(second, bank, late, T0 + timedelta(minutes=2))
    assert one.started_at == two.started_at == T0 + timedelta(minutes=1)
    assert one.deadline_at == two.deadline_at == T0 + timedelta(minutes=61)
    overview = Candidate(service, token).call("GET", "").json()
    assert overview["started_at"].startswith("2030-01-01T09:01:00")


def test_attempts_are_limited_per_problem(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create(max_attempts=2)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    for _ in range(2):
        assert ada.submit(SOLUTION_BODY).status_code == 202
    refused(ada.submit(SOLUTION_BODY), 409, "all 2 attempts at 'kl-divergence' are used")
    # The other problem has its own attempts.
    assert ada.submit(QUIZ_ANSWERS, problem="generative-models-quiz").status_code == 202
    summary = {p["problem"]: p for p in ada.call("GET", "").json()["problems"]}
    assert summary["kl-divergence"]["attempts_left"] == 0 and summary["generative-models-quiz"]["attempts_left"] == 1


def test_a_candidate_cannot_read_another_candidates_submission(world):
    service, acme, _acme2, globex = world
    assessment = acme.create()
    _one, ada = started(service, acme, assessment["id"], "Ada")
    _two, bob = started(service, acme, assessment["id"], "Bob")
    entry = ada.submitted(SOLUTION_BODY)
    for path in (f"/submissions/{entry['id']}", f"/submissions/{entry['id']}/events"):
        refused(bob.call("GET", path), 404, f"no submission {entry['id']!r} among yours")
    assert bob.call("GET", "/submissions").json() == []
    # A candidate of another team's assessment cannot either.
    other = globex.create(problems=[{"problem": "kl-divergence"}])
    _three, eve = started(service, globex, other["id"], "Eve")
    refused(eve.call("GET", f"/submissions/{entry['id']}"), 404, None)
    # Nor can a candidate API key through /submissions: the grading is nobody's key's.
    grading = acme.candidate(assessment["id"], _one["id"])["problems"][0]["entries"][0]["gradings"][0]["submission_id"]
    assert (
        service.client.get(f"/api/v1/submissions/{grading}", headers=service.auth(service.candidate)).status_code == 404
    )
    # And another team's key does not see it among all submissions, though the owning team does.
    refused(globex.call("GET", f"/submissions/{grading}"), 404, f"no submission {grading!r}")
    refused(globex.call("GET", f"/submissions/{grading}/events"), 404, None)
    assert grading not in [s["id"] for s in globex.call("GET", "/submissions").json()["items"]]
    assert acme.call("GET", f"/submissions/{grading}").status_code == 200
    assert grading in [s["id"] for s in acme.call("GET", "/submissions").json()["items"]]


def test_source_that_is_not_valid_is_refused_without_costing_an_attempt(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create(max_attempts=1)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    big = "#" * (service.state.settings.limits.max_source_bytes + 1)
    assert ada.submit(big).status_code == 422
    assert ada.submit(SOLUTION_BODY).status_code == 202


# ---------------------------------------------------------------- grading, feedback and scoring


def test_nothing_submitted_in_time_is_lost_when_grading_ends_after_the_deadline(world, clock):
    service, acme, _acme2, _globex = world
    assessment = acme.create(duration_s=3600)
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    clock.set(T0 + timedelta(minutes=59, seconds=59))
    accepted = ada.submit("# fake: sleep=0.05\n" + SOLUTION_BODY)
    assert accepted.status_code == 202 and accepted.json()["status"] in ("queued", "running")
    clock.set(T0 + 2 * HOUR)  # the deadline passes while it is graded
    done = ada.wait(accepted.json()["id"])
    assert done["status"] == "completed" and done["score"] == 30
    row = acme.candidate(assessment["id"], invitation["id"])["row"]
    assert row["scores"]["kl-divergence"] == 30 and row["attempts"] == 1 and row["time_used_s"] == 3600


def test_full_feedback_shows_checks_and_messages(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    done = ada.submitted("# fake: fail=gaussian_value\n" + SOLUTION_BODY)
    assert done["feedback"] == "full" and done["verdict"] == "partial"
    assert done["max_score"] == 30 and done["score"] == pytest.approx(30 * (KL.max_score - 3) / KL.max_score)
    checks = {c["id"]: c for c in done["checks"]}
    assert list(checks) == KL_CHECKS
    assert (
        checks["gaussian_value"]["outcome"] == "failed"
        and checks["gaussian_value"]["message"] == "the fake sandbox failed this check"
    )
    assert checks["gaussian_value"]["points"] == 0 and checks["gaussian_value"]["max_points"] == pytest.approx(
        30 * 3 / KL.max_score
    )


def test_check_names_feedback_hides_messages_and_explanations_until_the_close(world, clock):
    service, acme, _acme2, _globex = world
    assessment = acme.create(feedback="check_names")
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    done = ada.submitted("# fake: fail=gaussian_value\n" + SOLUTION_BODY)
    assert done["feedback"] == "check_names" and done["verdict"] == "partial"
    assert [c["id"] for c in done["checks"]] == KL_CHECKS
    assert all(c["message"] is None and c["explanation"] is None for c in done["checks"])
    quiz = ada.submitted(QUIZ_ANSWERS, problem="generative-models-quiz")
    assert quiz["checks"] is None  # a quiz: its score alone (tests/api/test_quiz_feedback.py)
    # Once the window closes nobody can submit, so everyone sees everything.
    clock.set(T0 + 8 * HOUR)
    after = ada.call("GET", f"/submissions/{done['id']}").json()
    assert after["feedback"] == "full"
    assert (
        next(c for c in after["checks"] if c["id"] == "gaussian_value")["message"]
        == "the fake sandbox failed this check"
    )


def test_score_only_feedback_shows_the_score_and_nothing_per_check(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create(feedback="score_only")
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    done = ada.submitted("# fake: fail=all\n" + SOLUTION_BODY)
    assert done["feedback"] == "score_only"
    assert done["score"] == 0 and done["max_score"] == 30
    assert done["checks"] is None and done["verdict"] is None
    listed = ada.call("GET", "/submissions").json()
    assert listed[0]["checks"] is None and listed[0]["verdict"] is None
    # The event stream gives progress only: how many checks are done, never which or how.
    with service.client.stream(
        "GET", f"/api/v1/candidate/submissions/{done['id']}/events", headers={"Authorization": f"Bearer {ada.token}"}
    ) as stream:
        events = _parse_sse(stream.read().decode())
    checks = [json.loads(e["data"]) for e in events if e["event"] == "check"]
    assert [c["done"] for c in checks] == list(range(1, len(KL_CHECKS) + 1))
    assert all(set(c) == {"attempt", "done", "total"} and c["total"] == len(KL_CHECKS) for c in checks)
    assert json.loads(events[-1]["data"])["checks"] is None


def _parse_sse(text: str) -> list[dict]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:
            events.append(fields)
    return events


def test_full_feedback_event_stream_sends_each_check_then_the_result(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    accepted = ada.submit("# fake: sleep=0.02\n" + SOLUTION_BODY).json()
    assert accepted["events"] == f"/api/v1/candidate/submissions/{accepted['id']}/events"
    with service.client.stream("GET", accepted["events"], headers={"Authorization": f"Bearer {ada.token}"}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = _parse_sse(stream.read().decode())
    assert [e["event"] for e in events] == ["check"] * len(KL_CHECKS) + ["result"]
    assert sorted(json.loads(e["data"])["id"] for e in events[:-1]) == sorted(KL_CHECKS)
    assert json.loads(events[-1]["data"])["score"] == 30


@pytest.mark.parametrize(("policy", "expected"), [("best", 30.0), ("last", 0.0)])
def test_scoring_policies(world, policy, expected):
    service, acme, _acme2, _globex = world
    assessment = acme.create(scoring=policy)
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    ada.submitted("# fake: fail=gaussian_value\n" + SOLUTION_BODY)
    ada.submitted(SOLUTION_BODY)
    ada.submitted("# fake: fail=all\n" + SOLUTION_BODY)
    overview = ada.call("GET", "").json()
    assert overview["problems"][0]["score"] == expected
    report = acme.candidate(assessment["id"], invitation["id"])
    kl = report["problems"][0]
    assert kl["score"] == expected and kl["attempts"] == 3
    counted = [e["number"] for e in kl["entries"] if e["counted"]]
    assert counted == ([2] if policy == "best" else [3])
    assert kl["verdict"] == ("accepted" if policy == "best" else "wrong_answer")


# ---------------------------------------------------------------- reports and exports


def test_reports_rank_candidates_with_distribution_flags_code_and_similar_pairs(world, clock):
    service, acme, _acme2, _globex = world
    assessment = acme.create()
    ada_inv, ada = started(service, acme, assessment["id"], "Ada")
    bob_inv, bob = started(service, acme, assessment["id"], "Bob")
    eve_inv, eve = started(service, acme, assessment["id"], "Eve")
    never = acme.invite(assessment["id"], "Never")
    clock.set(T0 + timedelta(minutes=20))
    ada.submitted(SOLUTION_BODY)
    ada.submitted(QUIZ_ANSWERS, problem="generative-models-quiz")
    # Bob's copy of Ada's code, renamed and with a tampering import, fails one check.
    copied = "# fake: fail=gaussian_value\nimport ctypes\n" + SOLUTION_BODY.replace("ratio", "r").replace(
        "squared", "sq"
    )
    bob.submitted(copied)
    eve.submitted("# fake: fail=all\ndef kl_diag_gaussian(a, b):\n    return a\n")
    clock.set(T0 + timedelta(minutes=40))
    ada.call("POST", "/finish")
    report = acme.report(assessment["id"])
    names = [r["candidate_name"] for r in report["ranking"]]
    assert names == ["Ada", "Bob", "Eve", "Never"]
    assert [r["rank"] for r in report["ranking"]] == [1, 2, 3, None]
    ada_row, bob_row = report["ranking"][0], report["ranking"][1]
    assert ada_row["total_score"] == pytest.approx(30 + QUIZ.max_score) and ada_row["percent"] == 100
    assert ada_row["time_used_s"] == 40 * 60 and ada_row["state"] == "finished"
    assert bob_row["time_used_s"] == 40 * 60 and bob_row["state"] == "in_progress"
    assert bob_row["scores"] == {
        "kl-divergence": pytest.approx(30 * (KL.max_score - 3) / KL.max_score),
        "generative-models-quiz": None,
    }
    assert bob_row["verdicts"]["kl-divergence"] == "partial" and bob_row["integrity_flags"] >= 1
    assert report["ranking"][3]["state"] == "invited" and report["ranking"][3]["time_used_s"] is None
    distribution = report["distribution"]
    assert distribution["count"] == 3 and distribution["max"] == ada_row["total_score"] and distribution["min"] == 0
    assert len(distribution["buckets"]) == 10 and sum(b["count"] for b in distribution["buckets"]) == 3
    assert distribution["buckets"][9]["count"] == 1 and distribution["buckets"][0]["count"] == 1
    pairs = report["similar_pairs"]
    assert len(pairs) == 1 and {pairs[0]["candidate_a"], pairs[0]["candidate_b"]} == {"Ada", "Bob"}
    assert (
        pairs[0]["problem"] == "kl-divergence"
        and pairs[0]["similarity"] >= service.state.settings.assessments.similarity_threshold
    )
    assert ada_row["similar_to"] == ["Bob"] and report["ranking"][2]["similar_to"] == []
    detail = acme.candidate(assessment["id"], bob_inv["id"])
    entry = detail["problems"][0]["entries"][0]
    assert entry["source"] == copied and entry["verdict"] == "partial" and entry["counted"]
    assert any(f["kind"] == "ctypes" and f["line"] == 2 for f in entry["integrity_flags"])
    assert [c["id"] for c in entry["checks"]] == KL_CHECKS
    assert [p["candidate_a"] for p in detail["similar_pairs"]] and detail["invitation"]["candidate_name"] == "Bob"
    assert acme.candidate(assessment["id"], never["id"])["problems"][0]["entries"] == []
    refused(acme.call("GET", f"/assessments/{assessment['id']}/report/candidates/nope"), 404, None)
    assert eve_inv and ada_inv


def test_exports_as_json_and_csv(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create()
    _one, ada = started(service, acme, assessment["id"], "=Ada")  # a name a spreadsheet would run
    ada.submitted(SOLUTION_BODY)
    as_json = acme.call("GET", f"/assessments/{assessment['id']}/export", params={"format": "json"})
    assert as_json.status_code == 200 and as_json.headers["content-type"].startswith("application/json")
    assert "attachment" in as_json.headers["content-disposition"]
    data = as_json.json()
    assert data["ranking"][0]["total_score"] == 30
    assert data["candidates"][0]["problems"][0]["entries"][0]["source"] == SOLUTION_BODY
    as_csv = acme.call("GET", f"/assessments/{assessment['id']}/export", params={"format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 1
    assert rows[0]["candidate_name"] == "'=Ada" and rows[0]["rank"] == "1"
    assert rows[0]["scores.kl-divergence"] == "30.0" and rows[0]["verdicts.kl-divergence"] == "accepted"
    assert acme.call("GET", f"/assessments/{assessment['id']}/export", params={"format": "xml"}).status_code == 422


# ---------------------------------------------------------------- rejudge


def test_rejudge_grades_every_submission_again_idempotently_and_shows_in_the_report(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create()
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    _two, bob = started(service, acme, assessment["id"], "Bob")
    ada.submitted("# fake: sleep=0.1\n" + SOLUTION_BODY)
    bob.submitted(QUIZ_ANSWERS, problem="generative-models-quiz")
    path = f"/assessments/{assessment['id']}/rejudge"
    first = acme.call("POST", path, json={})
    assert first.status_code == 202 and first.json()["round"] == 1 and first.json()["gradings"] == 2
    ada.wait(ada.call("GET", "/submissions").json()[0]["id"])
    service.wait(
        service.admin,
        acme.candidate(assessment["id"], invitation["id"])["problems"][0]["entries"][0]["gradings"][-1][
            "submission_id"
        ],
    )
    rounds = acme.call("GET", f"/assessments/{assessment['id']}/rejudges").json()
    assert rounds[0]["round"] == 1 and rounds[0]["finished"] == rounds[0]["gradings"] == 2
    entry = acme.candidate(assessment["id"], invitation["id"])["problems"][0]["entries"][0]
    assert [g["round"] for g in entry["gradings"]] == [0, 1]
    assert entry["gradings"][0]["submission_id"] != entry["gradings"][1]["submission_id"]
    assert entry["score"] == 30 and entry["status"] == "completed"
    # One problem only, once the first round is done: round 2 grades only that problem's submissions.
    second = acme.call("POST", path, json={"problem": "generative-models-quiz"})
    assert second.status_code == 202 and second.json()["round"] == 2 and second.json()["gradings"] == 1
    report = acme.report(assessment["id"])
    assert [r["round"] for r in report["rejudges"]] == [1, 2]
    refused(
        acme.call("POST", path, json={"problem": "vae-mnist"}),
        404,
        "problem 'vae-mnist' is not part of this assessment",
    )


def test_rejudge_of_an_assessment_without_submissions_is_refused(world):
    _service, acme, _acme2, _globex = world
    assessment = acme.create()
    refused(
        acme.call("POST", f"/assessments/{assessment['id']}/rejudge"), 422, "there are no submissions to rejudge yet"
    )


# ---------------------------------------------------------------- private banks and practice-only problems


def _private_bank(tmp_path) -> object:
    """A directory holding one problem, acme-kl, a copy of kl-divergence."""
    bank = tmp_path / "acme-bank"
    target = bank / "acme-kl"
    shutil.copytree(PROBLEMS / "kl-divergence", target)
    toml = target / "problem.toml"
    toml.write_text(toml.read_text().replace('slug = "kl-divergence"', 'slug = "acme-kl"'))
    return bank


def test_private_bank_directory_is_visible_only_to_its_team(start_service, tmp_path, clock):
    service = start_service(problems={"team_dirs": {"acme": [_private_bank(tmp_path)]}})
    service.state.clock = clock
    with service.state.sessions() as session:
        acme = Team(service, keys.create_key(session, Role.TEAM, "acme", team="acme").secret)
        globex = Team(service, keys.create_key(session, Role.TEAM, "globex", team="globex").secret)
    assert "acme-kl" in [p["slug"] for p in acme.call("GET", "/problems").json()]
    assert acme.call("GET", "/problems/acme-kl").status_code == 200
    for key in (globex.key, service.candidate):
        caller = Team(service, key)
        assert "acme-kl" not in [p["slug"] for p in caller.call("GET", "/problems").json()]
        assert caller.call("GET", "/problems/acme-kl").status_code == 404
        assert caller.call("GET", "/problems/acme-kl/starter").status_code == 404
    refused(
        Team(service, service.candidate).call("POST", "/submissions", json={"problem": "acme-kl", "source": "x"}),
        404,
        None,
    )
    assert Team(service, service.admin).call("GET", "/problems/acme-kl").status_code == 200
    assessment = acme.create(problems=[{"problem": "acme-kl"}])
    _inv, ada = started(service, acme, assessment["id"], "Ada")
    assert ada.submitted(SOLUTION_BODY, problem="acme-kl")["score"] == KL.max_score
    answer = globex.call(
        "POST",
        "/assessments",
        json={
            "title": "t",
            "problems": [{"problem": "acme-kl"}],
            "opens_at": T0.isoformat(),
            "closes_at": (T0 + HOUR).isoformat(),
            "duration_s": 60,
        },
    )
    assert answer.status_code == 404 and answer.json()["detail"].startswith("no problem 'acme-kl'")


def test_uploads_of_a_team_are_private_to_it(world):
    service, acme, acme2, globex = world
    assert uploaded(service.client, zip_bytes(tiny_package()), service.auth(acme.key))["status"] == "accepted"
    assert acme2.call("GET", "/problems/tiny-upload").status_code == 200
    assert globex.call("GET", "/problems/tiny-upload").status_code == 404
    assert Team(service, service.candidate).call("GET", "/problems/tiny-upload").status_code == 404
    # Another team cannot take the slug over by uploading a package of the same name.
    taken = service.client.post(
        "/api/v1/problems",
        files={"package": ("p.zip", zip_bytes(tiny_package()), "application/zip")},
        headers=service.auth(globex.key),
    )
    refused(taken, 409, "problem 'tiny-upload' belongs to another team's private bank; choose another slug")
    assert acme.create(problems=[{"problem": "tiny-upload"}])["problems"][0]["points"] == 3


def test_a_private_problem_cannot_be_marked_practice_only(world):
    service, acme, _acme2, _globex = world
    assert uploaded(service.client, zip_bytes(tiny_package()), service.auth(acme.key))["status"] == "accepted"
    refused(
        acme.call("PUT", "/practice-problems/tiny-upload"),
        422,
        "problem 'tiny-upload' is in your private bank; only public problems can be practice-only",
    )
    assert acme.call("GET", "/practice-problems").json() == []


def test_practice_only_problems_cannot_go_into_the_teams_assessments(world):
    service, acme, _acme2, globex = world
    assert acme.call("PUT", "/practice-problems/kl-divergence").status_code == 204
    assert acme.call("PUT", "/practice-problems/kl-divergence").status_code == 204  # idempotent
    assert acme.call("GET", "/practice-problems").json() == ["kl-divergence"]
    answer = acme.call(
        "POST",
        "/assessments",
        json={
            "title": "t",
            "problems": [{"problem": "kl-divergence"}],
            "opens_at": T0.isoformat(),
            "closes_at": (T0 + HOUR).isoformat(),
            "duration_s": 60,
        },
    )
    refused(
        answer,
        422,
        "problem 'kl-divergence' is marked practice-only for your team; unmark it to use it in an assessment",
    )
    # Only for that team; and still open for practice over /submissions.
    assert globex.create()["problems"][0]["problem"] == "kl-divergence"
    assert service.submit(service.candidate, "# fake: sleep=0\n", problem="kl-divergence")["status"] in (
        "queued",
        "running",
        "completed",
    )
    assert acme.call("PUT", "/practice-problems/no-such").status_code == 404
    assert acme.call("DELETE", "/practice-problems/kl-divergence").status_code == 204
    assert acme.create()["problems"][0]["problem"] == "kl-divergence"


def test_rejudge_after_the_team_fixes_a_problems_checks_regrades_the_same_source(world):
    service, acme, _acme2, _globex = world

    def upload(files: dict[str, bytes]) -> dict:
        return uploaded(service.client, zip_bytes(files), service.auth(acme.key))

    assert upload(tiny_package())["status"] == "accepted"
    assessment = acme.create(problems=[{"problem": "tiny-upload", "points": 6}])
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    source = "# fake: fail=beta\ndef add(a, b):\n    return a + b\n"
    first = ada.submitted(source, problem="tiny-upload")
    assert first["score"] == 2 and [c["outcome"] for c in first["checks"]] == ["passed", "failed"]
    # The team finds check beta wrong and replaces it; the candidate's stored code is graded again.
    fixed = tiny_package(mutant="# fake: fail=beta_fixed\n")
    fixed["problem.toml"] = fixed["problem.toml"].replace(b'id = "beta"', b'id = "beta_fixed"')
    fixed["checks/test_tiny.py"] = fixed["checks/test_tiny.py"].replace(b"def test_beta(", b"def test_beta_fixed(")
    assert upload(fixed)["replaced"] is True
    body = {"problem": "tiny-upload", "current_package": True}
    assert acme.call("POST", f"/assessments/{assessment['id']}/rejudge", json=body).status_code == 202
    regraded = ada.wait(first["id"])
    assert regraded["id"] == first["id"] and regraded["score"] == 6
    assert [c["id"] for c in regraded["checks"]] == ["alpha", "beta_fixed"]
    entry = acme.candidate(assessment["id"], invitation["id"])["problems"][0]["entries"][0]
    assert entry["source"] == source
    assert [(g["round"], g["score"]) for g in entry["gradings"]] == [(0, 2), (1, 6)]
    assert acme.report(assessment["id"])["ranking"][0]["total_score"] == 6


def test_assessment_submissions_are_never_refused_for_a_full_queue(start_service, clock):
    service = start_service(queue={"limit": 1})
    service.state.clock = clock
    with service.state.sessions() as session:
        acme = Team(service, keys.create_key(session, Role.TEAM, "acme", team="acme").secret)
    assessment = acme.create(max_attempts=4)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    accepted = [ada.submit("# fake: sleep=0.05\n" + SOLUTION_BODY) for _ in range(4)]
    assert [a.status_code for a in accepted] == [202] * 4
    assert all(ada.wait(a.json()["id"])["score"] == 30 for a in accepted)

"""Assessments end to end on real components: a real sandbox grading a seed problem's reference
through an assessment, and the whole candidate flow and report on PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from judge.app.factory import create_app
from judge.problem import load_problem
from judge.sandbox.select import choose_sandbox
from judge.settings import Settings
from judge.storage import keys
from judge.storage.models import Role
from tests.api.support import fresh_postgres_database, service_url, wait_for
from tests.api.test_assessments import QUIZ, QUIZ_ANSWERS, SOLUTION_BODY, T0, Candidate, Clock, Team, started
from tests.conftest import PROBLEMS

pytestmark = pytest.mark.integration
KL = load_problem(PROBLEMS / "kl-divergence")
GRADE_TIMEOUT_S = 240


@pytest.mark.slow
def test_reference_solution_scores_full_marks_through_an_assessment_in_a_real_sandbox(tmp_path):
    # The sandbox settings name (JUDGE_SANDBOX; auto: Docker, else bubblewrap) grades for real.
    settings = Settings(
        problems={"dirs": [PROBLEMS]},
        storage={"data_dir": tmp_path / "data"},
        service={"poll_interval_s": 0.1, "max_wait_s": GRADE_TIMEOUT_S},
    )
    app = create_app(settings, sandbox_factory=choose_sandbox)
    with TestClient(app) as client:
        state = app.state.judge
        state.clock = Clock(T0)
        with state.sessions() as session:
            team_key = keys.create_key(session, Role.TEAM, "acme", team="acme").secret
        service = _Service(client, state)
        acme = Team(service, team_key)
        assessment = acme.create()
        invitation, ada = started(service, acme, assessment["id"], "Ada")
        accepted = ada.submit((PROBLEMS / "kl-divergence" / "solution.py").read_text())
        assert accepted.status_code == 202, accepted.text
        done = ada.call(
            "GET",
            f"/submissions/{accepted.json()['id']}",
            params={"wait": GRADE_TIMEOUT_S},
            timeout=GRADE_TIMEOUT_S + 30,
        ).json()
        assert done["status"] == "completed", done
        assert done["verdict"] == "accepted" and done["score"] == 30
        assert [c["outcome"] for c in done["checks"]] == ["passed"] * len(KL.check_specs)
        quiz = ada.submitted(QUIZ_ANSWERS, problem="generative-models-quiz")
        assert quiz["score"] == QUIZ.max_score
        row = acme.candidate(assessment["id"], invitation["id"])["row"]
        assert row["total_score"] == 30 + QUIZ.max_score and row["verdicts"]["kl-divergence"] == "accepted"


class _Service:
    """What the helpers of test_assessments need of a service: a client and its auth header."""

    def __init__(self, client: TestClient, state) -> None:
        self.client, self.state = client, state

    def auth(self, key: str) -> dict[str, str]:
        """The Authorization header for `key`."""
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def postgres_url():
    """A fresh PostgreSQL database."""
    yield from fresh_postgres_database(service_url("postgres"))


def test_candidate_flow_rejudge_and_report_on_postgresql(start_service, postgres_url):
    service = start_service(storage={"database_url": postgres_url})
    service.state.clock = Clock(T0)
    with service.state.sessions() as session:
        acme = Team(service, keys.create_key(session, Role.TEAM, "acme", team="acme").secret)
        globex = Team(service, keys.create_key(session, Role.TEAM, "globex", team="globex").secret)
    assessment = acme.create(scoring="last")
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    _other, bob = started(service, acme, assessment["id"], "Bob")
    ada.submitted(SOLUTION_BODY)
    ada.submitted("# fake: fail=gaussian_value\n" + SOLUTION_BODY)
    bob.submitted("# fake: fail=all\n" + SOLUTION_BODY.replace("ratio", "r"))
    assert bob.call("GET", f"/submissions/{ada.call('GET', '/submissions').json()[0]['id']}").status_code == 404
    assert globex.call("GET", f"/assessments/{assessment['id']}/report").status_code == 404
    assert acme.call("POST", f"/assessments/{assessment['id']}/rejudge", json={}).status_code == 202
    assert acme.call("POST", f"/assessments/{assessment['id']}/rejudge", json={}).status_code == 409, (
        "one open round at a time"
    )
    rounds = wait_for(
        lambda: (
            (r := acme.call("GET", f"/assessments/{assessment['id']}/rejudges").json())
            and r[-1]["finished"] == r[-1]["gradings"]
            and r
        ),
        30,
        "the rejudge round to finish",
    )
    assert [r["round"] for r in rounds] == [1] and rounds[0]["gradings"] == 3
    report = acme.report(assessment["id"])
    assert [r["candidate_name"] for r in report["ranking"]] == ["Ada", "Bob"]
    # Scoring "last": Ada's second, partial attempt counts, not her first full-marks one.
    assert report["ranking"][0]["scores"]["kl-divergence"] == pytest.approx(30 * (KL.max_score - 3) / KL.max_score)
    assert len(report["similar_pairs"]) == 1
    detail = acme.candidate(assessment["id"], invitation["id"])
    assert [e["number"] for e in detail["problems"][0]["entries"]] == [1, 2]
    assert Candidate(service, "inv_x_y").call("GET", "").status_code == 401

"""A quiz does not give its answers away: over the candidate API, the event stream and the team's report.

Before the candidate can no longer submit a quiz, each submission shows its score alone (no verdict, no
right/wrong per question, no explanation) on every path; once the last attempt is used, the candidate's
time is over or the window closed, everything shows at full feedback, and never below it while the window
is open. The quiz's questions carry points scaled like the problem's; the team's report has the answers."""

from __future__ import annotations

import json

import pytest

from judge.assessments.feedback import QUIZ_WITHHELD_UNTIL_CLOSE, QUIZ_WITHHELD_UNTIL_SETTLED, candidate_level
from judge.statement import Audience
from judge.storage.models import FeedbackLevel
from tests.api.test_assessments import (  # noqa: F401 - fixtures shared with the assessment tests
    HOUR,
    QUIZ,
    QUIZ_ANSWERS,
    T0,
    _parse_sse,
    clock,
    started,
    world,
)

SLUG = "generative-models-quiz"
#: What the assessment makes the quiz worth; its own questions add up to QUIZ.max_score (23).
POINTS = 20
EXPLANATIONS = {q.id: q.explanation for q in QUIZ.quiz.questions}


def _one_wrong() -> str:
    answers = json.loads(QUIZ_ANSWERS)
    answers["answers"]["elbo_gap"] = "a"
    return json.dumps(answers)


def _create(acme, **overrides) -> dict:
    return acme.create(problems=[{"problem": SLUG, "points": POINTS}], **overrides)


def _events(service, token: str, entry_id: str) -> list[dict]:
    with service.client.stream(
        "GET", f"/api/v1/candidate/submissions/{entry_id}/events", headers={"Authorization": f"Bearer {token}"}
    ) as stream:
        return _parse_sse(stream.read().decode())


def _score_alone(view: dict, withheld: str | None = QUIZ_WITHHELD_UNTIL_SETTLED) -> None:
    """A quiz submission as shown before it is settled: its score, nothing per question, and why."""
    assert view["status"] == "completed"
    assert view["feedback"] == "score_only" and view["checks"] is None and view["verdict"] is None
    assert view["withheld"] == withheld
    assert view["max_score"] == POINTS and view["score"] == pytest.approx(
        POINTS * (QUIZ.max_score - 1) / QUIZ.max_score
    )


def _everything(view: dict) -> None:
    """A quiz submission as shown once settled at full feedback: right/wrong and each explanation."""
    assert view["feedback"] == "full" and view["verdict"] == "partial" and view["withheld"] is None
    checks = {c["id"]: c for c in view["checks"]}
    assert checks["elbo_gap"]["outcome"] == "failed" and checks["elbo_gap"]["message"] == "incorrect"
    assert all(c["explanation"] == EXPLANATIONS[c["id"]] for c in view["checks"])


@pytest.mark.parametrize(
    ("level", "quiz", "settled", "shown"),
    [
        (FeedbackLevel.FULL, True, False, FeedbackLevel.SCORE_ONLY),
        (FeedbackLevel.FULL, True, True, FeedbackLevel.FULL),
        (FeedbackLevel.CHECK_NAMES, True, True, FeedbackLevel.SCORE_ONLY),
        (FeedbackLevel.CHECK_NAMES, True, False, FeedbackLevel.SCORE_ONLY),
        (FeedbackLevel.SCORE_ONLY, True, True, FeedbackLevel.SCORE_ONLY),
        (FeedbackLevel.FULL, False, False, FeedbackLevel.FULL),
        (FeedbackLevel.CHECK_NAMES, False, False, FeedbackLevel.CHECK_NAMES),
    ],
)
def test_the_level_a_candidate_sees(level, quiz, settled, shown):
    assert candidate_level(level, quiz=quiz, settled=settled).level is shown


def test_a_quiz_shows_its_score_alone_until_the_last_attempt_then_everything(world):
    service, acme, _acme2, _globex = world
    assessment = _create(acme, max_attempts=3)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    first = ada.submitted(_one_wrong(), problem=SLUG)
    _score_alone(first)
    events = _events(service, ada.token, first["id"])
    checks = [json.loads(e["data"]) for e in events if e["event"] == "check"]
    assert all(set(c) == {"attempt", "done", "total"} for c in checks), "no question is named"
    _score_alone(json.loads(events[-1]["data"]))
    second = ada.submitted(_one_wrong(), problem=SLUG)
    _score_alone(second)
    assert all(v["checks"] is None for v in ada.call("GET", "/submissions").json())
    # The last attempt: nothing more can be learnt for this quiz, so every attempt shows everything.
    third = ada.submitted(_one_wrong(), problem=SLUG)
    _everything(third)
    _everything(ada.call("GET", f"/submissions/{first['id']}").json())
    assert all(v["checks"] is not None for v in ada.call("GET", "/submissions").json())
    events = _events(service, ada.token, third["id"])
    sent = [json.loads(e["data"]) for e in events if e["event"] == "check"]
    assert all(c["explanation"] == EXPLANATIONS[c["id"]] for c in sent)
    _everything(json.loads(events[-1]["data"]))


def test_a_quiz_shows_everything_once_the_candidate_finished_or_the_window_closed(world, clock):
    service, acme, _acme2, _globex = world
    assessment = _create(acme, max_attempts=3)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    _invitation, bo = started(service, acme, assessment["id"], "Bo")
    mine = ada.submitted(_one_wrong(), problem=SLUG)
    theirs = bo.submitted(_one_wrong(), problem=SLUG)
    _score_alone(mine)
    assert ada.call("POST", "/finish").status_code == 200
    _everything(ada.call("GET", f"/submissions/{mine['id']}").json())
    _score_alone(bo.call("GET", f"/submissions/{theirs['id']}").json())
    clock.set(T0 + 8 * HOUR)
    _everything(bo.call("GET", f"/submissions/{theirs['id']}").json())


@pytest.mark.parametrize(("level", "withheld"), [("check_names", QUIZ_WITHHELD_UNTIL_CLOSE), ("score_only", None)])
def test_below_full_feedback_a_quiz_shows_its_score_alone_until_the_close(world, clock, level, withheld):
    service, acme, _acme2, _globex = world
    assessment = _create(acme, max_attempts=1, feedback=level)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    done = ada.submitted(_one_wrong(), problem=SLUG)
    _score_alone(done, withheld)  # the only attempt is used, yet the level hides the questions
    _score_alone(json.loads(_events(service, ada.token, done["id"])[-1]["data"]), withheld)
    assert ada.call("POST", "/finish").status_code == 200
    _score_alone(ada.call("GET", f"/submissions/{done['id']}").json(), withheld)
    clock.set(T0 + 8 * HOUR)  # closed: full feedback for everyone
    _everything(ada.call("GET", f"/submissions/{done['id']}").json())


def test_the_quiz_s_questions_carry_points_scaled_like_the_problem_s(world):
    service, acme, _acme2, _globex = world
    assessment = _create(acme)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    problem = ada.call("GET", f"/problems/{SLUG}").json()
    assert problem["points"] == POINTS
    scaled = {q["id"]: q["points"] for q in problem["questions"]}
    assert sum(scaled.values()) == pytest.approx(POINTS)
    for question in QUIZ.quiz.questions:
        assert scaled[question.id] == pytest.approx(POINTS * question.points / QUIZ.max_score)
    # Over the API the candidate submits a file, so the statement explains the answers file.
    assert problem["statement"] == QUIZ.statement(Audience.CLI) and "answers.json" in problem["statement"]


def test_the_team_reads_a_quiz_attempt_as_answers(world):
    service, acme, _acme2, _globex = world
    assessment = _create(acme)
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    answers = json.loads(_one_wrong())
    del answers["answers"]["elbo_gap"]
    first = next(q for q in QUIZ.quiz.questions if q.id != "elbo_gap")
    answers["answers"][first.id] = ["z"] if first.kind == "multiple" else "z"
    ada.submitted(json.dumps(answers), problem=SLUG)
    refused = ada.submit("not json", problem=SLUG)
    assert refused.status_code == 422 and "answers file is not valid JSON" in refused.json()["detail"]
    entries = acme.candidate(assessment["id"], invitation["id"])["problems"][0]["entries"]
    rows = {row["id"]: row for row in entries[0]["answers"]}
    assert list(rows) == [q.id for q in QUIZ.quiz.questions]
    assert rows["elbo_gap"]["chosen"] == [] and rows["elbo_gap"]["correct"] is False
    assert rows[first.id]["chosen"] == [{"label": "z", "text": ""}] and rows[first.id]["points"] == 0
    key = next(q for q in QUIZ.quiz.questions if q.id not in (first.id, "elbo_gap"))
    assert rows[key.id]["correct"] is True
    assert [c["label"] for c in rows[key.id]["key"]] == key.answer == [c["label"] for c in rows[key.id]["chosen"]]
    assert rows[key.id]["points"] == rows[key.id]["max_points"] == pytest.approx(POINTS * key.points / QUIZ.max_score)
    assert sum(r["points"] for r in rows.values()) == pytest.approx(entries[0]["score"])
    assert len(entries) == 1, "a file that does not parse costs no attempt"

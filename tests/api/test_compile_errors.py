"""A file that does not compile: refused at submit time by default, without costing an attempt; counted
and graded compile_error when the assessment says so; always graded compile_error over the practice API."""

from __future__ import annotations

import json

from judge.storage.models import Submission
from tests.api.test_assessments import (  # noqa: F401 - fixtures
    SOLUTION_BODY,
    Candidate,
    clock,
    refused,
    started,
    world,
)
from tests.api.test_submissions import _parse_sse

BROKEN = "import gc\nimport torch\n\ndef kl_diag_gaussian(mu1, logvar1)\n    return mu1\n"


def _queued(service) -> int:
    with service.state.sessions() as session:
        return session.query(Submission).count()


def test_by_default_a_file_that_does_not_compile_is_refused_with_its_line_and_uses_no_attempt(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create(max_attempts=1)
    assert assessment["compile_error_uses_attempt"] is False
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    before = _queued(service)
    body = refused(ada.submit(BROKEN), 422, "the file does not compile: SyntaxError at line 4: expected ':'")
    assert body["syntax_error"] == {
        "line": 4,
        "column": 35,
        "message": "SyntaxError: expected ':'",
        "text": "def kl_diag_gaussian(mu1, logvar1)",
    }
    assert _queued(service) == before, "nothing is stored or queued"
    summary = {p["problem"]: p for p in ada.call("GET", "").json()["problems"]}
    assert summary["kl-divergence"]["attempts_left"] == 1
    assert ada.submitted(SOLUTION_BODY)["verdict"] == "accepted"


def test_a_deeply_nested_file_is_refused_quickly_not_a_crash(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create()
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    body = refused(ada.submit("x = " + "(" * 100_000 + ")" * 100_000 + "\n"), 422, None)
    assert "nested too deeply" in body["detail"] and body["syntax_error"]["line"] == 1
    assert service.client.get("/healthz").status_code == 200


def test_when_it_uses_an_attempt_it_is_graded_compile_error_once_with_no_integrity_flag(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create(max_attempts=2, compile_error_uses_attempt=True, feedback="score_only")
    assert assessment["compile_error_uses_attempt"] is True
    assert acme.call("GET", f"/assessments/{assessment['id']}").json()["compile_error_uses_attempt"] is True
    invitation, ada = started(service, acme, assessment["id"], "Ada")
    done = ada.submitted(BROKEN)
    # The line is shown at every feedback level: it is about the candidate's code, not the checks.
    assert done["score"] == 0 and done["checks"] is None
    assert done["compile_error"]["line"] == 4 and done["error_line"] == 4
    summary = {p["problem"]: p for p in ada.call("GET", "").json()["problems"]}
    assert summary["kl-divergence"]["attempts_left"] == 1
    entry = acme.candidate(assessment["id"], invitation["id"])["problems"][0]["entries"][0]
    assert entry["verdict"] == "compile_error" and entry["checks"] == []
    assert entry["compile_error"]["text"] == "def kl_diag_gaussian(mu1, logvar1)"
    assert entry["integrity_flags"] == [], "a syntax error (even beside `import gc`) is no integrity flag"
    ranking = acme.call("GET", f"/assessments/{assessment['id']}/export", params={"format": "csv"})
    assert ranking.status_code == 200 and "compile_error" in ranking.text


def test_full_feedback_shows_the_compile_error_instead_of_checks(world):
    service, acme, _acme2, _globex = world
    assessment = acme.create(compile_error_uses_attempt=True)
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    done = ada.submitted(BROKEN)
    assert done["verdict"] == "compile_error" and done["checks"] is None and done["error_line"] == 4
    compiled = ada.submitted(SOLUTION_BODY)
    assert compiled["compile_error"] is None and compiled["error_line"] is None and compiled["checks"]


def test_the_practice_api_grades_it_compile_error_with_only_the_result_event(service):
    created = service.submit(service.candidate, "def f(:\n    pass\n")
    done = service.wait(service.candidate, created["id"])
    assert done["status"] == "completed" and done["verdict"] == "compile_error" and done["score"] == 0
    assert done["result"]["compile_error"]["line"] == 1
    assert done["result"]["compile_error"]["message"].startswith("SyntaxError")
    with service.client.stream("GET", created["links"]["events"], headers=service.auth(service.candidate)) as stream:
        events = _parse_sse(stream.read().decode())
    assert [e["event"] for e in events] == ["result"]
    assert json.loads(events[0]["data"])["verdict"] == "compile_error"


def test_a_multi_file_problem_refuses_text_that_is_not_its_files_and_checks_each_file_alone(world):
    """A candidate's text for a problem of several files must hold exactly those files (422, no attempt
    used); each file is compiled alone, so a later file's `from __future__` import is no error, and a
    syntax error names its file and its own line."""
    service, acme, _acme2, _globex = world
    assessment = acme.create(max_attempts=1, problems=[{"problem": "mlp-model-and-training"}])
    _invitation, ada = started(service, acme, assessment["id"], "Ada")
    body = refused(ada.submit("import torch\n", "mlp-model-and-training"), 422, None)
    assert "model.py" in body["detail"] and "train.py" in body["detail"], body
    broken = "# ==== file: train.py ====\nimport torch\n# ==== file: model.py ====\nfrom __future__ import annotations\nclass MLP(\n"
    body = refused(ada.submit(broken, "mlp-model-and-training"), 422, None)
    assert body["syntax_error"]["line"] == 2 and body["syntax_error"]["message"].startswith("model.py: "), body
    summary = {p["problem"]: p for p in ada.call("GET", "").json()["problems"]}
    assert summary["mlp-model-and-training"]["attempts_left"] == 1

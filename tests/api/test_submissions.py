"""POST/GET /submissions, long polls and event streams, on the real app with a FakeSandbox."""

from __future__ import annotations

import json
import threading

from judge.problem import load_problem
from judge.storage import submissions
from tests.conftest import PROBLEMS

VAE = load_problem(PROBLEMS / "vae-mnist")
CHECK_IDS = [c.id for c in VAE.check_specs]


def test_json_submission_is_committed_before_the_answer_and_completes(service):
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": "vae-mnist", "source": "# fake: sleep=0.05\n"},
        headers=service.auth(service.candidate),
    )
    assert answer.status_code == 202
    body = answer.json()
    assert answer.headers["location"] == f"/api/v1/submissions/{body['id']}"
    assert body["status"] in ("queued", "running") and body["problem"] == "vae-mnist"
    with service.state.sessions() as session:  # committed: visible to another session at once
        assert submissions.get(session, body["id"]) is not None
    done = service.wait(service.candidate, body["id"])
    assert done["status"] == "completed"
    assert done["verdict"] == "accepted"
    assert done["score"] == done["max_score"] == VAE.max_score
    assert [c["id"] for c in done["result"]["checks"]] == CHECK_IDS
    assert done["attempts"] == 1


def test_multipart_submission(service):
    answer = service.client.post(
        "/api/v1/submissions",
        data={"problem": "vae-mnist"},
        files={"file": ("solution.py", b"# fake: fail=loss_formula\n", "text/x-python")},
        headers=service.auth(service.candidate),
    )
    assert answer.status_code == 202, answer.text
    done = service.wait(service.candidate, answer.json()["id"])
    assert done["verdict"] == "partial"
    failed = [c["id"] for c in done["result"]["checks"] if c["outcome"] == "failed"]
    assert failed == ["loss_formula"]


def test_get_without_wait_answers_at_once_and_wait_long_polls(service):
    created = service.submit(service.candidate, "# fake: sleep=0.1\n")
    quick = service.client.get(f"/api/v1/submissions/{created['id']}", headers=service.auth(service.candidate)).json()
    assert quick["status"] in ("queued", "running")
    assert quick["result"] is None
    assert service.wait(service.candidate, created["id"])["status"] == "completed"


def _parse_sse(text: str) -> list[dict]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if fields:
            events.append(fields)
    return events


def test_event_stream_sends_each_check_then_the_result(service):
    created = service.submit(service.candidate, "# fake: sleep=0.05\n")
    with service.client.stream("GET", created["links"]["events"], headers=service.auth(service.candidate)) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = _parse_sse(stream.read().decode())
    kinds = [e["event"] for e in events]
    assert kinds == ["check"] * len(CHECK_IDS) + ["result"]
    assert sorted(json.loads(e["data"])["id"] for e in events[:-1]) == sorted(CHECK_IDS)
    assert all(json.loads(e["data"])["attempt"] == 1 for e in events[:-1])
    final = json.loads(events[-1]["data"])
    assert final["status"] == "completed" and final["verdict"] == "accepted"
    # Resuming after the third event replays only what came after it.
    third = events[2]["id"]
    headers = {**service.auth(service.candidate), "Last-Event-ID": third}
    with service.client.stream("GET", created["links"]["events"], headers=headers) as stream:
        resumed = _parse_sse(stream.read().decode())
    assert [e["event"] for e in resumed] == ["check"] * (len(CHECK_IDS) - 3) + ["result"]


def test_idempotency_key_returns_the_same_submission(service):
    headers = {**service.auth(service.candidate), "Idempotency-Key": "retry-1"}
    body = {"problem": "vae-mnist", "source": "# same\n"}
    first = service.client.post("/api/v1/submissions", json=body, headers=headers)
    again = service.client.post("/api/v1/submissions", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    # Another key may use the same Idempotency-Key for its own submission.
    other = service.client.post(
        "/api/v1/submissions",
        json=body,
        headers={**service.auth(service.other_candidate), "Idempotency-Key": "retry-1"},
    )
    assert other.json()["id"] != first.json()["id"]


def test_idempotency_key_reused_for_a_different_request_is_409(service):
    headers = {**service.auth(service.candidate), "Idempotency-Key": "retry-2"}
    first = service.client.post("/api/v1/submissions", json={"problem": "vae-mnist", "source": "a\n"}, headers=headers)
    clash = service.client.post("/api/v1/submissions", json={"problem": "vae-mnist", "source": "b\n"}, headers=headers)
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert (
        clash.json()["detail"]
        == f"Idempotency-Key 'retry-2' was already used for a different submission ({first.json()['id']})"
    )


def test_concurrent_requests_with_one_idempotency_key_make_one_submission(service):
    headers = {**service.auth(service.candidate), "Idempotency-Key": "race"}
    ids: list[str] = []

    def post() -> None:
        answer = service.client.post(
            "/api/v1/submissions", json={"problem": "vae-mnist", "source": "x\n"}, headers=headers
        )
        ids.append(answer.json()["id"])

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1 and len(ids) == 4


def test_candidate_sees_only_its_own_submissions(service):
    mine = service.submit(service.candidate, "# mine\n")
    theirs = service.submit(service.other_candidate, "# theirs\n")
    hidden = service.client.get(f"/api/v1/submissions/{theirs['id']}", headers=service.auth(service.candidate))
    assert hidden.status_code == 404
    assert hidden.json()["detail"] == f"no submission '{theirs['id']}'"
    events = service.client.get(f"/api/v1/submissions/{theirs['id']}/events", headers=service.auth(service.candidate))
    assert events.status_code == 404
    listed = service.client.get("/api/v1/submissions", headers=service.auth(service.candidate)).json()["items"]
    assert [s["id"] for s in listed] == [mine["id"]]
    assert (
        service.client.get(f"/api/v1/submissions/{theirs['id']}", headers=service.auth(service.admin)).status_code
        == 200
    )


def test_sandbox_fault_is_retried_and_never_scored(service):
    created = service.submit(service.candidate, "# fake: fault=1\n")
    done = service.wait(service.candidate, created["id"])
    assert done["status"] == "completed" and done["verdict"] == "accepted"
    assert done["attempts"] == 2


def test_a_sandbox_that_always_fails_ends_internal_error_after_the_attempt_cap(start_service):
    service = start_service(queue={"max_tries": 3})
    created = service.submit(service.candidate, "# fake: fault=99\n")
    done = service.wait(service.candidate, created["id"])
    assert done["status"] == "failed"
    assert done["verdict"] == "internal_error"
    assert done["attempts"] == 3
    assert done["result"] is None and done["score"] is None
    assert done["error"].startswith("gave up after 3 attempts; last: sandbox fault: fake sandbox fault on run 3")

"""Every error path of the API: its status code, problem+json and message."""

from __future__ import annotations

import time

import pytest

from judge.storage import keys

PROBLEM_JSON = "application/problem+json"


def assert_problem(answer, status: int, detail: str) -> dict:
    """The answer is problem+json with `status` and exactly `detail`."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    body = answer.json()
    assert body["status"] == status
    assert body["detail"] == detail
    assert body["title"]
    return body


def test_401_without_a_key(service):
    answer = service.client.get("/api/v1/problems")
    assert_problem(answer, 401, "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    assert answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("presented", ["nonsense", "judge_000000000000_wrong", "Bearer-less"])
def test_401_with_an_invalid_key(service, presented):
    answer = service.client.get("/api/v1/problems", headers={"X-API-Key": presented})
    assert_problem(answer, 401, "the API key is not valid (unknown, malformed or revoked)")


def test_401_with_a_right_id_and_wrong_secret(service):
    key_id = service.candidate.split("_")[1]
    answer = service.client.get("/api/v1/problems", headers={"X-API-Key": f"judge_{key_id}_guess"})
    assert_problem(answer, 401, "the API key is not valid (unknown, malformed or revoked)")


def test_401_with_a_revoked_key(service):
    with service.state.sessions() as session:
        assert keys.revoke_key(session, service.candidate.split("_")[1])
    answer = service.client.get("/api/v1/problems", headers=service.auth(service.candidate))
    assert_problem(answer, 401, "the API key is not valid (unknown, malformed or revoked)")


def test_x_api_key_header_works_too(service):
    assert service.client.get("/api/v1/problems", headers={"X-API-Key": service.candidate}).status_code == 200


def test_403_candidate_uploading_a_problem(service):
    answer = service.client.post(
        "/api/v1/problems",
        files={"package": ("p.zip", b"PK", "application/zip")},
        headers=service.auth(service.candidate),
    )
    assert_problem(answer, 403, "only admin or team keys may do this; this key's role is candidate")


def test_403_candidate_asking_for_a_callback(start_service):
    service = start_service(callbacks={"secret": "s3cret"})
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": "vae-mnist", "source": "x", "callback_url": "http://127.0.0.1:9/hook"},
        headers=service.auth(service.candidate),
    )
    assert_problem(answer, 403, "callback_url needs a team or admin key")


def test_422_callback_without_a_server_secret(service):
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": "vae-mnist", "source": "x", "callback_url": "http://127.0.0.1:9/hook"},
        headers=service.auth(service.team),
    )
    assert_problem(
        answer,
        422,
        "callback_url: callbacks are disabled because the server has no callback secret (JUDGE_CALLBACK_SECRET)",
    )


def test_404_unknown_problem_on_submit(service):
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": "no-such-problem", "source": "x"},
        headers=service.auth(service.candidate),
    )
    assert_problem(answer, 404, "no problem 'no-such-problem'; GET /api/v1/problems lists them")


def test_404_unknown_problem_on_read(service):
    answer = service.client.get("/api/v1/problems/no-such-problem", headers=service.auth(service.candidate))
    body = assert_problem(answer, 404, answer.json()["detail"])
    assert body["detail"].startswith("no problem 'no-such-problem' (known: ")
    starter = service.client.get("/api/v1/problems/no-such-problem/starter", headers=service.auth(service.candidate))
    assert starter.status_code == 404


def test_404_unknown_submission(service):
    answer = service.client.get("/api/v1/submissions/abc123", headers=service.auth(service.admin))
    assert_problem(answer, 404, "no submission 'abc123'")


def test_404_unknown_route_is_problem_json(service):
    assert_problem(service.client.get("/api/v1/nothing-here"), 404, "Not Found")


def test_413_oversized_json_source(start_service):
    service = start_service(limits={"max_source_bytes": 1000})
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": "vae-mnist", "source": "x" * 1001},
        headers=service.auth(service.candidate),
    )
    assert_problem(answer, 413, "submission is 1001 bytes; the limit is 1000")


def test_413_oversized_multipart_file(start_service):
    service = start_service(limits={"max_source_bytes": 1000})
    answer = service.client.post(
        "/api/v1/submissions",
        data={"problem": "vae-mnist"},
        files={"file": ("s.py", b"y" * 5000)},
        headers=service.auth(service.candidate),
    )
    assert_problem(answer, 413, "submission is 5000 bytes; the limit is 1000")


def test_413_body_over_the_request_limit_by_content_length(start_service):
    service = start_service(limits={"max_source_bytes": 1000}, uploads={"max_package_bytes": 1000})
    limit = 8 * 1000 + (1 << 20)
    body = b"z" * (limit + 1)
    answer = service.client.post(
        "/api/v1/submissions",
        content=body,
        headers={**service.auth(service.candidate), "Content-Type": "application/json"},
    )
    assert_problem(answer, 413, f"the request body is {limit + 1} bytes; the limit is {limit}")


def test_413_streamed_body_over_the_limit(start_service):
    service = start_service(limits={"max_source_bytes": 1000}, uploads={"max_package_bytes": 1000})
    limit = 8 * 1000 + (1 << 20)

    def chunks():
        for _ in range(limit // 65536 + 2):
            yield b"z" * 65536

    answer = service.client.post(
        "/api/v1/submissions",
        content=chunks(),
        headers={**service.auth(service.candidate), "Content-Type": "application/json"},
    )
    assert_problem(answer, 413, f"the request body is over the {limit}-byte limit")


def test_422_missing_field(service):
    answer = service.client.post(
        "/api/v1/submissions", json={"problem": "vae-mnist"}, headers=service.auth(service.candidate)
    )
    assert_problem(answer, 422, "invalid submission: source: Field required")


def test_422_malformed_json(service):
    answer = service.client.post(
        "/api/v1/submissions",
        content=b"{not json",
        headers={**service.auth(service.candidate), "Content-Type": "application/json"},
    )
    body = assert_problem(answer, 422, answer.json()["detail"])
    assert body["detail"].startswith("invalid submission: body: Invalid JSON")


def test_422_unknown_field(service):
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": "vae-mnist", "source": "x", "extra": 1},
        headers=service.auth(service.candidate),
    )
    assert_problem(answer, 422, "invalid submission: extra: Extra inputs are not permitted")


def test_422_bad_slug(service):
    answer = service.client.post(
        "/api/v1/submissions", json={"problem": "../etc", "source": "x"}, headers=service.auth(service.candidate)
    )
    assert_problem(answer, 422, "invalid submission: problem: String should match pattern '^[a-z0-9][a-z0-9-]{1,62}$'")
    multipart = service.client.post(
        "/api/v1/submissions",
        data={"problem": "../etc"},
        files={"file": ("s.py", b"x")},
        headers=service.auth(service.candidate),
    )
    assert_problem(multipart, 422, "problem: must be a problem slug (lowercase letters, digits and dashes)")


def test_422_source_not_utf8(service):
    answer = service.client.post(
        "/api/v1/submissions",
        data={"problem": "vae-mnist"},
        files={"file": ("s.py", b"ok\xff\xfe")},
        headers=service.auth(service.candidate),
    )
    assert_problem(answer, 422, "submission is not UTF-8 text (byte 2)")


def test_422_multipart_without_file(service):
    answer = service.client.post(
        "/api/v1/submissions",
        data={"problem": "vae-mnist"},
        files={"other": ("a", b"b")},
        headers=service.auth(service.candidate),
    )
    assert_problem(answer, 422, "invalid submission: file: a submission file is required")


def test_422_bad_callback_url(start_service):
    service = start_service(callbacks={"secret": "s3cret"})
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": "vae-mnist", "source": "x", "callback_url": "ftp://host/x"},
        headers=service.auth(service.team),
    )
    assert_problem(answer, 422, "invalid submission: callback_url: URL scheme should be 'http' or 'https'")


@pytest.mark.parametrize(
    "url, host",
    [
        ("http://127.0.0.1:9/hook", "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("http://10.0.0.5:22/", "10.0.0.5"),
        ("http://[::ffff:192.168.0.1]/", "::ffff:c0a8:1"),
        ("http://[fd00::1]:8080/", "fd00::1"),
        ("http://localhost:8080/hook", "localhost"),
    ],
)
def test_422_callback_to_a_non_public_address(start_service, url, host):
    service = start_service(callbacks={"secret": "s3cret"})
    expected = (
        f"callback_url: {host} is not a public address or does not resolve only to public addresses"
        " (an internal receiver must be listed in JUDGE_CALLBACK_ALLOWED_HOSTS)"
    )
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": "vae-mnist", "source": "x", "callback_url": url},
        headers=service.auth(service.team),
    )
    assert_problem(answer, 422, expected)
    answer = service.client.post(
        "/api/v1/submissions",
        data={"problem": "vae-mnist", "callback_url": url},
        files={"file": ("s.py", b"x")},
        headers=service.auth(service.admin),
    )
    assert_problem(answer, 422, expected)


def test_422_bad_query_parameter(service):
    answer = service.client.get("/api/v1/submissions", params={"limit": 0}, headers=service.auth(service.candidate))
    body = assert_problem(answer, 422, "invalid request: query.limit: Input should be greater than or equal to 1")
    assert body["errors"][0]["loc"] == ["query", "limit"]


def test_422_bad_idempotency_key(service):
    answer = service.client.post(
        "/api/v1/submissions",
        json={"problem": "vae-mnist", "source": "x"},
        headers={**service.auth(service.candidate), "Idempotency-Key": "has space"},
    )
    assert_problem(answer, 422, "Idempotency-Key: 1 to 200 printable ASCII characters without spaces")


def test_415_other_content_type(service):
    answer = service.client.post(
        "/api/v1/submissions", content=b"x", headers={**service.auth(service.candidate), "Content-Type": "text/plain"}
    )
    assert_problem(answer, 415, "send the submission as application/json or multipart/form-data")


def test_429_over_the_rate_limit(start_service):
    service = start_service(rate_limits={"per_minute": 3, "burst": 30})
    for _ in range(3):
        assert service.client.get("/api/v1/problems", headers=service.auth(service.candidate)).status_code == 200
    answer = service.client.get("/api/v1/problems", headers=service.auth(service.candidate))
    body = assert_problem(answer, 429, answer.json()["detail"])
    assert body["detail"].startswith("rate limit of 3 requests a minute exceeded; retry in ")
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    # Limits are per key: another key is unaffected.
    assert service.client.get("/api/v1/problems", headers=service.auth(service.team)).status_code == 200


def test_503_when_the_queue_is_full(start_service):
    service = start_service(queue={"limit": 1, "workers": 1, "retry_after_s": 7})
    running = service.submit(service.candidate, "# fake: sleep=0.5\n")
    deadline = time.monotonic() + 10
    while (
        service.client.get(f"/api/v1/submissions/{running['id']}", headers=service.auth(service.candidate)).json()[
            "status"
        ]
        != "running"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    service.submit(service.candidate, "# fake: sleep=0.5\n# queued\n")
    answer = service.client.post(
        "/api/v1/submissions", json={"problem": "vae-mnist", "source": "z"}, headers=service.auth(service.candidate)
    )
    assert_problem(answer, 503, "the grading queue is full (1 submissions waiting); retry later")
    assert answer.headers["retry-after"] == "7"

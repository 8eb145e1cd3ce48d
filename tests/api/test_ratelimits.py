"""Rate limits (judge/app/ratelimits.py): per credential, failed authentications per client address,
shared through Redis by every API process, and what happens when that storage is down."""

from __future__ import annotations

import logging
import uuid

import pytest
from fastapi.testclient import TestClient

from judge.app.ratelimits import storage_url
from judge.settings import Settings
from tests.api.support import free_port, service_url
from tests.api.test_errors import assert_problem
from tests.web.pages import invite, make_assessment

BAD_KEY = "judge_000000000000_guess"
INVALID_KEY = "the API key is not valid (unknown, malformed or revoked)"
BLOCKED = "too many failed authentications from this address (3 a minute); retry in "


def from_address(service, address: str) -> TestClient:
    """Another client of the same running app, whose requests come from `address`."""
    return TestClient(service.client.app, client=(address, 50000))


def problems(client: TestClient, key: str):
    """GET /problems with `key`."""
    return client.get("/api/v1/problems", headers={"Authorization": f"Bearer {key}"})


def assert_blocked(answer) -> None:
    """A 429 for too many failed authentications, with a Retry-After within the minute."""
    body = assert_problem(answer, 429, answer.json()["detail"])
    assert body["detail"].startswith(BLOCKED)
    assert 1 <= int(answer.headers["retry-after"]) <= 60


# ---------------------------------------------------------------- where the counts live


def test_storage_is_redis_with_the_celery_queue_memory_otherwise_unless_named():
    assert (
        storage_url(Settings(queue={"backend": "celery", "redis_url": "redis://broker:6379/3"}))
        == "redis://broker:6379/3"
    )
    assert storage_url(Settings(queue={"backend": "embedded"})) == "memory://"
    assert (
        storage_url(Settings(queue={"backend": "celery"}, rate_limits={"storage_url": "redis://other:6379/1"}))
        == "redis://other:6379/1"
    )


# ---------------------------------------------------------------- per credential


def test_429_over_the_burst_within_a_second(start_service):
    service = start_service(rate_limits={"per_minute": 100, "burst": 2})
    # A cheap route (listing no submissions): three requests well within one second.
    for _ in range(2):
        assert service.client.get("/api/v1/submissions", headers=service.auth(service.candidate)).status_code == 200
    answer = service.client.get("/api/v1/submissions", headers=service.auth(service.candidate))
    body = assert_problem(answer, 429, answer.json()["detail"])
    assert body["detail"] == "rate limit of 2 requests a second exceeded; retry in 1 s"
    assert answer.headers["retry-after"] == "1"


def test_an_invitation_has_its_own_rate_limit(start_service):
    service = start_service(rate_limits={"per_minute": 4})
    assessment = make_assessment(service.client, service.team)
    token = invite(service.client, service.team, assessment["id"], "Ada")["token"]
    other = invite(service.client, service.team, assessment["id"], "Grace")["token"]
    for _ in range(4):
        assert service.client.get("/api/v1/candidate", headers={"X-Invitation-Token": token}).status_code == 200
    answer = service.client.get("/api/v1/candidate", headers={"X-Invitation-Token": token})
    assert_problem(answer, 429, answer.json()["detail"])
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    assert service.client.get("/api/v1/candidate", headers={"X-Invitation-Token": other}).status_code == 200


# ---------------------------------------------------------------- failed authentications per address


def test_failed_keys_block_their_address_not_others(start_service):
    service = start_service(rate_limits={"auth_failures_per_minute": 3})
    attacker, colleague = from_address(service, "203.0.113.9"), from_address(service, "198.51.100.4")
    for _ in range(3):
        assert_problem(problems(attacker, BAD_KEY), 401, INVALID_KEY)
    assert_blocked(problems(attacker, BAD_KEY))
    # Once blocked, the address may not authenticate at all for the window, a valid key included.
    assert_blocked(problems(attacker, service.team))
    # Another address is untouched: its valid key works and its failures are its own.
    assert problems(colleague, service.team).status_code == 200
    assert_problem(problems(colleague, BAD_KEY), 401, INVALID_KEY)


def test_valid_keys_and_missing_keys_are_not_failures(start_service):
    service = start_service(rate_limits={"auth_failures_per_minute": 3})
    for _ in range(5):
        assert problems(service.client, service.team).status_code == 200
        assert service.client.get("/api/v1/problems").status_code == 401
    assert_problem(problems(service.client, BAD_KEY), 401, INVALID_KEY)


def test_the_address_behind_a_trusted_proxy_is_limited_and_forged_forwarding_does_not_escape(start_service):
    service = start_service(rate_limits={"auth_failures_per_minute": 3}, service={"trusted_proxies": ["10.0.0.1"]})
    proxy = from_address(service, "10.0.0.1")
    for _ in range(3):
        answer = proxy.get("/api/v1/problems", headers={"X-API-Key": BAD_KEY, "X-Forwarded-For": "203.0.113.9"})
        assert_problem(answer, 401, INVALID_KEY)
    assert_blocked(proxy.get("/api/v1/problems", headers={"X-API-Key": service.team, "X-Forwarded-For": "203.0.113.9"}))
    assert (
        proxy.get(
            "/api/v1/problems", headers={"X-API-Key": service.team, "X-Forwarded-For": "198.51.100.4"}
        ).status_code
        == 200
    )
    # Not through the proxy, X-Forwarded-For is the client's own claim: changing it changes nothing.
    direct = from_address(service, "192.0.2.50")
    for n in range(3):
        assert (
            direct.get(
                "/api/v1/problems", headers={"X-API-Key": BAD_KEY, "X-Forwarded-For": f"192.0.2.{n}"}
            ).status_code
            == 401
        )
    assert_blocked(direct.get("/api/v1/problems", headers={"X-API-Key": BAD_KEY, "X-Forwarded-For": "192.0.2.99"}))


def test_bad_invitation_tokens_block_their_address(start_service):
    service = start_service(rate_limits={"auth_failures_per_minute": 3})
    assessment = make_assessment(service.client, service.team)
    token = invite(service.client, service.team, assessment["id"], "Ada")["token"]
    guesser = from_address(service, "203.0.113.9")
    guesses = [f"inv_{uuid.uuid4().hex}_guess" for _ in range(3)]
    for guess in guesses:
        assert guesser.get("/api/v1/candidate", headers={"X-Invitation-Token": guess}).status_code == 401
    assert_blocked(guesser.get("/api/v1/candidate", headers={"X-Invitation-Token": token}))
    # The invitation link's page counts against the same address, and is refused the same way.
    assert guesser.get(f"/invite/{token}").status_code == 429
    assert (
        from_address(service, "198.51.100.4")
        .get("/api/v1/candidate", headers={"X-Invitation-Token": token})
        .status_code
        == 200
    )


def test_guessed_invitation_links_block_their_address(start_service):
    service = start_service(rate_limits={"auth_failures_per_minute": 3})
    guesser = from_address(service, "203.0.113.9")
    for _ in range(3):
        assert guesser.get(f"/invite/inv_{uuid.uuid4().hex}_guess").status_code == 401
    answer = guesser.get(f"/invite/inv_{uuid.uuid4().hex}_guess")
    assert answer.status_code == 429
    assert answer.headers["content-type"].startswith("text/html")
    assert 1 <= int(answer.headers["retry-after"]) <= 60


# ---------------------------------------------------------------- shared storage: Redis, and Redis down


@pytest.mark.integration
def test_api_processes_sharing_redis_share_the_counts(start_service):
    redis_url = service_url("redis")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    shared = {
        "rate_limits": {"storage_url": redis_url, "key_prefix": prefix, "per_minute": 4, "auth_failures_per_minute": 3}
    }
    first = start_service(**shared)
    second = start_service(**shared)  # the same database (data_dir), as two API processes of one deployment
    key = first.candidate
    for client in (first.client, second.client, first.client, second.client):
        assert problems(client, key).status_code == 200
    for client in (first.client, second.client):
        answer = problems(client, key)
        body = assert_problem(answer, 429, answer.json()["detail"])
        assert body["detail"].startswith("rate limit of 4 requests a minute exceeded; retry in ")
    # Failed authentications too: two at one process and one at the other block the address at both.
    attacker_first, attacker_second = from_address(first, "203.0.113.9"), from_address(second, "203.0.113.9")
    for client in (attacker_first, attacker_second, attacker_first):
        assert problems(client, BAD_KEY).status_code == 401
    assert_blocked(problems(attacker_second, BAD_KEY))
    # Another deployment on the same Redis, with its own prefix, counts apart.
    other = start_service(rate_limits={**shared["rate_limits"], "key_prefix": f"{prefix}-other"})
    assert problems(other.client, key).status_code == 200
    assert problems(from_address(other, "203.0.113.9"), key).status_code == 200


def test_redis_down_lets_requests_through_with_a_warning(start_service, caplog):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    service = start_service(rate_limits={"storage_url": dead, "per_minute": 1, "auth_failures_per_minute": 1})
    with caplog.at_level(logging.WARNING, logger="judge.app.ratelimits"):
        for _ in range(3):
            assert problems(service.client, service.candidate).status_code == 200
            assert_problem(problems(service.client, BAD_KEY), 401, INVALID_KEY)
    warnings = [r for r in caplog.records if r.name == "judge.app.ratelimits"]
    assert len(warnings) == 1, "one warning per outage, not one per request"
    assert warnings[0].getMessage().startswith("rate-limit storage unavailable, requests go unlimited meanwhile: ")

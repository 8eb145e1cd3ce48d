"""Rate limits on the team pages: guessing keys at the sign-in form blocks the guessing address, and a
signed-in member's page views count against their key's limit, as its API calls do."""

from __future__ import annotations

from fastapi.testclient import TestClient

from judge.app.cookies import SESSION_COOKIE
from tests.web.pages import csrf_of


def browser_at(service, address: str) -> TestClient:
    """A browser (its own cookies) reaching the running app from `address`."""
    return TestClient(service.client.app, client=(address, 50000))


def sign_in(browser: TestClient, key: str):
    """Fetch the sign-in form and post `key` with its CSRF token."""
    form = browser.get("/team/login")
    return browser.post("/team/login", data={"api_key": key, "csrf_token": csrf_of(form.text)}, follow_redirects=False)


def test_guessing_keys_at_the_sign_in_form_blocks_that_address_only(start_service):
    service = start_service(rate_limits={"auth_failures_per_minute": 3})
    attacker, member = browser_at(service, "203.0.113.9"), browser_at(service, "198.51.100.4")
    for n in range(3):
        answer = sign_in(attacker, f"judge_00000000000{n}_guess")
        assert answer.status_code == 401 and "not valid" in answer.text
    # Over the limit, even the right key is refused from that address, as a page saying when to retry.
    blocked = sign_in(attacker, service.team)
    assert blocked.status_code == 429
    assert blocked.headers["content-type"].startswith("text/html")
    assert "too many failed authentications" in blocked.text
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert SESSION_COOKIE not in blocked.headers.get("set-cookie", "")
    # The API refuses that address too; another address signs in.
    assert attacker.get("/api/v1/problems", headers={"X-API-Key": service.team}).status_code == 429
    signed_in = sign_in(member, service.team)
    assert signed_in.status_code == 303 and SESSION_COOKIE in signed_in.headers.get("set-cookie", "")


def test_a_candidate_key_at_the_sign_in_form_is_not_a_guess(start_service):
    service = start_service(rate_limits={"auth_failures_per_minute": 3})
    browser = browser_at(service, "198.51.100.4")
    for _ in range(4):
        assert sign_in(browser, service.candidate).status_code == 401
    assert sign_in(browser, service.team).status_code == 303


def test_page_views_count_against_the_member_s_key(start_service):
    service = start_service(rate_limits={"per_minute": 3})
    browser = browser_at(service, "198.51.100.4")
    assert sign_in(browser, service.team).status_code == 303
    for _ in range(3):
        assert browser.get("/team/assessments").status_code == 200
    page = browser.get("/team/assessments")
    assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
    assert 1 <= int(page.headers["retry-after"]) <= 60
    # The same key over the API shares that count; another key does not.
    assert service.client.get("/api/v1/problems", headers=service.auth(service.team)).status_code == 429
    assert service.client.get("/api/v1/problems", headers=service.auth(service.admin)).status_code == 200

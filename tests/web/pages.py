"""Helpers of the page tests: an assessment made over the API, a browser-like client's forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_assessment(client: TestClient, team_key: str, **fields) -> dict:
    """An assessment open now for an hour, made with the team's API key."""
    now = datetime.now(UTC)
    body = {
        "title": "ML engineer screen",
        "problems": [{"problem": "vae-mnist", "points": 10}, {"problem": "aigc-concepts"}],
        "opens_at": (now - timedelta(minutes=5)).isoformat(),
        "closes_at": (now + timedelta(hours=1)).isoformat(),
        "duration_s": 1800,
        **fields,
    }
    answer = client.post("/api/v1/assessments", json=body, headers={"Authorization": f"Bearer {team_key}"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def invite(client: TestClient, team_key: str, assessment_id: str, name: str) -> dict:
    """A new invitation (its token and link)."""
    answer = client.post(
        f"/api/v1/assessments/{assessment_id}/invitations",
        json={"candidate_name": name},
        headers={"Authorization": f"Bearer {team_key}"},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF_INPUT.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def open_invitation(client: TestClient, link: str):
    """Open an invitation link and press Continue, as a candidate does: the answer to the posted form."""
    landing = client.get(link)
    assert landing.status_code == 200, landing.text
    return client.post(link, data={"csrf_token": csrf_of(landing.text)}, follow_redirects=False)

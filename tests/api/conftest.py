"""Fixtures of the API tests: the real app (real SQLite file, real embedded pool) on a FakeSandbox."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from judge.app.factory import create_app
from judge.app.state import ServiceState
from judge.sandbox.base import Sandbox
from judge.settings import Settings
from judge.storage import keys
from judge.storage.models import Role
from tests.api.support import fake_sandbox_factory
from tests.conftest import PROBLEMS


@dataclass
class Service:
    """A running app, its state, and one key per role (plus a second candidate)."""

    client: TestClient
    state: ServiceState
    admin: str
    team: str
    candidate: str
    other_candidate: str

    def auth(self, key: str) -> dict[str, str]:
        """The Authorization header for `key`."""
        return {"Authorization": f"Bearer {key}"}

    def submit(self, key: str, source: str, problem: str = "vae-mnist", **extra) -> dict:
        """POST a JSON submission and return the 202 body."""
        answer = self.client.post(
            "/api/v1/submissions", json={"problem": problem, "source": source, **extra}, headers=self.auth(key)
        )
        assert answer.status_code == 202, answer.text
        return answer.json()

    def wait(self, key: str, submission_id: str, seconds: float = 20) -> dict:
        """Long-poll a submission until it finishes."""
        answer = self.client.get(
            f"/api/v1/submissions/{submission_id}", params={"wait": seconds}, headers=self.auth(key)
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def start_service(tmp_path):
    """start_service(sandbox_factory=..., **groups) -> Service, each group a dict of the fields that differ
    (`queue={"limit": 1}`); fast polling and backoffs so that tests are quick."""
    running: list[TestClient] = []

    def start(sandbox_factory: Callable[[Settings], Sandbox] = fake_sandbox_factory, **groups: dict) -> Service:
        values: dict[str, dict] = {
            "problems": {"dirs": [PROBLEMS]},
            "storage": {"data_dir": tmp_path / "data"},
            "service": {"poll_interval_s": 0.05, "max_wait_s": 30},
            "queue": {"heartbeat_interval_s": 0.2, "retry_backoff_s": 0.05},
            "callbacks": {"backoff_s": 0.05},
        }
        for group, fields in groups.items():
            values[group] = {**values.get(group, {}), **fields}
        app = create_app(Settings(**values), sandbox_factory=sandbox_factory)
        client = TestClient(app)
        client.__enter__()
        running.append(client)
        state: ServiceState = app.state.judge
        with state.sessions() as session:
            made = {role: keys.create_key(session, role, role.value).secret for role in Role}
            other = keys.create_key(session, Role.CANDIDATE, "second candidate").secret
        return Service(client, state, made[Role.ADMIN], made[Role.TEAM], made[Role.CANDIDATE], other)

    yield start
    for client in running:
        client.__exit__(None, None, None)


@pytest.fixture
def service(start_service) -> Service:
    """The service on default test settings."""
    return start_service()

"""Fixtures of the web page tests: the API tests' service (real app, FakeSandbox) with pages on top."""

from __future__ import annotations

from tests.api.conftest import service, start_service  # noqa: F401 - fixtures shared with the API tests

"""Fixtures of the web page tests: the API tests' service (real app, FakeSandbox) with pages on top; and for
the browser tests, one real `judge serve` and one headless Chromium per module."""

from __future__ import annotations

import signal

import pytest

from tests.api.conftest import service, start_service  # noqa: F401 - fixtures shared with the API tests
from tests.web.browser import Server, start_chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real service for the module."""
    running = Server(tmp_path_factory.mktemp("web"))
    yield running
    running.api.close()
    running.process.kill(signal.SIGTERM)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium (1366x768) for the module; each test starts from clean cookies."""
    chrome = start_chromium()
    yield chrome
    chrome.quit()

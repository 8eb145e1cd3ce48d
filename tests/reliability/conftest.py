"""Fixtures of the reliability suite: private servers, the offline grades of the mix, the stack."""

from __future__ import annotations

import json
import time

import pytest

from judge.settings import Settings
from tests.conftest import PROBLEMS
from tests.reliability import report
from tests.reliability.campaign import Campaign, Services, Stack
from tests.reliability.mix import make_entries, make_problems
from tests.reliability.services import PrivateDockerd, PrivatePostgres, PrivateRedis


@pytest.fixture(scope="session")
def reliability_root(tmp_path_factory):
    """The suite's scratch directory."""
    return tmp_path_factory.mktemp("reliability")


@pytest.fixture(scope="session")
def private_postgres():
    """A PostgreSQL cluster of the suite's own, removed afterwards."""
    postgres = PrivatePostgres()
    try:
        postgres.start()
        yield postgres
    finally:
        postgres.destroy()


@pytest.fixture(scope="session")
def services(reliability_root, private_postgres):
    """Private Redis, PostgreSQL and Docker engine (with the runner image), stopped afterwards."""
    started = time.monotonic()
    redis = PrivateRedis(reliability_root)
    dockerd = PrivateDockerd()
    try:
        redis.start()
        dockerd.start()
        dockerd.provide_image(Settings())
        report.note(
            "setup",
            "private Redis, PostgreSQL and dockerd with the runner image ready",
            seconds=time.monotonic() - started,
        )
        yield Services(redis=redis, postgres=private_postgres, dockerd=dockerd)
    finally:
        redis.stop()
        dockerd.destroy()


@pytest.fixture(scope="session")
def campaign(services, reliability_root):
    """The stack running, the mix graded offline, and the campaign client; stopped afterwards."""
    from tests.reliability.mix import grade_offline

    problems_dir = make_problems(reliability_root)
    entries = make_entries(reliability_root)
    stack = Stack.build(services, reliability_root, problems_dir)
    offline_env = {**stack.env, "JUDGE_PROBLEMS_DIRS": json.dumps([str(PROBLEMS), str(problems_dir)])}
    started = time.monotonic()
    offline = grade_offline(entries, offline_env)
    report.note(
        "setup",
        f"{len(entries)} distinct files graded offline with `judge grade --json`",
        seconds=time.monotonic() - started,
    )
    stack.start()
    running = Campaign(stack, entries, offline)
    try:
        yield running
    finally:
        running.close()
        stack.stop()


def pytest_terminal_summary(terminalreporter):
    """Print the suite's figures (docs/reliability.md quotes them)."""
    if report.FIGURES:
        terminalreporter.section("reliability figures")
        for line in report.lines():
            terminalreporter.write_line(line)

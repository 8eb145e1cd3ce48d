"""Settings grouped by concern still read every `JUDGE_*` variable the flat settings read."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from judge.settings import Settings


def test_each_group_reads_the_old_environment_variables(monkeypatch):
    monkeypatch.setenv("JUDGE_SANDBOX", "process")
    monkeypatch.setenv("JUDGE_MAX_MEMORY_MB", "1234")
    monkeypatch.setenv("JUDGE_QUEUE", "celery")
    monkeypatch.setenv("JUDGE_QUEUE_LIMIT", "7")
    monkeypatch.setenv("JUDGE_MAX_ATTEMPTS", "5")
    monkeypatch.setenv("JUDGE_PROBLEMS_DIRS", '["/srv/a", "/srv/b"]')
    monkeypatch.setenv("JUDGE_TEAM_PROBLEMS_DIRS", '{"acme": ["/srv/acme"]}')
    monkeypatch.setenv("JUDGE_DATA_DIR", "/var/judge")
    monkeypatch.setenv("JUDGE_CALLBACK_SECRET", "s3cret")
    monkeypatch.setenv("JUDGE_CALLBACK_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("JUDGE_RATE_LIMIT_PER_MINUTE", "9")
    monkeypatch.setenv("JUDGE_AUTH_FAILURES_PER_MINUTE", "4")
    monkeypatch.setenv("JUDGE_TRUSTED_PROXIES", '["10.0.0.0/8"]')
    monkeypatch.setenv("JUDGE_MAX_UPLOADS_PER_TEAM", "3")
    monkeypatch.setenv("JUDGE_SERVICE_IMAGE", "judge-service:t")
    monkeypatch.setenv("JUDGE_BATCH_MAX_SUBMISSIONS", "11")
    monkeypatch.setenv("JUDGE_SIMILARITY_THRESHOLD", "0.5")
    settings = Settings()
    assert settings.sandbox.backend == "process"
    assert settings.limits.max_memory_mb == 1234
    assert settings.queue.backend == "celery"
    assert settings.queue.limit == 7
    assert settings.queue.max_tries == 5
    assert settings.problems.dirs == [Path("/srv/a"), Path("/srv/b")]
    assert settings.problems.team_dirs == {"acme": [Path("/srv/acme")]}
    assert settings.storage.data_dir == Path("/var/judge")
    assert settings.callbacks.secret is not None and settings.callbacks.secret.get_secret_value() == "s3cret"
    assert settings.callbacks.max_deliveries == 2
    assert settings.rate_limits.per_minute == 9
    assert settings.rate_limits.auth_failures_per_minute == 4
    assert settings.service.trusted_proxies == ["10.0.0.0/8"]
    assert settings.uploads.max_per_team == 3
    assert settings.images.service_image == "judge-service:t"
    assert settings.batch.max_submissions == 11
    assert settings.assessments.similarity_threshold == 0.5


def test_a_group_given_in_part_takes_the_rest_from_the_environment(monkeypatch):
    monkeypatch.setenv("JUDGE_DOCKER_IMAGE", "judge-sandbox:ci")
    monkeypatch.setenv("JUDGE_WORKERS", "4")
    settings = Settings(sandbox={"backend": "bwrap"}, queue={"limit": 1})
    assert (settings.sandbox.backend, settings.sandbox.docker_image) == ("bwrap", "judge-sandbox:ci")
    assert (settings.queue.limit, settings.queue.workers) == (1, 4)


def test_an_argument_beats_the_environment(monkeypatch):
    monkeypatch.setenv("JUDGE_SANDBOX", "docker")
    assert Settings(sandbox={"backend": "process"}).sandbox.backend == "process"


def test_flat_names_and_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        Settings(max_memory_mb=10)
    with pytest.raises(ValidationError):
        Settings(limits={"memory": 10})


def test_a_bad_environment_value_is_refused(monkeypatch):
    monkeypatch.setenv("JUDGE_SANDBOX", "chroot")
    with pytest.raises(ValidationError):
        Settings()

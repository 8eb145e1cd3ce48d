"""The upload job: a fault of the judge is retried and never stored as the package's refusal, a
validation whose worker died is taken over, and nothing queued is lost at start-up.

On a SQLite file and (integration) on real PostgreSQL, with the FakeSandbox; no other process.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from judge.bank.loader import ProblemBank
from judge.bank.packages import with_uploads
from judge.queue.dispatch import recover, sweep_uploads
from judge.queue.jobs import WorkerContext
from judge.queue.uploads import GAVE_UP, validate_upload
from judge.storage import uploads
from judge.storage.models import ProblemUpload, utcnow
from tests.api.packages import tiny_package, zip_bytes
from tests.api.support import FakeSandbox
from tests.queue.test_heartbeat_sweeper import TIMEOUT_S, Recording, sessions, settings  # noqa: F401 (fixtures)


def _upload(sessions, solution_directive: str = "", slug: str = "tiny-upload") -> str:
    files = tiny_package(slug)
    files["solution.py"] = solution_directive.encode() + files["solution.py"]
    with sessions() as session:
        return uploads.create(session, "acme", None, zip_bytes(files), slug, max_unfinished=5).id


def _row(sessions, upload_id: str) -> ProblemUpload:
    with sessions() as session:
        return uploads.get(session, upload_id)


def test_a_sandbox_fault_is_retried_and_never_stored_as_a_rejection(sessions, settings):
    context = WorkerContext(with_uploads(settings), sessions, FakeSandbox(), ProblemBank(with_uploads(settings)))
    upload_id = _upload(sessions, "# fake: fault=1\n")
    retry_in = validate_upload(context, upload_id)
    assert retry_in == settings.queue.retry_backoff_s
    row = _row(sessions, upload_id)
    assert (row.status, row.attempts, row.error, row.heartbeat_at) == ("queued", 1, None, None)
    assert row.archive != b"", "the archive is kept until the upload is decided"
    assert validate_upload(context, upload_id) is None
    row = _row(sessions, upload_id)
    assert (row.status, row.attempts, row.slug, row.replaced, row.error) == ("accepted", 2, "tiny-upload", False, None)
    assert any("mutant abs_sum" in line for line in uploads.report_of(row))
    assert row.archive == b""


def test_a_judge_fault_on_every_attempt_ends_failed_with_a_generic_message(sessions, settings):
    context = WorkerContext(with_uploads(settings), sessions, FakeSandbox(), ProblemBank(with_uploads(settings)))
    upload_id = _upload(sessions, "# fake: fault=99\n")
    for attempt in range(1, settings.queue.max_tries):
        assert validate_upload(context, upload_id) == settings.queue.retry_backoff_s * 2 ** (attempt - 1)
        assert _row(sessions, upload_id).status == "queued"
    assert validate_upload(context, upload_id) is None
    row = _row(sessions, upload_id)
    assert (row.status, row.attempts, row.error) == ("failed", settings.queue.max_tries, GAVE_UP)
    assert "fake sandbox fault" not in row.error, "the judge's fault is logged, not shown as the package's"
    assert validate_upload(context, upload_id) is None and _row(sessions, upload_id).status == "failed", (
        "a redelivery does nothing"
    )


def test_a_package_failing_validation_is_rejected_with_the_reason(sessions, settings):
    context = WorkerContext(with_uploads(settings), sessions, FakeSandbox(), ProblemBank(with_uploads(settings)))
    upload_id = _upload(sessions, "# fake: fail=beta\n")
    assert validate_upload(context, upload_id) is None
    row = _row(sessions, upload_id)
    assert row.status == "rejected" and row.error.startswith(
        "problem 'tiny-upload' failed validation: reference scores 1/3"
    )


def test_a_validation_whose_worker_died_is_swept_taken_over_and_the_dead_attempt_stores_nothing(sessions, settings):
    upload_id = _upload(sessions)
    with sessions() as session:
        assert (
            uploads.claim(
                session,
                upload_id,
                worker="doomed",
                max_tries=3,
                heartbeat_timeout_s=TIMEOUT_S,
                exhausted_message="-",
            ).try_number
            == 1
        )
    context = WorkerContext(with_uploads(settings), sessions, FakeSandbox(), ProblemBank(with_uploads(settings)))
    assert validate_upload(context, upload_id) is None and _row(sessions, upload_id).attempts == 1, (
        "a live validation is not taken twice"
    )
    with sessions() as session:
        session.execute(
            update(ProblemUpload)
            .where(ProblemUpload.id == upload_id)
            .values(heartbeat_at=utcnow() - timedelta(seconds=60))
        )
        session.commit()
    queue = Recording()
    assert sweep_uploads(queue, sessions, TIMEOUT_S) == [upload_id]
    assert queue.uploads == [upload_id] and _row(sessions, upload_id).dispatched_at is not None
    assert sweep_uploads(queue, sessions, TIMEOUT_S) == [], "an upload is swept once"
    with sessions() as session:
        assert not uploads.heartbeat(session, upload_id, 1)
        assert not uploads.reject(session, upload_id, 1, "late")
    assert validate_upload(context, upload_id) is None
    row = _row(sessions, upload_id)
    assert (row.status, row.attempts, row.worker) == ("accepted", 2, context.worker)


def test_recovery_queues_every_unfinished_upload(sessions):
    waiting, running, done = (
        _upload(sessions, slug="waiting"),
        _upload(sessions, slug="running"),
        _upload(sessions, slug="done"),
    )
    with sessions() as session:
        uploads.claim(
            session, running, worker="dead", max_tries=3, heartbeat_timeout_s=TIMEOUT_S, exhausted_message="-"
        )
        attempt = uploads.claim(
            session, done, worker="w", max_tries=3, heartbeat_timeout_s=TIMEOUT_S, exhausted_message="-"
        ).try_number
        uploads.reject(session, done, attempt, "bad")
        assert uploads.undispatched(session) == [waiting]
    queue = Recording()
    assert recover(queue, sessions) == 2
    assert queue.uploads == [waiting, running]
    with sessions() as session:
        assert uploads.undispatched(session) == []


def test_the_cap_counts_queued_and_running_uploads_of_one_team(sessions):
    first, second = _upload(sessions, slug="one"), _upload(sessions, slug="two")
    with sessions() as session:
        assert uploads.create(session, "acme", None, b"x", "three", max_unfinished=2) is None
        assert uploads.create(session, "globex", None, b"x", "three", max_unfinished=2) is not None
        attempt = uploads.claim(
            session, first, worker="w", max_tries=3, heartbeat_timeout_s=TIMEOUT_S, exhausted_message="-"
        ).try_number
        assert uploads.unfinished_of(session, "acme") == 2
        uploads.fail(session, first, attempt, "gave up")
        assert uploads.unfinished_of(session, "acme") == 1 and second
        assert uploads.create(session, "acme", None, b"x", "three", max_unfinished=2) is not None

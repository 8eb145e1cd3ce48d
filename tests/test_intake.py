"""The intake: one size and text check per source, one row builder, and each source's queue-full policy."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from judge import intake
from judge.assessments.errors import RejudgeQueueFull
from judge.errors import InvalidSubmission, SourceTooLarge
from judge.intake import POLICIES, CheckedSource, QueueFull, Source, WhenFull
from judge.settings import Settings
from judge.storage import submissions
from judge.storage.db import make_engine, migrate, session_factory
from judge.storage.models import Submission
from judge.storage.submissions import NORMAL_PRIORITY, REJUDGE_PRIORITY, NewSubmission

LIMIT = 2


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(storage={"data_dir": tmp_path / "data"}, limits={"max_source_bytes": 100}, queue={"limit": LIMIT})


@pytest.fixture
def sessions(settings):
    engine = make_engine(settings)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _waiting(sessions, source: Source, count: int) -> None:
    """`count` queued gradings from `source`, as the intake stores them."""
    with sessions() as session:
        staged = [intake.stage(session, source, "vae-mnist", CheckedSource(b"# x\n"), None) for _ in range(count)]
        intake.commit(session, staged, lambda _id: None)


# ---------------------------------------------------------------- the source check


def test_a_source_over_the_limit_is_refused_with_its_size(settings):
    with pytest.raises(SourceTooLarge, match="submission is 101 bytes; the limit is 100"):
        intake.check_source(b"#" * 101, settings)
    assert issubclass(SourceTooLarge, InvalidSubmission)


@pytest.mark.parametrize(
    ("source", "message"),
    [(b"\xff\xfe", "not UTF-8 text"), (b"print(1)\0", "holds a NUL character")],
)
def test_a_source_that_is_not_text_is_invalid_but_not_too_large(settings, source, message):
    with pytest.raises(InvalidSubmission, match=message) as refused:
        intake.check_source(source, settings)
    assert not isinstance(refused.value, SourceTooLarge)


def test_the_source_is_checked_once_from_arrival_to_queue(sessions, settings, monkeypatch):
    calls = []
    real = intake.decode_source
    monkeypatch.setattr(intake, "decode_source", lambda source, s: calls.append(source) or real(source, s))
    code = intake.check_source(b"# mine\n", settings)
    with sessions() as session:
        row, created = intake.accept(
            session, settings, NewSubmission(problem="vae-mnist", source=code.data), lambda _id: None
        )
        staged = intake.stage(session, Source.CANDIDATE, "vae-mnist", code, "abc")
        intake.commit(session, [staged], lambda _id: None)
    assert created and row.source == b"# mine\n"
    assert calls == [b"# mine\n"]


# ---------------------------------------------------------------- rows and enqueueing


def test_rows_carry_their_source_priority_and_package(sessions):
    with sessions() as session:
        candidate = intake.stage(session, Source.CANDIDATE, "vae-mnist", CheckedSource(b"a"), "v1")
        rejudge = intake.stage(session, Source.REJUDGE, "vae-mnist", CheckedSource(b"b"), None)
        intake.commit(session, [candidate, rejudge], lambda _id: None)
        stored = {row.source: row for row in session.query(Submission)}
    assert stored[b"a"].priority == NORMAL_PRIORITY and stored[b"a"].package_hash == "v1"
    assert stored[b"b"].priority == REJUDGE_PRIORITY and stored[b"b"].package_hash is None
    assert all(row.status == "queued" and row.owner_key_id is None for row in stored.values())


def test_staged_rows_are_queued_only_after_the_commit(sessions):
    queued: list[str] = []
    with sessions() as session:
        row = intake.stage(session, Source.CANDIDATE, "vae-mnist", CheckedSource(b"a"), None)
        assert queued == []
        intake.commit(session, [row], queued.append)
        assert queued == [row.id]
        assert submissions.get(session, row.id) is not None


def test_a_failed_commit_queues_nothing(sessions):
    queued: list[str] = []
    with sessions() as session:
        row = intake.stage(session, Source.CANDIDATE, "vae-mnist", CheckedSource(b"a"), None)
        # A row the database refuses (no problem) fails the commit, as a lost race would.
        session.add(Submission(id="broken", problem=None, source=b"b"))
        with pytest.raises(IntegrityError):
            intake.commit(session, [row], queued.append)
    assert queued == []


def test_an_api_submission_is_stored_then_queued_and_a_replay_is_not_queued_again(sessions, settings):
    queued: list[str] = []
    new = NewSubmission(problem="vae-mnist", source=b"x", idempotency_key="k", request_hash="h")
    with sessions() as session:
        row, created = intake.accept(session, settings, new, queued.append)
        again, created_again = intake.accept(session, settings, new, queued.append)
    assert created and not created_again and again.id == row.id
    assert queued == [row.id]


# ---------------------------------------------------------------- the queue-full policy


def test_the_policy_table():
    assert POLICIES[Source.API].when_full is WhenFull.REFUSE_AT_QUEUE_LIMIT
    assert POLICIES[Source.CANDIDATE].when_full is WhenFull.ACCEPT
    assert POLICIES[Source.REJUDGE].when_full is WhenFull.REFUSE_OVER_BACKLOG
    assert POLICIES[Source.API].counts_toward_depth and POLICIES[Source.CANDIDATE].counts_toward_depth
    assert not POLICIES[Source.REJUDGE].counts_toward_depth
    # A Run is limited per caller, never by the queue, and waits behind counted work, ahead of rejudges.
    assert POLICIES[Source.RUN].when_full is WhenFull.ACCEPT and not POLICIES[Source.RUN].counts_toward_depth
    assert POLICIES[Source.REJUDGE].priority < POLICIES[Source.RUN].priority < POLICIES[Source.API].priority
    assert set(POLICIES) == set(Source)


def test_the_api_is_refused_once_the_queue_holds_the_limit(sessions, settings):
    _waiting(sessions, Source.CANDIDATE, LIMIT - 1)
    with sessions() as session:
        intake.make_room(session, settings, Source.API)
        row, _ = intake.accept(session, settings, NewSubmission(problem="vae-mnist", source=b"x"), lambda _id: None)
        with pytest.raises(QueueFull, match=rf"the grading queue is full \({LIMIT} submissions waiting\); retry later"):
            intake.accept(session, settings, NewSubmission(problem="vae-mnist", source=b"y"), lambda _id: None)
        assert submissions.queue_depth(session) == LIMIT


def test_a_candidate_is_never_refused_for_a_full_queue(sessions, settings):
    _waiting(sessions, Source.CANDIDATE, LIMIT + 3)
    _waiting(sessions, Source.REJUDGE, LIMIT)
    with sessions() as session:
        intake.make_room(session, settings, Source.CANDIDATE, 5)


def test_rejudges_wait_outside_the_queue_depth_and_do_not_lock_out_the_api(sessions, settings):
    _waiting(sessions, Source.REJUDGE, LIMIT)
    with sessions() as session:
        assert submissions.queue_depth(session) == 0
        intake.make_room(session, settings, Source.API)


def test_a_rejudge_round_is_refused_past_the_limit_on_top_of_the_rejudge_backlog(sessions, settings):
    _waiting(sessions, Source.CANDIDATE, LIMIT + 1)
    _waiting(sessions, Source.REJUDGE, 1)
    with sessions() as session:
        intake.make_room(session, settings, Source.REJUDGE, LIMIT - 1)
        with pytest.raises(RejudgeQueueFull, match=f"queue {LIMIT} gradings on top of 1 rejudge gradings"):
            intake.make_room(session, settings, Source.REJUDGE, LIMIT)

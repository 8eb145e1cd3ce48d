"""The repositories and migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import inspect

from judge.result import CheckResult, GradeResult, Outcome, Verdict
from judge.storage import keys, submissions
from judge.storage.db import alembic_config, database_url, make_engine, migrate
from judge.storage.models import Role, Submission, utcnow
from judge.storage.submissions import ClaimState, NewSubmission


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path):
    from judge.settings import Settings

    settings = Settings(storage={"data_dir": tmp_path / "data"})
    assert database_url(settings) == f"sqlite:///{(tmp_path / 'data' / 'judge.db').resolve()}"
    engine = make_engine(settings)
    migrate(engine)
    assert (tmp_path / "data" / "judge.db").is_file()
    engine.dispose()


def test_migrations_go_down_and_up_again(database_settings):
    from alembic import command

    engine = make_engine(database_settings)
    migrate(engine)
    migrate(engine)  # idempotent
    assert {"api_keys", "submissions", "submission_checks"} <= set(inspect(engine).get_table_names())
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not {"api_keys", "submissions", "submission_checks"} & set(inspect(engine).get_table_names())
    migrate(engine)
    assert {"api_keys", "submissions", "submission_checks"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_keys_are_hashed_and_checked(sessions):
    with sessions() as session:
        new = keys.create_key(session, Role.TEAM, "a team")
        stored = session.get(type(new.row), new.row.id)
        assert new.secret not in (stored.key_hash, stored.name, stored.id)
        assert stored.key_hash == keys.hash_key(new.secret)
        assert keys.authenticate(session, new.secret).id == new.row.id
        assert keys.authenticate(session, new.secret + "x") is None
        assert keys.authenticate(session, "judge_nope_nope") is None
        assert not keys.has_admin(session)
        assert keys.revoke_key(session, new.row.id)
        assert keys.authenticate(session, new.secret) is None
        assert not keys.revoke_key(session, new.row.id)


def test_idempotent_create(sessions):
    with sessions() as session:
        owner = keys.create_key(session, Role.CANDIDATE, "c").row.id
        first, created = submissions.create(session, NewSubmission("vae-mnist", b"x", owner, "k1", "h"))
        again, created_again = submissions.create(session, NewSubmission("vae-mnist", b"x", owner, "k1", "h"))
        assert created and not created_again and first.id == again.id


def test_claim_grade_complete_and_times_are_utc(sessions):
    with sessions() as session:
        row, _ = submissions.create(session, NewSubmission("vae-mnist", b"src"))
        claim = submissions.claim(session, row.id, worker="w1", max_tries=3, heartbeat_timeout_s=30)
        assert (claim.state, claim.try_number, claim.source) == (ClaimState.CLAIMED, 1, b"src")
        # A second delivery while the first grader lives is told to come back.
        assert (
            submissions.claim(session, row.id, worker="w2", max_tries=3, heartbeat_timeout_s=30).state
            is ClaimState.BUSY
        )
        check = CheckResult(id="a", category="shape", outcome=Outcome.PASSED, points=1, max_points=1)
        submissions.record_check(session, row.id, 1, check)
        assert submissions.heartbeat(session, row.id, 1)
        result = GradeResult(problem="vae-mnist", verdict=Verdict.ACCEPTED, score=1, max_score=1, checks=[check])
        assert submissions.complete(session, row.id, 1, result, 2.5)
        assert not submissions.heartbeat(session, row.id, 1)
        done = submissions.get(session, row.id)
        assert done.status == "completed" and submissions.result_of(done) == result
        assert done.finished_at.tzinfo is not None and done.finished_at - utcnow() < timedelta(seconds=5)
        assert [submissions.check_of(c) for c in submissions.checks_after(session, row.id, 0)] == [check]
        assert (
            submissions.claim(session, row.id, worker="w2", max_tries=3, heartbeat_timeout_s=30).state
            is ClaimState.FINISHED
        )
        cumulative, total, seconds = submissions.grading_seconds_histogram(session, [1.0, 5.0])
        assert (cumulative, total, seconds) == ([0, 1], 1, 2.5)


def test_a_stale_attempt_cannot_overwrite_a_newer_one(sessions):
    with sessions() as session:
        row, _ = submissions.create(session, NewSubmission("vae-mnist", b"src"))
        submissions.claim(session, row.id, worker="dead", max_tries=3, heartbeat_timeout_s=30)
        stale = session.get(Submission, row.id)
        stale.heartbeat_at = utcnow() - timedelta(seconds=60)
        session.commit()
        second = submissions.claim(session, row.id, worker="alive", max_tries=3, heartbeat_timeout_s=30)
        assert (second.state, second.try_number) == (ClaimState.CLAIMED, 2)
        result = GradeResult(problem="vae-mnist", verdict=Verdict.WRONG_ANSWER, score=0, max_score=1, checks=[])
        assert not submissions.complete(session, row.id, 1, result, 1.0)
        assert submissions.get(session, row.id).status == "running"


def test_only_one_of_racing_claims_wins(sessions):
    with sessions() as session:
        row, _ = submissions.create(session, NewSubmission("vae-mnist", b"src"))
    states: list[ClaimState] = []
    barrier = threading.Barrier(4)

    def race() -> None:
        with sessions() as session:
            barrier.wait()
            states.append(submissions.claim(session, row.id, worker="w", max_tries=3, heartbeat_timeout_s=30).state)

    threads = [threading.Thread(target=race) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(states) == sorted([ClaimState.CLAIMED] + [ClaimState.BUSY] * 3)


def test_recovery_queries(sessions):
    with sessions() as session:
        queued, _ = submissions.create(session, NewSubmission("vae-mnist", b"1"))
        running, _ = submissions.create(session, NewSubmission("vae-mnist", b"2"))
        submissions.claim(session, running.id, worker="w", max_tries=3, heartbeat_timeout_s=30)
        done, _ = submissions.create(session, NewSubmission("vae-mnist", b"3"))
        submissions.claim(session, done.id, worker="w", max_tries=3, heartbeat_timeout_s=30)
        submissions.fail(session, done.id, 1, "bad", None)
        assert submissions.unfinished(session) == [queued.id, running.id]
        assert submissions.undispatched(session) == [queued.id]
        submissions.mark_dispatched(session, queued.id)
        assert submissions.undispatched(session) == []
        assert submissions.queue_depth(session) == 1
        assert submissions.counts_by_verdict(session) == {("queued", ""): 1, ("running", ""): 1, ("failed", ""): 1}


def test_readers_see_their_own_their_teams_or_every_submission(sessions):
    from judge.storage.models import Assessment, AssessmentEntry, EntryGrading, Invitation
    from judge.storage.submissions import Reader

    with sessions() as session:
        acme = keys.create_key(session, Role.TEAM, "acme", team="acme").row
        acme_admin = keys.create_key(session, Role.ADMIN, "acme admin", team="acme").row
        solo = keys.create_key(session, Role.TEAM, "solo").row
        candidate = keys.create_key(session, Role.CANDIDATE, "candidate").row
        made = {
            name: submissions.create(session, NewSubmission("vae-mnist", name.encode(), owner_key_id=key.id))[0].id
            for name, key in (("acme", acme), ("acme_admin", acme_admin), ("solo", solo), ("candidate", candidate))
        }
        grading, _ = submissions.create(session, NewSubmission("vae-mnist", b"graded"))
        now = utcnow()
        for row in (
            Assessment(
                id="a1",
                team="acme",
                title="t",
                opens_at=now,
                closes_at=now,
                duration_s=60,
                max_attempts=1,
                feedback="full",
                scoring="best",
            ),
            Invitation(id="i1", assessment_id="a1", candidate_name="Ada", token_hash="h", expires_at=now),
            AssessmentEntry(
                id="e1", assessment_id="a1", invitation_id="i1", problem="vae-mnist", number=1, submitted_at=now
            ),
            EntryGrading(entry_id="e1", round=0, submission_id=grading.id),
        ):
            session.add(row)
            session.flush()  # in this order: no relationships tell the session which row needs which
        session.commit()
        made["grading"] = grading.id
        readers = {
            "acme": Reader(key_id=acme.id, team="acme"),
            "solo": Reader(key_id=solo.id, team=solo.id),
            "candidate": Reader(key_id=candidate.id),
            "globex": Reader(key_id="nobody", team="globex"),
            "admin": Reader(key_id="root", admin=True),
        }
        expected = {
            "acme": {"acme", "acme_admin", "grading"},
            "solo": {"solo"},
            "candidate": {"candidate"},
            "globex": set(),
            "admin": set(made),
        }
        for name, reader in readers.items():
            assert {row.id for row in submissions.list_recent(session, reader, 50, 0)} == {
                made[n] for n in expected[name]
            }, name
            assert {
                n for n, submission_id in made.items() if submissions.get_readable(session, reader, submission_id)
            } == expected[name]


def test_rejudge_gradings_wait_outside_the_queue_depth(sessions):
    with sessions() as session:
        normal, _ = submissions.create(session, NewSubmission("vae-mnist", b"1"))
        low, _ = submissions.create(session, NewSubmission("vae-mnist", b"2"))
        session.get(Submission, low.id).priority = submissions.REJUDGE_PRIORITY
        session.commit()
        assert submissions.queue_depth(session) == 1 and submissions.low_priority_backlog(session) == 1
        assert submissions.priority_of(session, normal.id) == submissions.NORMAL_PRIORITY
        assert submissions.priority_of(session, low.id) == submissions.REJUDGE_PRIORITY

"""Migration 0002 (assessments) up and down, and the assessment tables' constraints, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from judge.storage import keys
from judge.storage.db import alembic_config, make_engine, migrate
from judge.storage.models import Assessment, AssessmentEntry, Invitation, Role, utcnow

ASSESSMENT_TABLES = {
    "assessments",
    "assessment_problems",
    "invitations",
    "assessment_entries",
    "entry_gradings",
    "rejudges",
    "problem_owners",
    "practice_marks",
}


def _to(engine, revision: str, down: bool) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_migration_0002_goes_down_to_0001_and_up_again(database_settings):
    engine = make_engine(database_settings)
    migrate(engine)
    assert ASSESSMENT_TABLES <= set(inspect(engine).get_table_names())
    assert "team" in {c["name"] for c in inspect(engine).get_columns("api_keys")}
    _to(engine, "0001", down=True)
    tables = set(inspect(engine).get_table_names())
    assert not ASSESSMENT_TABLES & tables and {"api_keys", "submissions", "submission_checks"} <= tables
    assert "team" not in {c["name"] for c in inspect(engine).get_columns("api_keys")}
    migrate(engine)
    assert ASSESSMENT_TABLES <= set(inspect(engine).get_table_names())
    _to(engine, "base", down=True)
    assert not (ASSESSMENT_TABLES | {"api_keys"}) & set(inspect(engine).get_table_names())
    engine.dispose()


def test_a_key_keeps_its_team_and_an_attempt_number_is_taken_once(sessions):
    with sessions() as session:
        made = keys.create_key(session, Role.TEAM, "recruiter", team="acme")
        assert keys.team_of(session.get(type(made.row), made.row.id)) == "acme"
        alone = keys.create_key(session, Role.TEAM, "solo")
        assert keys.team_of(alone.row) == alone.row.id
        assert keys.team_of(keys.create_key(session, Role.CANDIDATE, "c").row) is None
        now = utcnow()
        session.add(
            Assessment(
                id="a1",
                team="acme",
                title="t",
                description="",
                opens_at=now,
                closes_at=now + timedelta(hours=1),
                duration_s=60,
                max_attempts=2,
                feedback="full",
                scoring="best",
                created_at=now,
            )
        )
        session.add(
            Invitation(
                id="i1",
                assessment_id="a1",
                candidate_name="Ada",
                token_hash="h" * 64,
                expires_at=now + timedelta(days=1),
                created_at=now,
            )
        )
        session.commit()
        entry = {
            "assessment_id": "a1",
            "invitation_id": "i1",
            "problem": "kl-divergence",
            "number": 1,
            "submitted_at": now,
        }
        session.add(AssessmentEntry(id=uuid.uuid4().hex, **entry))
        session.commit()
        session.add(AssessmentEntry(id=uuid.uuid4().hex, **entry))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        session.add(
            Invitation(
                id="i2", assessment_id="a1", candidate_name="Bob", token_hash="h" * 64, expires_at=now, created_at=now
            )
        )
        with pytest.raises(IntegrityError):  # token hashes are unique
            session.commit()

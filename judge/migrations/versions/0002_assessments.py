"""Assessments: teams of keys, assessments and their problems, invitations, entries, gradings,
rejudges, private problem owners and practice-only marks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add api_keys.team and the assessment tables."""
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("team", sa.String(64), nullable=True))
    op.create_table(
        "assessments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("feedback", sa.String(16), nullable=False),
        sa.Column("scoring", sa.String(16), nullable=False),
        sa.Column("created_by_key_id", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_assessments_team_created", "assessments", ["team", "created_at"])
    op.create_table(
        "assessment_problems",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("assessment_id", sa.String(32), sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("problem", sa.String(64), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.UniqueConstraint("assessment_id", "problem", name="uq_assessment_problems_problem"),
    )
    op.create_index("ix_assessment_problems_assessment_id", "assessment_problems", ["assessment_id"])
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("assessment_id", sa.String(32), sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("candidate_name", sa.String(200), nullable=False),
        sa.Column("candidate_email", sa.String(320), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("deadline_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_invitations_assessment_id", "invitations", ["assessment_id"])
    op.create_table(
        "assessment_entries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("assessment_id", sa.String(32), sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("invitation_id", sa.String(32), sa.ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("problem", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("invitation_id", "problem", "number", name="uq_assessment_entries_attempt"),
    )
    op.create_index("ix_assessment_entries_assessment", "assessment_entries", ["assessment_id", "problem"])
    op.create_index("ix_assessment_entries_invitation_id", "assessment_entries", ["invitation_id"])
    op.create_table(
        "entry_gradings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "entry_id", sa.String(32), sa.ForeignKey("assessment_entries.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(32), sa.ForeignKey("submissions.id"), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("entry_id", "round", name="uq_entry_gradings_round"),
    )
    op.create_index("ix_entry_gradings_entry_id", "entry_gradings", ["entry_id"])
    op.create_table(
        "rejudges",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("assessment_id", sa.String(32), sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("problem", sa.String(64), nullable=True),
        sa.Column("requested_by_key_id", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("assessment_id", "round", name="uq_rejudges_round"),
    )
    op.create_index("ix_rejudges_assessment_id", "rejudges", ["assessment_id"])
    op.create_table(
        "problem_owners",
        sa.Column("problem", sa.String(64), primary_key=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("uploaded_by_key_id", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_problem_owners_team", "problem_owners", ["team"])
    op.create_table(
        "practice_marks",
        sa.Column("team", sa.String(64), primary_key=True),
        sa.Column("problem", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop everything upgrade added."""
    op.drop_table("practice_marks")
    op.drop_index("ix_problem_owners_team", table_name="problem_owners")
    op.drop_table("problem_owners")
    op.drop_index("ix_rejudges_assessment_id", table_name="rejudges")
    op.drop_table("rejudges")
    op.drop_index("ix_entry_gradings_entry_id", table_name="entry_gradings")
    op.drop_table("entry_gradings")
    op.drop_index("ix_assessment_entries_invitation_id", table_name="assessment_entries")
    op.drop_index("ix_assessment_entries_assessment", table_name="assessment_entries")
    op.drop_table("assessment_entries")
    op.drop_index("ix_invitations_assessment_id", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("ix_assessment_problems_assessment_id", table_name="assessment_problems")
    op.drop_table("assessment_problems")
    op.drop_index("ix_assessments_team_created", table_name="assessments")
    op.drop_table("assessments")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("team")

"""Tenancy: package versions per assessment problem and submission, submission priority, queued
problem uploads, and server-side team sessions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the version and priority columns, and the upload and session tables."""
    with op.batch_alter_table("assessment_problems") as batch:
        batch.add_column(sa.Column("package_hash", sa.String(64), nullable=True))
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("package_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "problem_uploads",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("uploaded_by_key_id", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("archive", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("slug", sa.String(64), nullable=True),
        sa.Column("package_hash", sa.String(64), nullable=True),
        sa.Column("replaced", sa.Boolean(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("dispatched_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_problem_uploads_team_status", "problem_uploads", ["team", "status"])
    op.create_table(
        "team_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(32), sa.ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_team_sessions_key_id", "team_sessions", ["key_id"])


def downgrade() -> None:
    """Drop everything upgrade added."""
    op.drop_index("ix_team_sessions_key_id", table_name="team_sessions")
    op.drop_table("team_sessions")
    op.drop_index("ix_problem_uploads_team_status", table_name="problem_uploads")
    op.drop_table("problem_uploads")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("priority")
        batch.drop_column("package_hash")
    with op.batch_alter_table("assessment_problems") as batch:
        batch.drop_column("package_hash")

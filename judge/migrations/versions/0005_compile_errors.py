"""Compile errors: whether an assessment counts a submission that does not compile as an attempt.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add assessments.compile_error_uses_attempt; existing assessments refuse such files (the default)."""
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(
            sa.Column("compile_error_uses_attempt", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("compile_error_uses_attempt")

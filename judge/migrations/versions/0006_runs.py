"""Runs: a submissions row may be a Run (public checks only, never counted), with its candidate and output.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add submissions.purpose (every existing row a counted grading), invitation_id and output."""
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("purpose", sa.String(16), nullable=False, server_default="grade"))
        batch.add_column(sa.Column("invitation_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("output", sa.Text(), nullable=True))
        batch.create_foreign_key(
            "fk_submissions_invitation_id", "invitations", ["invitation_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    """Drop the Run columns (and every Run with them)."""
    op.execute(
        "DELETE FROM submission_checks WHERE submission_id IN (SELECT id FROM submissions WHERE purpose = 'run')"
    )
    op.execute("DELETE FROM submissions WHERE purpose = 'run'")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_constraint("fk_submissions_invitation_id", type_="foreignkey")
        batch.drop_column("output")
        batch.drop_column("invitation_id")
        batch.drop_column("purpose")

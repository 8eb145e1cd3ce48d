"""Edit logs: the batches of editor events (edits, snapshots, pastes, focus) a candidate's page recorded.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the edit_logs table."""
    op.create_table(
        "edit_logs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("invitation_id", sa.String(32), sa.ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("problem", sa.String(64), nullable=False),
        sa.Column("page", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("clock_offset_ms", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.UniqueConstraint("invitation_id", "problem", "page", "seq", name="uq_edit_logs_batch"),
    )
    op.create_index("ix_edit_logs_invitation", "edit_logs", ["invitation_id", "problem"])


def downgrade() -> None:
    """Drop the edit_logs table."""
    op.drop_index("ix_edit_logs_invitation", table_name="edit_logs")
    op.drop_table("edit_logs")

"""Drafts: a candidate's unsubmitted code per problem, kept on the server.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the drafts table."""
    op.create_table(
        "drafts",
        sa.Column(
            "invitation_id",
            sa.String(32),
            sa.ForeignKey("invitations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("problem", sa.String(64), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("swept_at", sa.DateTime(), nullable=True),
        sa.Column(
            "entry_id", sa.String(32), sa.ForeignKey("assessment_entries.id", ondelete="SET NULL"), nullable=True
        ),
    )


def downgrade() -> None:
    """Drop the drafts table."""
    op.drop_table("drafts")

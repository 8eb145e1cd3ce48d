"""Flag reviews: a team's outcome and note on one integrity flag of a candidate.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the flag_reviews table."""
    op.create_table(
        "flag_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("assessment_id", sa.String(32), sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("invitation_id", sa.String(32), sa.ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewer_key_id", sa.String(32), sa.ForeignKey("api_keys.id", ondelete="SET NULL"), nullable=True),
        sa.Column("reviewer", sa.String(200), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("invitation_id", "key", name="uq_flag_reviews_key"),
    )
    op.create_index("ix_flag_reviews_assessment_id", "flag_reviews", ["assessment_id"])


def downgrade() -> None:
    """Drop the flag_reviews table."""
    op.drop_index("ix_flag_reviews_assessment_id", table_name="flag_reviews")
    op.drop_table("flag_reviews")

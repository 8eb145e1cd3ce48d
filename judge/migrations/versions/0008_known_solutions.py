"""Known solutions and stored fingerprints: submissions matched against a team's known solutions and its
other assessments.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add fingerprint_sets, fingerprints and known_solutions (existing submissions are fingerprinted lazily)."""
    op.create_table(
        "fingerprint_sets",
        sa.Column(
            "submission_id", sa.String(32), sa.ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("problem", sa.String(64), nullable=False),
        sa.Column("assessment_id", sa.String(32), sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("invitation_id", sa.String(32), sa.ForeignKey("invitations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("hashes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_fingerprint_sets_assessment_id", "fingerprint_sets", ["assessment_id"])
    op.create_index("ix_fingerprint_sets_invitation_id", "fingerprint_sets", ["invitation_id"])
    op.create_table(
        "fingerprints",
        sa.Column(
            "submission_id",
            sa.String(32),
            sa.ForeignKey("fingerprint_sets.submission_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("hash", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("problem", sa.String(64), nullable=False),
    )
    op.create_index("ix_fingerprints_team_problem_hash", "fingerprints", ["team", "problem", "hash", "submission_id"])
    op.create_table(
        "known_solutions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("problem", sa.String(64), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("uploaded_by_key_id", sa.String(32), sa.ForeignKey("api_keys.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_known_solutions_team_problem", "known_solutions", ["team", "problem"])


def downgrade() -> None:
    """Drop the three tables (the fingerprints are recomputed if upgraded again)."""
    op.drop_table("known_solutions")
    op.drop_table("fingerprints")
    op.drop_table("fingerprint_sets")

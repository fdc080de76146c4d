"""The archive of the deliberation formats (SPEC §10): battle polls' opinion shift, dot
polls' settings and voters per option, before/after pairs, polls made from proposals;
proposals with their support and fate; cheer totals; hands raised (voice equity);
anonymous and hidden questions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("poll") as batch:
        batch.add_column(
            sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("votes_per_person", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("max_per_option", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("dot_voters", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("repeat_of", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("proposals", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("battle", sa.Text(), nullable=True))
    with op.batch_alter_table("question") as batch:
        batch.add_column(
            sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("hidden_reason", sa.Text(), nullable=True))
    op.create_table(
        "proposal",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=True),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supporters", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("polls", sa.Text(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("room", "id"),
    )
    op.create_table(
        "cheer",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("presenter", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("revealed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("room", "n"),
    )
    op.create_table(
        "hand_count",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("raised", sa.Integer(), nullable=False),
        sa.Column("uncalled", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("room", "participant"),
    )


def downgrade() -> None:
    op.drop_table("hand_count")
    op.drop_table("cheer")
    op.drop_table("proposal")
    with op.batch_alter_table("question") as batch:
        batch.drop_column("hidden_reason")
        batch.drop_column("anonymous")
    with op.batch_alter_table("poll") as batch:
        batch.drop_column("battle")
        batch.drop_column("proposals")
        batch.drop_column("repeat_of")
        batch.drop_column("dot_voters")
        batch.drop_column("max_per_option")
        batch.drop_column("votes_per_person")
        batch.drop_column("final")

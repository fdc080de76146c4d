"""Access modes and member rolls (SPEC §7): the town hall's ``access`` and the
``member`` table (one personal link per member, stored as the hash of its token).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("townhall") as batch:
        batch.add_column(
            sa.Column("access", sa.String(length=8), nullable=False, server_default="open")
        )
    op.create_table(
        "member",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room"], ["townhall.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("room", "participant"),
        sa.UniqueConstraint("room", "ref", name="uq_member_room_ref"),
        sa.UniqueConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("member")
    with op.batch_alter_table("townhall") as batch:
        batch.drop_column("access")

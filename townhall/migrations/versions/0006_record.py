"""The archive of roll access and the verifiable record (SPEC §7-§8): the roll and proxies
of a session, each poll's frozen eligible list and proxies, ballots cast by proxy, and
the hash-chained record of every event.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("poll") as batch:
        batch.add_column(
            sa.Column("electorate", sa.String(length=16), nullable=False, server_default="present")
        )
        batch.add_column(sa.Column("quorum_share", sa.Float(), nullable=True))
        batch.add_column(sa.Column("quorum_needed", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("by_proxy", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("ballot") as batch:
        batch.add_column(sa.Column("holder", sa.String(length=64), nullable=True))
    op.create_table(
        "poll_eligible",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("poll", sa.String(length=64), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("room", "poll", "participant"),
    )
    op.create_table(
        "poll_proxy",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("poll", sa.String(length=64), nullable=False),
        sa.Column("giver", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("room", "poll", "giver"),
    )
    op.create_table(
        "roll_member",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("room", "n"),
    )
    op.create_table(
        "proxy",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("giver", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("room", "giver"),
    )
    op.create_table(
        "record_event",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("room", "seq"),
    )


def downgrade() -> None:
    op.drop_table("record_event")
    op.drop_table("proxy")
    op.drop_table("roll_member")
    op.drop_table("poll_proxy")
    op.drop_table("poll_eligible")
    with op.batch_alter_table("ballot") as batch:
        batch.drop_column("holder")
    with op.batch_alter_table("poll") as batch:
        batch.drop_column("by_proxy")
        batch.drop_column("quorum_needed")
        batch.drop_column("quorum_share")
        batch.drop_column("electorate")

"""The organiser console and the meeting's life (issue 14): start time, time zone,
stream, owner, place, chair and secretary of a town hall; admin keys; console sessions;
short join codes; uploaded documents; minutes versions (draft, approved, corrections)
and their rendered documents.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("townhall") as batch:
        batch.add_column(sa.Column("starts_at", TZ, nullable=True))
        batch.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("stream_url", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("place", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("chair", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("secretary", sa.String(), nullable=False, server_default=""))
        batch.create_index("ix_townhall_owner", ["owner"], unique=False)
    with op.batch_alter_table("api_key") as batch:
        batch.add_column(
            sa.Column("admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("link") as batch:
        batch.add_column(sa.Column("short_hash", sa.String(length=128), nullable=True))
        batch.create_unique_constraint("uq_link_short_hash", ["short_hash"])
    op.create_table(
        "console_session",
        sa.Column("id_hash", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("csrf", sa.String(length=128), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index("ix_console_session_key_id", "console_session", ["key_id"])
    op.create_table(
        "upload",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("room", "id"),
    )
    op.create_table(
        "minutes_version",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(), nullable=False),
        sa.Column("chair", sa.String(), nullable=False),
        sa.Column("secretary", sa.String(), nullable=False),
        sa.Column("corrections", sa.String(), nullable=False),
        sa.Column("corrects", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.String(), nullable=True),
        sa.Column("approved_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("room", "version"),
    )
    op.create_table(
        "minutes_render",
        sa.Column("room", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("room", "version", "format", "public"),
    )


def downgrade() -> None:
    op.drop_table("minutes_render")
    op.drop_table("minutes_version")
    op.drop_table("upload")
    op.drop_index("ix_console_session_key_id", table_name="console_session")
    op.drop_table("console_session")
    with op.batch_alter_table("link") as batch:
        batch.drop_constraint("uq_link_short_hash", type_="unique")
        batch.drop_column("short_hash")
    with op.batch_alter_table("api_key") as batch:
        batch.drop_column("admin")
    with op.batch_alter_table("townhall") as batch:
        batch.drop_index("ix_townhall_owner")
        for column in ("secretary", "chair", "place", "owner", "stream_url", "timezone"):
            batch.drop_column(column)
        batch.drop_column("starts_at")

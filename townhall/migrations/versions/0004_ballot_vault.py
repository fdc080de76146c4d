"""The ballot secret leaves SQL (it lives in the ballot vault, decision 0007); the town
hall row records when its live log goes and how its archive is doing.

``ballot_secret`` is dropped: an old row's bytes would outlive an ``UPDATE`` in the
database files anyway, which is why the secret no longer lives here at all. A room
that is live while the server is upgraded gets a new secret at its next hello (its
open secret polls should be closed before the upgrade).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("townhall") as batch:
        batch.drop_column("ballot_secret")
        batch.add_column(sa.Column("log_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("archive_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("archive_error", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("archive_retry_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("townhall") as batch:
        batch.drop_column("archive_retry_at")
        batch.drop_column("archive_error")
        batch.drop_column("archive_failures")
        batch.drop_column("log_expires_at")
        batch.add_column(sa.Column("ballot_secret", sa.LargeBinary(), nullable=True))

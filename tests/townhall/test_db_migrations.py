"""Migrations: upgrade from empty, the schema matches the models, and down/up round trips."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from townhall.db import create_engine, current, downgrade, head, migrate
from townhall.db.models import metadata

ALL_TABLES = {
    "townhall", "link", "api_key", "participant", "room_log", "room_command",
    "attendance", "agenda_item", "turn", "statement", "transcript", "question",
    "poll", "ballot", "poll_voter", "tally", "irv_round", "decision", "reaction",
    "moderation", "instance", "member", "console_session", "upload", "minutes_version",
    "minutes_render",
    "poll_eligible", "poll_proxy", "roll_member",
    "proxy", "record_event", "proposal", "cheer", "hand_count",
}  # fmt: skip


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def _diff(url: str) -> list[Any]:
    """What autogenerate would still change: empty when migrations match the models."""
    engine = create_engine(url)

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    try:
        async with engine.connect() as conn:
            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def test_migrate_upgrades_an_empty_database_to_the_models(db_url: str) -> None:
    assert await current(db_url) is None
    await migrate(db_url)
    assert await current(db_url) == head()
    assert await _tables(db_url) == ALL_TABLES
    assert await _diff(db_url) == []


async def test_migrate_twice_is_a_no_op(db_url: str) -> None:
    await migrate(db_url)
    await migrate(db_url)
    assert await current(db_url) == head()


async def test_downgrade_to_base_and_upgrade_again_round_trips(db_url: str) -> None:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("INSERT INTO api_key (id, key_hash, label, created_at) "
                        "VALUES ('k1', 'h1', 'ci', CURRENT_TIMESTAMP)")
            )  # fmt: skip
    finally:
        await engine.dispose()
    await downgrade(db_url, "base")
    assert await current(db_url) is None
    assert await _tables(db_url) == set()
    await migrate(db_url)
    assert await _tables(db_url) == ALL_TABLES
    assert await _diff(db_url) == []

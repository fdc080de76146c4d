"""Alembic environment for Townhall, asyncio-native and shared by SQLite and PostgreSQL.

``townhall.db.migrate`` passes an open connection in ``config.attributes["connection"]``
(the cookbook's connection-sharing pattern), so migrations run inside the caller's event
loop. Run through the plain ``alembic`` command instead, this file opens its own async
engine from ``sqlalchemy.url``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from townhall.db.engine import create_engine
from townhall.db.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things in place: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_own_engine() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no sqlalchemy.url: pass a database URL to townhall migrate")
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _main() -> None:
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    shared = config.attributes.get("connection")
    if isinstance(shared, Connection):
        _run(shared)
    else:
        asyncio.run(_run_own_engine())


_main()

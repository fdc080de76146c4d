"""Migrations at start, safe when several workers start at once on one database."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import AsyncIterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from townhall.db import create_engine, migrate

# Any constant works; it only has to be the same in every Townhall process.
PG_LOCK_ID = 0x70776E68


@contextlib.asynccontextmanager
async def _exclusive(url: str, data_dir: Path) -> AsyncIterator[None]:
    if make_url(url).get_backend_name() == "postgresql":
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": PG_LOCK_ID})
                try:
                    yield
                finally:
                    await conn.execute(
                        sa.text("SELECT pg_advisory_unlock(:id)"), {"id": PG_LOCK_ID}
                    )
        finally:
            await engine.dispose()
        return
    database = make_url(url).database
    lock_dir = Path(database).parent if database else data_dir
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / ".townhall-migrate.lock").open("w") as handle:
        # A blocking flock in a thread-free start-up path: held for the few ms a
        # migration (or the no-op check) takes.
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def migrate_exclusively(url: str, data_dir: Path) -> None:
    """Bring the schema to head; concurrent callers wait for each other."""
    async with _exclusive(url, data_dir):
        await migrate(url)


class SchemaBehind(RuntimeError):
    """``--no-migrate`` and the database is older than this version of Townhall."""


async def check_schema(url: str) -> str:
    """For ``--no-migrate``: the database's revision, if this code can run on it.

    A database at an older revision (or never migrated) raises ``SchemaBehind``: run
    ``townhall migrate`` first. A revision this code does not know is a newer release's
    (a rolling upgrade migrated ahead of this worker): its migrations keep the old schema
    readable, so it is accepted.
    """
    from alembic.script import ScriptDirectory

    from townhall.db import current, head
    from townhall.db.migrate import alembic_config

    at = await current(url)
    shipped = head()
    if at == shipped:
        return at
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if at is None or at in known:
        raise SchemaBehind(
            f"the database is at revision {at or '(none)'}, this version of Townhall needs "
            f"{shipped}: run `townhall migrate` with the same settings first (or start "
            "without --no-migrate)"
        )
    return at

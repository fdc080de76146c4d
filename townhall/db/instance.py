"""The database's own id (one row of ``instance``, made by migration 0002)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from townhall.db.engine import SessionFactory, create_engine
from townhall.db.models import InstanceRow

__all__ = ["database_id", "database_id_at"]

_instance = InstanceRow.__table__  # type: ignore[attr-defined]


async def database_id(sessions: SessionFactory) -> str | None:
    async with sessions() as session:
        found = await session.execute(sa.select(_instance.c.id).limit(1))
        return found.scalar_one_or_none()


async def database_id_at(url: str) -> str | None:
    """The id of the database at ``url``, or None if it does not exist (a SQLite file is
    not created to find out), is not migrated, or cannot be reached."""
    parsed = make_url(url)
    # One stat() of a local file, in a command-line tool: not worth a thread.
    database = Path(parsed.database or "")
    if parsed.get_backend_name() == "sqlite" and not database.is_file():  # noqa: ASYNC240
        return None
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda c: sa.inspect(c).has_table("instance")):
                return None
            found = await conn.execute(sa.select(_instance.c.id).limit(1))
            return found.scalar_one_or_none()
    except (OSError, sa.exc.SQLAlchemyError):
        return None
    finally:
        await engine.dispose()

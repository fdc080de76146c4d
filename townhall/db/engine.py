"""Async engines and sessions for the two supported databases.

URLs are SQLAlchemy async URLs: ``sqlite+aiosqlite:///path.db`` (the default, embedded)
or ``postgresql+asyncpg://user@host/db``. SQLite gets WAL and a busy timeout so the log
store's appends and a reader (the minutes export) do not block each other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = [
    "SessionFactory",
    "apply_sqlite_pragmas",
    "create_engine",
    "is_sqlite",
    "session_factory",
]

SessionFactory = async_sessionmaker[AsyncSession]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def apply_sqlite_pragmas(dbapi_connection: Any, _record: Any = None) -> None:
    """Every SQLite connection's settings (SQLAlchemy's and townhall.logwriter's)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(
        "PRAGMA synchronous=NORMAL"
    )  # survives a killed process; only power loss can drop the last commits
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url`` with the per-dialect settings Townhall relies on."""
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", apply_sqlite_pragmas)
    return engine


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)

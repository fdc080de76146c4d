"""SQL storage: models, engines and migrations (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from townhall.db.engine import SessionFactory, create_engine, is_sqlite, session_factory
from townhall.db.migrate import current, downgrade, head, migrate

__all__ = [
    "SessionFactory",
    "create_engine",
    "current",
    "downgrade",
    "head",
    "is_sqlite",
    "migrate",
    "session_factory",
]

"""One-hop durable appends to SQLite for the embedded room log (townhall/logstore.py).

Through SQLAlchemy's asyncio layer one batch save cost about 730 us of CPU on this
project's 2-core machine: a session, BEGIN, two INSERTs and COMMIT, each a round trip
to aiosqlite's thread and back through the event loop. ``SqliteWriter`` runs the whole
transaction as one call, in one dedicated thread, on its own ``sqlite3`` connection:
about 155 us, one wake-up of the loop per batch (docs/decisions/0006-sqlite-log-writer.md).
Reads (``load``, ``rooms``) stay on SQLAlchemy; in WAL mode they see every committed
append, and SQLite's busy timeout orders this writer with the app's other writers.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url

from townhall.db.engine import apply_sqlite_pragmas
from townhall.db.models import RoomCommandRow, RoomLogRow

__all__ = ["SqliteWriter", "sqlite_path"]

Row = dict[str, object]

_NAMED = sqlite.dialect(paramstyle="named")  # sqlite3 takes the rows' dicts as they are
_log = RoomLogRow.__table__  # type: ignore[attr-defined]
_cmd = RoomCommandRow.__table__  # type: ignore[attr-defined]
_INSERT_LOG = str(_log.insert().compile(dialect=_NAMED))
_INSERT_CMD = str(_cmd.insert().compile(dialect=_NAMED))
_DROP_KEYS = str(_cmd.delete().where(_cmd.c.room == sa.bindparam("room")).compile(dialect=_NAMED))
# SqlStore._latest_epoch's query: the epoch marker row (seq 0) starts an epoch.
_LATEST_EPOCH = "SELECT epoch FROM room_log WHERE room = ? AND seq = 0 ORDER BY at DESC LIMIT 1"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for another database or an in-memory one."""
    parts = make_url(url)
    if parts.get_backend_name() != "sqlite" or parts.database in (None, "", ":memory:"):
        return None
    return Path(parts.database)


class SqliteWriter:
    """Writes a batch's log rows and command rows in one SQLite transaction."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="townhall-log")
        self._db: sqlite3.Connection | None = None  # opened and used in that thread only

    async def write(
        self,
        room: str,
        epoch: str,
        marker: Row | None,
        log_rows: Sequence[Row],
        cmd_rows: Sequence[Row],
    ) -> None:
        """Append; with ``marker`` (the epoch's seq-0 row), first start ``epoch`` unless it
        is already the room's latest, dropping the command keys of the one before."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool, self._write, room, epoch, marker, log_rows, cmd_rows)

    def _write(
        self,
        room: str,
        epoch: str,
        marker: Row | None,
        log_rows: Sequence[Row],
        cmd_rows: Sequence[Row],
    ) -> None:
        db = self._db
        if db is None:
            db = self._db = sqlite3.connect(self._path, isolation_level=None)
            apply_sqlite_pragmas(db)
        db.execute("BEGIN IMMEDIATE")
        try:
            if marker is not None:
                found = db.execute(_LATEST_EPOCH, (room,)).fetchone()
                latest = found[0] if found is not None else None
                if latest != epoch:
                    db.execute(_INSERT_LOG, marker)
                    if latest is not None:
                        db.execute(_DROP_KEYS, {"room": room})
            if log_rows:
                db.executemany(_INSERT_LOG, log_rows)
            if cmd_rows:
                db.executemany(_INSERT_CMD, cmd_rows)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    async def close(self) -> None:
        def shut() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self._pool, shut)
        self._pool.shutdown(wait=True)

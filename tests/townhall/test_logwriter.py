"""The embedded log's one-hop SQLite writer: what it appends is what SQLAlchemy reads back,
a new epoch drops the old one's command keys, and a failed batch leaves nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from realtime.log import Record
from townhall.db import create_engine, migrate, session_factory
from townhall.logstore import SqlStore
from townhall.logwriter import SqliteWriter, sqlite_path


def rec(seq: int, cause: str | None = None) -> Record:
    return Record(
        seq,
        "statement.posted",
        {"text": f"n{seq}", "가": "나"},
        datetime(2026, 11, 26, 0, 0, seq, tzinfo=UTC),
        cause,
    )


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[SqlStore, SqlStore, Path]]:
    """The writer's store and a plain SQLAlchemy one on the same file."""
    path = tmp_path / "log.db"
    url = f"sqlite+aiosqlite:///{path}"
    await migrate(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    fast = SqlStore(sessions, SqliteWriter(path))
    try:
        yield fast, SqlStore(sessions), path
    finally:
        await fast.close()
        await engine.dispose()


async def test_appends_read_back_through_sqlalchemy(
    stores: tuple[SqlStore, SqlStore, Path],
) -> None:
    fast, plain, _ = stores
    await fast.save_batch("r1", "e1", [((rec(1, "k1"), rec(2, "k1")), "k1", {"id": "s1"})])
    await fast.save_batch("r1", "e1", [((rec(3),), None, {}), ((), "k2", {"ok": "1"})])
    loaded = await plain.load("r1")
    assert loaded is not None
    epoch, records, commands = loaded
    assert epoch == "e1"
    assert records == [rec(1, "k1"), rec(2, "k1"), rec(3)]
    assert commands["k1"].records == (rec(1, "k1"), rec(2, "k1"))
    assert commands["k1"].result == {"id": "s1"}
    assert commands["k2"].result == {"ok": "1"}
    assert await plain.rooms() == ["r1"]


async def test_a_new_epoch_starts_empty_and_forgets_the_old_keys(
    stores: tuple[SqlStore, SqlStore, Path],
) -> None:
    fast, plain, _ = stores
    await fast.save_batch("r1", "e1", [((rec(1, "k1"),), "k1", {})])
    await fast.save_batch("r1", "e2", ())  # a trim
    loaded = await plain.load("r1")
    assert loaded == ("e2", [], {})
    await fast.save_batch("r1", "e2", [((rec(1, "k1"),), "k1", {})])  # k1 is new again
    loaded = await plain.load("r1")
    assert loaded is not None
    assert [r.seq for r in loaded[1]] == [1]


async def test_a_failed_batch_writes_nothing(stores: tuple[SqlStore, SqlStore, Path]) -> None:
    fast, plain, path = stores
    await fast.save_batch("r1", "e1", [((rec(1, "k1"),), "k1", {})])
    with pytest.raises(sqlite3.IntegrityError):  # seq 1 again, after a new key's rows
        await fast.save_batch("r1", "e1", [((rec(2, "k2"),), "k2", {}), ((rec(1),), None, {})])
    loaded = await plain.load("r1")
    assert loaded is not None
    assert [r.seq for r in loaded[1]] == [1]
    assert set(loaded[2]) == {"k1"}
    await fast.save_batch("r1", "e1", [((rec(2, "k2"),), "k2", {})])  # and it goes on
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM room_command").fetchone() == (2,)


def test_only_a_sqlite_file_gets_the_writer() -> None:
    assert sqlite_path("sqlite+aiosqlite:////var/lib/townhall/townhall.db") == Path(
        "/var/lib/townhall/townhall.db"
    )
    assert sqlite_path("sqlite+aiosqlite:///rel/t.db?timeout=5") == Path("rel/t.db")
    assert sqlite_path("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_path("postgresql+asyncpg://postgres@127.0.0.1/test") is None

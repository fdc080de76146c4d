"""``append_batch``, the group commit, against every backend (and townhall's SQL store).

One batch is one atomic step: all its entries get consecutive seqs, or (stale head,
a key already applied) nothing at all is appended or remembered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from realtime.log import (
    BatchEntry,
    Committed,
    Conflict,
    DuplicateKeys,
    Record,
    RoomLog,
)
from realtime.log.memory import MemoryLog, Store
from realtime.server import open_log
from tests.realtime.appends import append, lookup
from tests.realtime.test_log_contract import JsonlStore, ev, room_id
from townhall.db import create_engine, migrate, session_factory
from townhall.logstore import SqlStore
from townhall.logwriter import SqliteWriter

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("memory-store", id="memory-store"),
    pytest.param("memory-sql", id="memory-sql"),
    pytest.param("memory-sqlite-writer", id="memory-sqlite-writer"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]

Opener = Callable[[], RoomLog]


@pytest.fixture(params=BACKENDS)
async def opener(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens logs on one shared durable state (a fresh memory log for ``memory``)."""
    kind: str = request.param
    opened: list[RoomLog] = []
    engine = None
    stores: list[SqlStore] = []
    if kind == "memory":
        make: Opener = lambda: open_log("memory://")  # noqa: E731
    elif kind == "memory-store":
        store: Store = JsonlStore(tmp_path)
        make = lambda: open_log("memory://", store)  # noqa: E731
    elif kind == "memory-sql":
        url = f"sqlite+aiosqlite:///{tmp_path / 'log.db'}"
        await migrate(url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        make = lambda: open_log("memory://", SqlStore(sessions))  # noqa: E731
    elif kind == "memory-sqlite-writer":  # the embedded server's own: one-hop appends
        path = tmp_path / "log.db"
        url = f"sqlite+aiosqlite:///{path}"
        await migrate(url)
        engine = create_engine(url)
        sessions = session_factory(engine)

        def make() -> RoomLog:
            store = SqlStore(sessions, SqliteWriter(path))
            stores.append(store)
            return open_log("memory://", store)
    else:
        url = request.getfixturevalue("redis_log_url")
        make = lambda: open_log(url)  # noqa: E731

    def open_one() -> RoomLog:
        log = make()
        opened.append(log)
        return log

    yield open_one
    for log in opened:
        await log.close()
    for store in stores:
        await store.close()
    if engine is not None:
        await engine.dispose()


@pytest.fixture
async def log(opener: Opener) -> RoomLog:
    made = opener()
    await made.start()
    return made


def entry(key: str | None, *names: str, **result: str) -> BatchEntry:
    return BatchEntry([ev(n, key=key) for n in names], key, result)


async def test_a_batch_gets_consecutive_seqs_entry_by_entry(log: RoomLog) -> None:
    room = room_id()
    await append(log, room, 0, [ev("first.done")], None, {})
    batch = [
        entry("u:1", "a.added", "b.added", item="i1"),
        entry("u:2", ok="no events"),
        entry(None, "server.done"),
        entry("u:3", "c.added"),
    ]
    done = await log.append_batch(room, 1, batch)
    assert isinstance(done, list)
    assert [[r.seq for r in c.records] for c in done] == [[2, 3], [], [4], [5]]
    assert [c.result for c in done] == [{"item": "i1"}, {"ok": "no events"}, {}, {}]
    assert not any(c.duplicate for c in done)
    assert done[0].records[1] == Record(3, "b.added", {"key": "u:1"}, ev("x").at, "u:1")
    assert done[2].records[0].cause is None
    assert await log.head(room) == 5
    records = await log.read(room, 1)
    assert records == [r for c in done for r in c.records]
    assert await lookup(log, room, "u:1") == Committed(done[0].records, {"item": "i1"}, True)
    assert await lookup(log, room, "u:2") == Committed((), {"ok": "no events"}, True)
    # a key from a batch is a resend for a later single append too
    assert await append(log, room, 5, [ev("c.added")], "u:3", {}) == Committed(
        done[3].records, {}, True
    )


async def test_a_stale_batch_appends_and_remembers_nothing(log: RoomLog) -> None:
    room = room_id()
    await append(log, room, 0, [ev("a.added"), ev("a.added")], None, {})
    batch = [entry("u:1", "b.added"), entry("u:2")]
    assert await log.append_batch(room, 1, batch) == Conflict(2)
    assert await log.append_batch(room, 7, batch) == Conflict(2)
    assert await log.head(room) == 2
    assert await lookup(log, room, "u:1") is None
    assert await lookup(log, room, "u:2") is None


async def test_an_applied_key_refuses_the_whole_batch(log: RoomLog) -> None:
    room = room_id()
    first = await append(log, room, 0, [ev("a.added")], "u:1", {"n": "1"})
    batch = [entry("u:2", "b.added"), entry("u:1", "a.added"), entry("u:3", "c.added")]
    # the keys are checked before the head, as append does: even a stale batch says so
    assert await log.append_batch(room, 1, batch) == DuplicateKeys(("u:1",))
    assert await log.append_batch(room, 0, batch) == DuplicateKeys(("u:1",))
    assert await log.head(room) == 1
    assert await lookup(log, room, "u:2") is None
    assert isinstance(first, Committed)
    assert await lookup(log, room, "u:1") == Committed(first.records, {"n": "1"}, True)
    # without the applied key the rest goes through, gapless after the original
    rest = await log.append_batch(room, 1, [batch[0], batch[2]])
    assert isinstance(rest, list)
    assert [r.seq for c in rest for r in c.records] == [2, 3]
    assert [r.seq for r in await log.read(room, 0)] == [1, 2, 3]


async def test_a_batch_may_not_hold_a_key_twice_or_be_empty(log: RoomLog) -> None:
    room = room_id()
    with pytest.raises(ValueError, match="same command key"):
        await log.append_batch(room, 0, [entry("u:1", "a.added"), entry("u:1", "b.added")])
    assert await log.append_batch(room, 0, []) == []
    assert await log.head(room) == 0


async def test_a_batch_is_durable_for_the_next_log(opener: Opener) -> None:
    room = room_id()
    writer = opener()
    await writer.start()
    done = await writer.append_batch(room, 0, [entry("u:1", "a.added"), entry("u:2", "b.added")])
    assert isinstance(done, list)
    reader = opener()
    await reader.start()
    if isinstance(reader, MemoryLog) and await reader.head(room) == 0:
        return  # the bare memory log keeps nothing beyond its process (by design)
    assert await reader.read(room, 0) == [r for c in done for r in c.records]
    assert await lookup(reader, room, "u:2") == Committed(done[1].records, {}, True)
    assert await reader.append_batch(room, 2, [entry("u:2", "b.added")]) == DuplicateKeys(("u:2",))


async def test_a_failed_store_save_appends_nothing(tmp_path: Path) -> None:
    room = room_id()
    log = MemoryLog(JsonlStore(tmp_path / "gone"))  # a directory that does not exist
    with pytest.raises(FileNotFoundError):
        await log.append_batch(room, 0, [entry("u:1", "a.added"), entry("u:2", "b.added")])
    assert log.health()["ok"] is False
    assert await log.head(room) == 0
    assert await lookup(log, room, "u:1") is None
    (tmp_path / "gone").mkdir()
    assert isinstance(await log.append_batch(room, 0, [entry("u:1", "a.added")]), list)
    assert log.health()["ok"] is True

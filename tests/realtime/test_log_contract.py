"""The RoomLog contract, run unchanged against every backend.

``memory`` is the bare in-process log, ``memory-store`` the same with a durable store
(a small JSON-lines reference store written here; townhall's SQLite store must behave
alike), ``redis`` the shared Redis server under a key prefix unique to each test.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from realtime.log import (
    BatchEntry,
    Committed,
    Conflict,
    NewEvent,
    Record,
    RoomLog,
    Trimmed,
)
from realtime.log.memory import MemoryLog, SaveEntry, Store
from realtime.log.redis.log import RedisLog
from realtime.server import open_log
from realtime.wire import timestamp
from tests.realtime.appends import append, lookup


class JsonlStore:
    """Reference ``Store``: one JSON-lines file per room, one line per saved entry."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, room: str) -> Path:
        return self.directory / f"{room}.jsonl"

    async def load(self, room: str) -> tuple[str, list[Record], dict[str, Committed]] | None:
        path = self._path(room)
        if not path.exists():
            return None
        epoch = ""
        records: list[Record] = []
        commands: dict[str, Committed] = {}
        for line in path.read_text().splitlines():
            saved = json.loads(line)
            if saved["epoch"] != epoch:  # a new epoch replaces everything before it
                epoch, records, commands = saved["epoch"], [], {}
            new = tuple(
                Record(**{**r, "at": datetime.fromisoformat(r["at"])}) for r in saved["records"]
            )
            records.extend(new)
            if saved["key"] is not None:
                commands[saved["key"]] = Committed(new, saved["result"], False)
        return epoch, records, commands

    async def save_batch(self, room: str, epoch: str, entries: Sequence[SaveEntry]) -> None:
        lines = [
            {
                "epoch": epoch,
                "records": [
                    {
                        "seq": r.seq,
                        "name": r.name,
                        "data": r.data,
                        "at": timestamp(r.at),
                        "cause": r.cause,
                    }
                    for r in records
                ],
                "key": command_key,
                "result": result,
            }
            for records, command_key, result in entries
        ] or [{"epoch": epoch, "records": [], "key": None, "result": {}}]  # a trim
        with self._path(room).open("a") as file:  # one write: the batch lands whole
            file.write("".join(json.dumps(line) + "\n" for line in lines))

    async def rooms(self) -> list[str]:
        found = []
        for path in self.directory.glob("*.jsonl"):
            loaded = await self.load(path.stem)
            if loaded is not None and loaded[1]:
                found.append(path.stem)
        return found


@dataclass
class Backend:
    """How to open (another) log on the same durable state, and close them all."""

    name: str
    make: Callable[[], RoomLog]
    durable: bool  # a log from make() finds what an earlier one wrote
    live: bool  # logs from make() see each other's appends as they happen (workers)
    opened: list[RoomLog] = field(default_factory=list)

    async def open(self) -> RoomLog:
        log = self.make()
        await log.start()
        self.opened.append(log)
        return log


BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("memory-store", id="memory-store"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
    pytest.param("redis-cluster", id="redis-cluster", marks=pytest.mark.redis),
]


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    kind: str = request.param
    if kind == "memory":
        made = Backend(kind, lambda: open_log("memory://"), durable=False, live=False)
    elif kind == "memory-store":
        store: Store = JsonlStore(tmp_path)
        made = Backend(kind, lambda: open_log("memory://", store), durable=True, live=False)
    else:  # a single Redis, or a real 3-master Redis Cluster (redis+cluster://)
        fixture = "redis_log_url" if kind == "redis" else "redis_cluster_log_url"
        url: str = request.getfixturevalue(fixture)
        made = Backend(kind, lambda: open_log(url), durable=True, live=True)
    yield made
    for log in made.opened:
        await log.close()


@pytest.fixture
async def log(backend: Backend) -> RoomLog:
    return await backend.open()


def ev(name: str, **data: Any) -> NewEvent:
    return NewEvent(name, data, datetime(2026, 11, 25, 15, tzinfo=UTC))


def room_id() -> str:
    return f"r{uuid.uuid4().hex[:8]}"


async def test_append_gives_gapless_seqs_from_one(log: RoomLog) -> None:
    room = room_id()
    assert await log.head(room) == 0
    first = await append(log, room, 0, [ev("a.added", n=1)], "p:1", {"item": "i1"})
    second = await append(log, room, 1, [ev("b.added", n=2), ev("c.added", n=3)], None, {})
    assert isinstance(first, Committed)
    assert isinstance(second, Committed)
    assert [r.seq for r in first.records + second.records] == [1, 2, 3]
    assert first.records[0] == Record(1, "a.added", {"n": 1}, ev("x").at, "p:1")
    assert second.records[1].cause is None
    assert (first.result, first.duplicate) == ({"item": "i1"}, False)
    assert await log.head(room) == 3
    assert await log.read(room, 0) == list(first.records + second.records)


async def test_a_stale_or_future_expect_is_a_conflict_with_the_real_head(log: RoomLog) -> None:
    room = room_id()
    await append(log, room, 0, [ev("a.added"), ev("a.added")], None, {})
    assert await append(log, room, 1, [ev("b.added")], "p:1", {}) == Conflict(2)
    assert await append(log, room, 5, [ev("b.added")], "p:1", {}) == Conflict(2)
    assert await log.head(room) == 2
    assert await lookup(log, room, "p:1") is None  # a conflict remembers nothing


async def test_a_resent_command_returns_its_original_records_and_result(log: RoomLog) -> None:
    room = room_id()
    original = await append(log, room, 0, [ev("poll.created", poll="p1")], "u:7", {"poll": "p1"})
    await append(log, room, 1, [ev("other.done")], "u:8", {})
    again = await append(log, room, 2, [ev("poll.created", poll="p2")], "u:7", {"poll": "p2"})
    stale = await append(log, room, 0, [], "u:7", {})  # the key wins over a stale expect
    assert isinstance(original, Committed)
    expected = Committed(original.records, {"poll": "p1"}, True)
    assert again == stale == expected
    assert await lookup(log, room, "u:7") == expected
    assert await lookup(log, room, "u:9") is None
    assert await log.head(room) == 2


async def test_a_command_without_events_still_remembers_its_result(log: RoomLog) -> None:
    room = room_id()
    done = await append(log, room, 0, [], "u:1", {"ok": "yes"})
    assert done == Committed((), {"ok": "yes"}, False)
    assert await log.head(room) == 0
    assert await append(log, room, 0, [ev("x.done")], "u:1", {}) == Committed(
        (), {"ok": "yes"}, True
    )
    assert await append(log, room, 3, [], "u:2", {}) == Conflict(0)


async def test_lookup_many_answers_the_applied_keys_only(log: RoomLog) -> None:
    room = room_id()
    await append(log, room, 0, [ev("a.one"), ev("a.two")], "u:a", {"n": "a"})
    await append(log, room, 2, [], "u:empty", {"n": "empty"})
    await append(log, room, 2, [ev("b.one")], "u:b", {"n": "b"})
    found = await log.lookup_many(room, ["u:none", "u:b", "u:a", "u:empty"])
    assert set(found) == {"u:a", "u:b", "u:empty"}
    assert [r.seq for r in found["u:a"].records] == [1, 2]
    assert [r.name for r in found["u:b"].records] == ["b.one"]
    assert found["u:empty"] == Committed((), {"n": "empty"}, True)
    assert found["u:a"].result == {"n": "a"}
    assert all(done.duplicate for done in found.values())
    assert await log.lookup_many(room, []) == {}
    assert await log.lookup_many(room_id(), ["u:a"]) == {}


async def test_read_after_and_limit(log: RoomLog) -> None:
    room = room_id()
    await append(log, room, 0, [ev("e.n", i=i) for i in range(1, 8)], None, {})
    assert [r.seq for r in await log.read(room, 0, 3)] == [1, 2, 3]
    assert [r.seq for r in await log.read(room, 5)] == [6, 7]
    assert [r.seq for r in await log.read(room, 5, 10)] == [6, 7]
    assert await log.read(room, 7) == []
    assert await log.read(room, 2, 0) == []
    assert [r.data["i"] for r in await log.read(room, 3, 2)] == [4, 5]
    assert await log.read(room_id(), 0) == []


async def test_reading_past_the_head_is_trimmed_not_a_silent_gap(log: RoomLog) -> None:
    room = room_id()
    await append(log, room, 0, [ev("e.n")], None, {})
    with pytest.raises(Trimmed):
        await log.read(room, 2)
    with pytest.raises(Trimmed):
        await log.read(room, -1)


async def test_trim_drops_the_log_and_a_reused_room_gets_a_new_epoch(log: RoomLog) -> None:
    room = room_id()
    epoch = await log.epoch(room)
    await append(log, room, 0, [ev("e.n"), ev("e.n")], "u:1", {"a": "b"})
    assert room in await log.rooms()
    await log.trim(room)
    assert room not in await log.rooms()
    assert await log.head(room) == 0
    with pytest.raises(Trimmed):
        await log.read(room, 2)
    assert await lookup(log, room, "u:1") is None
    again = await append(log, room, 0, [ev("e.m")], "u:1", {})
    assert isinstance(again, Committed)
    assert not again.duplicate
    assert again.records[0].seq == 1
    assert await log.epoch(room) != epoch


async def test_a_reader_of_an_old_epoch_gets_trimmed_not_the_new_epochs_records(
    log: RoomLog,
) -> None:
    room = room_id()
    old = await log.epoch(room)
    await append(log, room, 0, [ev("e.n")] * 2, None, {})
    assert len(await log.read(room, 0, epoch=old)) == 2
    await log.trim(room)
    await append(log, room, 0, [ev("e.n")] * 5, None, {})
    assert [r.seq for r in await log.read(room, 2)] == [3, 4, 5]  # no epoch: cannot tell
    with pytest.raises(Trimmed):
        await log.read(room, 2, epoch=old)
    assert len(await log.read(room, 2, epoch=await log.epoch(room))) == 3


async def test_epoch_is_stable_and_shared(backend: Backend, log: RoomLog) -> None:
    room = room_id()
    epoch = await log.epoch(room)
    assert epoch
    assert await log.epoch(room) == epoch
    await append(log, room, 0, [ev("e.n")], None, {})
    assert await log.epoch(room) == epoch
    if backend.durable:
        other = await backend.open()
        assert await other.epoch(room) == epoch
        assert await other.read(room, 0) == await log.read(room, 0)


async def test_rooms_lists_the_rooms_with_records(log: RoomLog) -> None:
    rooms = [room_id(), room_id()]
    for room in rooms:
        await append(log, room, 0, [ev("e.n")], None, {})
    await log.head(room_id())  # touched, never written
    assert sorted(await log.rooms()) == sorted(rooms)


async def test_a_store_makes_the_log_survive_a_restart(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path)
    room = room_id()
    first = MemoryLog(store)
    epoch = await first.epoch(room)
    done = await append(first, room, 0, [ev("a.b", x=1), ev("c.d")], "u:1", {"item": "i1"})
    await append(first, room, 2, [ev("e.f")], None, {})
    await first.close()

    second = MemoryLog(store)
    assert await second.epoch(room) == epoch
    assert await second.head(room) == 3
    assert isinstance(done, Committed)
    assert await second.read(room, 0, 2) == list(done.records)
    assert await lookup(second, room, "u:1") == Committed(done.records, {"item": "i1"}, True)
    assert await second.rooms() == [room]
    await second.trim(room)
    assert await MemoryLog(store).head(room) == 0
    assert await MemoryLog(store).rooms() == []


async def test_an_append_the_store_refused_is_not_applied(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "gone")  # a directory that does not exist: save fails
    log = MemoryLog(store)
    room = room_id()
    with pytest.raises(FileNotFoundError):
        await append(log, room, 0, [ev("a.b")], "u:1", {})
    assert log.health()["ok"] is False
    assert "FileNotFoundError" in str(log.health()["error"])
    assert await log.head(room) == 0
    assert await lookup(log, room, "u:1") is None
    (tmp_path / "gone").mkdir()
    assert isinstance(await append(log, room, 0, [ev("a.b")], "u:1", {}), Committed)
    assert log.health() == {"backend": "memory", "ok": True, "error": None}


class CountingStore(JsonlStore):
    loads = 0

    async def load(self, room: str) -> tuple[str, list[Record], dict[str, Committed]] | None:
        self.loads += 1
        await asyncio.sleep(0.01)  # a slow disk: the other first touches arrive meanwhile
        return await super().load(room)


async def test_concurrent_first_touches_share_one_load(tmp_path: Path) -> None:
    room = room_id()
    await append(MemoryLog(JsonlStore(tmp_path)), room, 0, [ev("a.b")] * 3, None, {})
    store = CountingStore(tmp_path)
    log = MemoryLog(store)
    heads = await asyncio.gather(*(log.head(room) for _ in range(5)), log.epoch(room))
    assert heads[:5] == [3] * 5
    assert store.loads == 1


async def test_a_store_that_returns_a_gap_is_refused(tmp_path: Path) -> None:
    room = room_id()
    line: dict[str, Any] = {
        "epoch": "e1",
        "key": None,
        "result": {},
        "records": [
            {"seq": s, "name": "a.b", "data": {}, "at": "2026-11-25T15:00:00.000Z", "cause": None}
            for s in (1, 3)
        ],
    }
    (tmp_path / f"{room}.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(ValueError, match="gap"):
        await MemoryLog(JsonlStore(tmp_path)).head(room)


async def next_head(heads: AsyncIterator[int]) -> int:
    return await asyncio.wait_for(anext(heads), 5)


async def stop(heads: AsyncIterator[int]) -> None:
    assert isinstance(heads, AsyncGenerator)  # every backend's watch() is one
    await heads.aclose()


async def test_watch_starts_at_the_head_and_wakes_on_appends(log: RoomLog) -> None:
    room = room_id()
    await append(log, room, 0, [ev("e.n")], None, {})
    heads = log.watch(room)
    assert await next_head(heads) == 1
    await append(log, room, 1, [ev("e.n"), ev("e.n")], None, {})
    assert await next_head(heads) == 3
    await append(log, room, 3, [ev("e.n")], None, {})
    await append(log, room, 4, [], "u:1", {})  # nothing appended: no wake-up
    await append(log, room, 4, [ev("e.n")], None, {})
    seen = [await next_head(heads)]
    while seen[-1] < 5:
        seen.append(await next_head(heads))
    assert seen in ([4, 5], [5])  # wake-ups may be coalesced, never repeated
    await log.trim(room)
    await append(log, room, 0, [ev("e.n")] * 7, None, {})
    assert await next_head(heads) == 0  # a new epoch began: always a 0 first
    assert await next_head(heads) == 7
    await stop(heads)


async def test_watchers_that_come_and_go_leave_the_room_watchable(log: RoomLog) -> None:
    room = room_id()
    for i in range(5):
        heads = log.watch(room)
        assert await next_head(heads) == i
        await stop(heads)
        await append(log, room, i, [ev("e.n")], None, {})
    first, second = log.watch(room), log.watch(room)
    assert await next_head(first) == await next_head(second) == 5
    await append(log, room, 5, [ev("e.n")], None, {})
    assert await next_head(first) == await next_head(second) == 6
    await stop(first)
    await append(log, room, 6, [ev("e.n")], None, {})
    assert await next_head(second) == 7
    await stop(second)


async def test_watch_ends_when_the_log_closes(backend: Backend) -> None:
    log = await backend.open()
    room = room_id()
    seen: list[int] = []
    started = asyncio.Event()

    async def consume() -> None:
        async for head in log.watch(room):
            seen.append(head)
            started.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(started.wait(), 5)
    await log.close()
    await asyncio.wait_for(task, 5)
    assert seen == [0]


@pytest.mark.redis
async def test_a_watcher_on_another_worker_sees_appends(redis_log_url: str) -> None:
    writer, reader = open_log(redis_log_url), open_log(redis_log_url)
    await writer.start()
    await reader.start()
    room = room_id()
    heads = reader.watch(room)
    assert await next_head(heads) == 0
    await append(writer, room, 0, [ev("e.n")], None, {})
    assert await next_head(heads) == 1
    await append(writer, room, 1, [ev("e.n"), ev("e.n")], None, {})
    assert await next_head(heads) == 3
    await stop(heads)
    await writer.close()
    await reader.close()


async def append_with_retry(log: RoomLog, room: str, key: str, name: str) -> Committed:
    """What the engine does: decide on the head it knows, on Conflict catch up and retry."""
    head = await log.head(room)
    while True:
        outcome = await append(log, room, head, [ev(name, key=key)], key, {"key": key})
        if isinstance(outcome, Committed):
            return outcome
        head = outcome.head


async def test_concurrent_appenders_produce_one_gapless_log(backend: Backend) -> None:
    logs = [await backend.open() for _ in range(3 if backend.live else 1)]
    room = room_id()
    keys = [f"w{w}:{i}" for w in range(6) for i in range(15)]

    async def worker(w: int) -> list[Committed]:
        log = logs[w % len(logs)]
        done = []
        for i in range(15):
            key = f"w{w}:{i}"
            done.append(await append_with_retry(log, room, key, "e.n"))
            if i % 5 == 0:  # a resend after a "reconnect" changes nothing
                again = await append_with_retry(log, room, key, "e.other")
                assert again == Committed(done[-1].records, done[-1].result, True)
        return done

    results = await asyncio.gather(*(worker(w) for w in range(6)))
    records = await logs[0].read(room, 0)
    assert [r.seq for r in records] == list(range(1, len(keys) + 1))
    assert sorted(r.cause or "" for r in records) == sorted(keys)
    assert all(r.name == "e.n" for r in records)
    for done in itertools.chain.from_iterable(results):
        assert records[done.records[0].seq - 1] == done.records[0]


@dataclass
class Model:
    """The contract in a dozen lines: what every backend must answer."""

    records: list[tuple[str, str | None]] = field(default_factory=list)
    commands: dict[str, tuple[int, int, dict[str, str]]] = field(default_factory=dict)
    epochs: int = 0


Op = tuple[str, int, int, int]  # kind, a, b, c (meaning depends on kind)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(-1, 1), st.integers(0, 3), st.integers(-1, 3)),
        st.tuples(st.just("read"), st.integers(-1, 12), st.integers(-1, 4), st.just(0)),
        st.tuples(st.just("lookup"), st.integers(0, 3), st.just(0), st.just(0)),
        st.tuples(st.just("trim"), st.just(0), st.just(0), st.just(0)),
    ),
    max_size=25,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=ops)
async def test_any_sequence_of_operations_matches_the_model(log: RoomLog, steps: list[Op]) -> None:
    room = room_id()  # a fresh room per example: the fixture's log is shared across them
    model = Model()
    epochs = {await log.epoch(room)}
    for kind, a, b, c in steps:
        head = len(model.records)
        if kind == "append":
            key = None if c < 0 else f"k{c}"
            events = [ev(f"e.n{i}") for i in range(b)]
            out = await append(log, room, head + a, events, key, {"c": str(c)})
            if key is not None and key in model.commands:
                first, last, result = model.commands[key]
                assert isinstance(out, Committed)
                assert out.duplicate
                assert out.result == result
                assert [r.seq for r in out.records] == list(range(first, last + 1))
            elif a != 0:
                assert out == Conflict(head)
            else:
                assert isinstance(out, Committed)
                assert not out.duplicate
                assert [(r.seq, r.name, r.cause) for r in out.records] == [
                    (head + i + 1, f"e.n{i}", key) for i in range(b)
                ]
                model.records.extend((f"e.n{i}", key) for i in range(b))
                if key is not None:
                    model.commands[key] = (head + 1, head + b, {"c": str(c)})
        elif kind == "read":
            limit = None if b < 0 else b
            if a < 0 or a > head:
                with pytest.raises(Trimmed):
                    await log.read(room, a, limit)
                continue
            got = await log.read(room, a, limit)
            end = head if limit is None else min(head, a + limit)
            assert [(r.seq, r.name, r.cause) for r in got] == [
                (s, *model.records[s - 1]) for s in range(a + 1, end + 1)
            ]
        elif kind == "lookup":
            found = await lookup(log, room, f"k{a}")
            assert (found is None) == (f"k{a}" not in model.commands)
        else:
            await log.trim(room)
            model = Model(epochs=model.epochs + 1)
            epochs.add(await log.epoch(room))
            assert len(epochs) == model.epochs + 1
        assert await log.head(room) == len(model.records)
    with contextlib.suppress(Exception):
        await log.trim(room)


def test_open_log_refuses_what_it_cannot_serve(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown room log URL"):
        open_log("postgres://localhost/x")
    with pytest.raises(ValueError, match="only used by the memory"):
        open_log("redis://127.0.0.1:6379/0", JsonlStore(tmp_path))
    assert isinstance(open_log("memory://"), MemoryLog)


async def test_health_reports_the_backend_and_ok(backend: Backend, log: RoomLog) -> None:
    await log.head(room_id())
    assert log.health() == {"backend": backend.name.split("-")[0], "ok": True, "error": None}


@pytest.mark.redis
async def test_redis_read_below_the_retained_window_is_trimmed(redis_log_url: str) -> None:
    log = open_log(redis_log_url)
    await log.start()
    room = room_id()
    await append(log, room, 0, [ev("e.n")] * 6, None, {})
    prefix = redis_log_url.split("prefix=", 1)[1]
    client = Redis.from_url(redis_log_url.split("?", 1)[0])
    # As if an operator trimmed the stream by age: records 1..3 are gone.
    await client.xtrim(f"{prefix}{{room:{room}}}:log", minid="0-4", approximate=False)
    await client.aclose()
    try:
        for after in (0, 2):
            with pytest.raises(Trimmed):
                await log.read(room, after)
        assert [r.seq for r in await log.read(room, 3)] == [4, 5, 6]
        assert await log.head(room) == 6
    finally:
        await log.close()


async def test_retire_keeps_the_log_readable_until_redis_lets_it_expire(
    backend: Backend, log: RoomLog, request: pytest.FixtureRequest
) -> None:
    room = room_id()
    await append(log, room, 0, [ev("e.n"), ev("e.m")], "u:1", {})
    await log.retire(room, 3600)
    # Nothing changes at once: late reconnects still replay the whole session.
    assert [r.seq for r in await log.read(room, 0)] == [1, 2]
    assert await lookup(log, room, "u:1") is not None
    if backend.name != "redis":
        return  # the embedded log is its own durable copy: kept
    assert isinstance(log, RedisLog)
    url: str = request.getfixturevalue("redis_log_url")
    client = Redis.from_url(url.split("?", 1)[0])
    try:
        for part in ("log", "cmd", "epoch"):
            ttl = await client.ttl(log._key(room, part))
            assert 3500 < ttl <= 3600, part
    finally:
        await client.aclose()


@pytest.mark.redis
async def test_redis_keys_of_a_room_never_outlive_its_stream(redis_log_url: str) -> None:
    """An epoch id read for an empty room is provisional (it expires); the first append
    makes it permanent; after ``retire``, keys an append creates take the stream's TTL."""
    log = open_log(redis_log_url)
    await log.start()
    assert isinstance(log, RedisLog)
    client = Redis.from_url(redis_log_url.split("?", 1)[0])
    room = room_id()
    try:
        epoch = await log.epoch(room)
        assert 0 < await client.ttl(log._key(room, "epoch")) <= 86_400
        await append(log, room, 0, [ev("e.n")], None, {})
        assert await client.ttl(log._key(room, "epoch")) == -1  # live: kept
        assert await log.epoch(room) == epoch
        await log.retire(room, 600)
        # A late command after the archive creates the command hash: it expires too.
        await append(log, room, 1, [ev("e.late")], "u:late", {})
        await log.append_batch(room, 2, [BatchEntry((ev("e.b"),), "u:batch", {})])
        for part in ("log", "cmd", "epoch"):
            assert 500 < await client.ttl(log._key(room, part)) <= 600, part
        # Once the keys are gone, reading the epoch again leaves only a provisional id.
        await client.delete(*(log._key(room, part) for part in ("log", "cmd", "epoch")))
        assert await log.epoch(room) != epoch
        assert 0 < await client.ttl(log._key(room, "epoch")) <= 86_400
    finally:
        await client.aclose()
        await log.close()

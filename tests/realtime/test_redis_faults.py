"""The Redis log under Redis failures, against a PRIVATE redis-server.

The shared server at 6379 is used by other test runs, so it is never restarted: each
test starts its own ``redis-server`` on a free port with ``appendfsync always`` (every
acknowledged write is on disk before the reply) and kills it with SIGKILL mid-load.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from realtime.engine import Engine, Principal
from realtime.fanout import Outbox, Traffic
from realtime.log import Committed, LogUnavailable, NewEvent, Record, RoomLog
from realtime.log.redis.log import RedisLog
from tests.realtime.appends import append, lookup
from tests.realtime.redis_private import PrivateRedis
from tests.realtime.toy import ToyDomain

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(tmp_path, "faults:")
    await server.start()
    yield server
    await server.kill()


async def eventually(check: Callable[[], bool], what: str, wait: float = 30.0) -> None:
    for _ in range(int(wait / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


class Opener:
    """Opens worker logs on the private Redis and closes them all, pass or fail."""

    def __init__(self, server: PrivateRedis) -> None:
        self.server = server
        self.logs: list[RedisLog] = []

    async def __call__(self, count: int, op_timeout: float = 20.0) -> list[RedisLog]:
        url = f"{self.server.url}&op_timeout={op_timeout}"
        logs = [RedisLog.from_url(url) for _ in range(count)]
        for log in logs:
            await log.start()
        self.logs.extend(logs)
        return logs


@pytest.fixture
async def opened(private_redis: PrivateRedis) -> AsyncIterator[Opener]:
    opener = Opener(private_redis)
    yield opener
    for log in opener.logs:
        await log.close()


def ev(name: str) -> NewEvent:
    return NewEvent(name, {}, datetime(2026, 11, 25, 15, tzinfo=UTC))


async def append_with_retry(log: RoomLog, room: str, key: str) -> Committed:
    head = await log.head(room)
    while True:
        outcome = await append(log, room, head, [ev("e.n"), ev("e.m")], key, {"key": key})
        if isinstance(outcome, Committed):
            return outcome
        head = outcome.head


async def follow(log: RoomLog, room: str, seen: list[Record]) -> None:
    """A worker's reader: wake on watch, read from its own last seq, never skip or repeat."""
    async for head in log.watch(room):
        last = seen[-1].seq if seen else 0
        if head <= last:
            continue
        for record in await log.read(room, last):
            assert record.seq == last + 1, f"gap or repeat: {last} then {record.seq}"
            seen.append(record)
            last = record.seq


async def test_a_redis_restart_during_load_loses_nothing_and_repeats_nothing(
    private_redis: PrivateRedis, opened: Opener
) -> None:
    workers = await opened(3)
    room = "busy"
    acked: list[Committed] = []
    stop = asyncio.Event()

    async def appender(n: int) -> None:
        i = 0
        while not stop.is_set():
            acked.append(await append_with_retry(workers[n % 3], room, f"a{n}:{i}"))
            i += 1

    seen: list[list[Record]] = [[], []]
    readers = [asyncio.create_task(follow(workers[i + 1], room, seen[i])) for i in (0, 1)]
    appenders = [asyncio.create_task(appender(n)) for n in range(3)]

    await eventually(lambda: len(acked) > 300, "appends before the restart")
    await private_redis.kill()
    before = len(acked)
    await eventually(lambda: not any(w.health()["ok"] for w in workers), "health shows the outage")
    assert all(w.health()["error"] for w in workers)
    await asyncio.sleep(0.3)  # appenders and readers keep retrying meanwhile
    assert len(acked) <= before + 3  # at most the replies already in flight
    await private_redis.start()
    await eventually(lambda: len(acked) > before + 300, "appends after the restart")
    stop.set()
    await asyncio.wait_for(asyncio.gather(*appenders), 30)

    records = await workers[0].read(room, 0)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    causes = [r.cause for r in records[::2]]
    assert len(set(causes)) == len(causes) == len(records) // 2  # each command once
    assert {c.records[0].cause for c in acked} == set(causes)  # every ack is in the log
    for done in acked:
        assert records[done.records[0].seq - 1 : done.records[-1].seq] == list(done.records)

    await eventually(lambda: all(len(s) == len(records) for s in seen), "readers catch up")
    assert seen[0] == seen[1] == records
    await eventually(lambda: all(w.health()["ok"] for w in workers), "health recovers")
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


async def test_a_wake_up_published_while_a_watcher_reconnects_is_not_lost(
    private_redis: PrivateRedis, opened: Opener
) -> None:
    writer, reader = await opened(2)
    heads = reader.watch("quiet")
    assert await asyncio.wait_for(anext(heads), 5) == 0
    await private_redis.kill()
    await private_redis.start()
    # The reader's subscription may not be back yet: this publish can be lost to it.
    assert isinstance(await append(writer, "quiet", 0, [ev("e.n")], None, {}), Committed)
    assert await asyncio.wait_for(anext(heads), 10) == 1
    assert isinstance(heads, AsyncGenerator)
    await heads.aclose()


async def test_a_trim_missed_during_an_outage_still_resets_the_watcher(
    private_redis: PrivateRedis, opened: Opener
) -> None:
    writer, reader = await opened(2)
    await append(writer, "reused", 0, [ev("e.n")] * 5, None, {})
    heads = reader.watch("reused")
    assert await asyncio.wait_for(anext(heads), 5) == 5
    await private_redis.kill()
    await private_redis.start()
    await writer.trim("reused")
    await append(writer, "reused", 0, [ev("e.n")] * 2, None, {})
    got = [await asyncio.wait_for(anext(heads), 10)]
    while got[-1] != 2:
        got.append(await asyncio.wait_for(anext(heads), 10))
    assert got[0] == 0  # the reset is never coalesced away (a race may add a spare 0)
    assert set(got) == {0, 2}
    assert isinstance(heads, AsyncGenerator)
    await heads.aclose()


async def test_a_lasting_outage_fails_loudly_and_is_on_health(
    private_redis: PrivateRedis, opened: Opener
) -> None:
    (log,) = await opened(1, op_timeout=0.5)
    assert await log.head("r") == 0
    await private_redis.kill()
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: append(log, "r", 0, [ev("e.n")], "k", {}),
        lambda: log.read("r", 0),
    ]
    for attempt in attempts:
        with pytest.raises(LogUnavailable):
            await attempt()
    assert log.health()["ok"] is False
    assert "ConnectionError" in str(log.health()["error"])
    await private_redis.start()
    assert isinstance(await append(log, "r", 0, [ev("e.n")], "k", {}), Committed)
    await eventually(lambda: log.health()["ok"] is True, "health recovers")


async def test_scripts_are_reloaded_after_the_script_cache_is_flushed(
    private_redis: PrivateRedis, opened: Opener
) -> None:
    (log,) = await opened(1)
    await append(log, "s", 0, [ev("e.n")], "k1", {})
    admin = Redis(port=private_redis.port)
    await admin.script_flush()
    await admin.aclose()
    done = await append(log, "s", 1, [ev("e.n")], "k2", {})
    assert isinstance(done, Committed)
    assert [r.seq for r in done.records] == [2]
    assert await lookup(log, "s", "k1") is not None


async def test_a_full_redis_refuses_appends_loudly(
    private_redis: PrivateRedis, opened: Opener
) -> None:
    (log,) = await opened(1)
    admin = Redis(port=private_redis.port)
    used = int((await admin.info("memory"))["used_memory"])
    await admin.config_set("maxmemory-policy", "noeviction")
    await admin.config_set("maxmemory", str(used + 1_000_000))
    big = NewEvent("e.n", {"blob": "x" * 100_000}, datetime(2026, 11, 25, 15, tzinfo=UTC))
    head = 0
    refused: ResponseError | None = None
    while refused is None and head < 100:
        try:
            assert isinstance(await append(log, "full", head, [big], None, {}), Committed)
            head += 1
        except ResponseError as exc:
            refused = exc
    assert "maxmemory" in str(refused)
    assert log.health()["ok"] is False
    assert "maxmemory" in str(log.health()["error"])
    assert await log.head("full") == head  # nothing half-written
    await log.trim("full")  # trim frees memory, so it runs even on a full Redis
    head = 0
    await admin.config_set("maxmemory", "0")
    await admin.aclose()
    assert isinstance(await append(log, "full", head, [ev("e.n")], None, {}), Committed)
    assert log.health()["ok"] is True


async def test_a_leave_during_an_outage_is_recorded_once_redis_is_back(
    private_redis: PrivateRedis, opened: Opener
) -> None:
    (log,) = await opened(1, op_timeout=0.5)
    eng = Engine(log, ToyDomain())

    async def nothing(*_: object) -> None: ...

    member = Principal("main", "p1", "public", True, {}, None)
    box = Outbox(nothing, nothing, 1 << 20, Traffic())
    try:
        await eng.attach(member, box, None)
        assert (await eng.state("main")).members == {"p1"}
        await private_redis.kill()
        await eng.detach(member, box)  # the leave cannot be written now: it is kept
        assert eng.states()["main"].members == {"p1"}
        await private_redis.start()
        await eventually(lambda: not eng.states()["main"].members, "the retried leave")
        names = [r.name for r in await log.read("main", 0)]
        assert names == ["member.joined", "member.left"]  # once, in order
    finally:
        await eng.close()

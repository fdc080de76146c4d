"""Unloading an idle room from a worker: never while it is in use, and nothing lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from realtime.engine import Engine, Principal
from realtime.hub import Metrics, Outbox
from realtime.log import RoomLog, open_log
from tests.realtime.toy import ToyDomain, ToyState


@pytest.fixture
async def engine() -> AsyncIterator[tuple[RoomLog, Engine[ToyState]]]:
    log = open_log("memory://")
    await log.start()
    made = Engine(log, ToyDomain(), presence_interval=3600.0)
    await made.start()
    yield log, made
    await made.close()
    await log.close()


def who(n: int) -> Principal:
    return Principal("main", f"p{n}", "public", True, {}, None)


def outbox() -> Outbox:
    async def send(text: str) -> None: ...

    async def close(code: int, reason: str) -> None: ...

    return Outbox(send, close, 1 << 20, Metrics())


async def test_a_room_in_use_stays_and_an_idle_one_reloads_from_the_log(
    engine: tuple[RoomLog, Engine[ToyState]],
) -> None:
    log, eng = engine
    assert not await eng.unload("main")  # not held at all
    await eng.execute(who(1), "counter.add", {"n": 3}, "p1:a")
    box = outbox()
    await eng.attach(who(2), box, None)
    assert not await eng.unload("main")  # someone is connected here
    await eng.detach(who(2), box)
    head = (await log.read("main", 0))[-1].seq
    assert await eng.unload("main")
    assert "main" not in eng.states()
    assert eng.counts("main") == {}
    # The next command loads it again, from the log: the total and the seq go on.
    seq, result = await eng.execute(who(1), "counter.add", {"n": 4}, "p1:b")
    assert seq == head + 1
    assert result == {"total": "7"}
    assert (await eng.state("main")).total == 7
    # A resend of a command from before the unload is still recognised as applied.
    again = await eng.execute(who(1), "counter.add", {"n": 3}, "p1:a")
    assert (await eng.state("main")).total == 7
    assert again[0] < seq


async def test_not_while_a_command_is_queued(engine: tuple[RoomLog, Engine[ToyState]]) -> None:
    _, eng = engine
    await eng.state("main")
    task = asyncio.ensure_future(eng.execute(who(1), "counter.add", {"n": 1}, "p1:q"))
    await asyncio.sleep(0)  # queued on the room's batcher, not committed yet
    assert not await eng.unload("main")
    await task
    assert (await eng.state("main")).total == 1
    for _ in range(10):  # the batcher's drainer ends a step after its last answer
        if await eng.unload("main"):
            break
        await asyncio.sleep(0)
    assert "main" not in eng.states()

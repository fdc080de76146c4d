"""A room as a worker holds it across its life: unloaded when idle (never while in use,
nothing lost), rebuilt when its log starts a new epoch."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from realtime.engine import Engine, Principal
from realtime.fanout import Outbox, Traffic
from realtime.log import NewEvent, RoomLog
from realtime.server import open_log
from tests.realtime.appends import append
from tests.realtime.toy import Recording, ToyDomain, ToyState


@pytest.fixture
async def engine() -> AsyncIterator[tuple[RoomLog, Engine[ToyState]]]:
    log = open_log("memory://")
    await log.start()
    made = Engine(log, ToyDomain())
    yield log, made
    await made.close()
    await log.close()


def who(n: int) -> Principal:
    return Principal("main", f"p{n}", "public", True, {}, None)


def outbox() -> Outbox:
    async def send(text: str) -> None: ...

    async def close(code: int, reason: str) -> None: ...

    return Outbox(send, close, 1 << 20, Traffic())


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


async def test_a_new_epoch_reaches_a_connection_as_resync_then_snapshot_never_as_events(
    engine: tuple[RoomLog, Engine[ToyState]],
) -> None:
    log, eng = engine
    await eng.execute(who(1), "counter.add", {"n": 3}, "p1:a")
    box = Recording()
    await eng.attach(who(2), box, None)
    before = len(box.pushed)
    await log.trim("main")  # as after an archive: another worker reuses the room
    await append(
        log,
        "main",
        0,
        [
            NewEvent(
                "counter.added", {"total": 5, "by": "p9"}, datetime(2026, 11, 25, 15, tzinfo=UTC)
            )
        ],
        None,
        {},
    )
    for _ in range(200):
        if any('"resync"' in text for text in box.pushed[before:]):
            break
        await asyncio.sleep(0.01)
    after = [json.loads(f"[{text}]") for text in box.pushed[before:]]
    kinds = [m["type"] for chunk in after for m in chunk]
    assert kinds[:2] == ["resync", "welcome"]  # nothing of the new epoch before them
    welcome = after[1][0]
    assert welcome["seq"] == 1
    assert welcome["snapshot"]["total"] == 5


class BrokenWelcome(ToyDomain):
    """A domain whose snapshot fails (as a bug would), after the join is in the log."""

    def snapshot(self, state: ToyState, principal: Principal) -> dict[str, object]:
        raise RuntimeError("snapshot failed")


async def test_an_attach_that_fails_after_its_join_leaves_nothing_behind() -> None:
    log = open_log("memory://")
    await log.start()
    eng = Engine(log, BrokenWelcome())
    try:
        box = outbox()
        with pytest.raises(RuntimeError):
            await eng.attach(who(2), box, None)
        assert eng.counts("main") == {"public": 0}  # not registered: no leaked outbox
        for _ in range(200):  # the leave comes from the background retries (first: 0.5 s)
            if not (await eng.state("main")).members:
                break
            await asyncio.sleep(0.01)
        assert [r.name for r in await log.read("main", 0)] == ["member.joined", "member.left"]
        assert await eng.unload("main")  # nothing holds the room any more
    finally:
        await eng.close()
        await log.close()

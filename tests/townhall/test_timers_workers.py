"""Timers across workers: every agenda, turn and poll deadline takes effect exactly once,
whichever of the three workers fires it, and still fires when the worker whose client
set it up is killed. Counted in the room log itself and in what every client received;
how late they fire is a benchmark figure (bench/vote_storm.py), never asserted here."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import Counter
from pathlib import Path

import pytest

from realtime.client import Client
from realtime.log import Record
from realtime.server import open_log
from tests import services
from tests.townhall.scripted import (
    Town,
    call,
    close_all,
    connect,
    create_town,
    reconnect,
    seen,
    until,
    worker_env,
    you,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow]

# Past the last deadline, long enough for every worker to have had its chance to fire
# it again (clock ticks are 0.2 s; a worker retries a due deadline after 1 s).
SETTLE_S = 1.5
QUICK_POLL = {"question": "Quick?", "kind": "yes_no_abstain", "duration_s": 1}


async def _log(url: str, room: str) -> list[Record]:
    log = open_log(url)
    await log.start()
    try:
        return await log.read(room, 0)
    finally:
        # Bounded: a close that misses its cancellation must not hang the run.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(log.close(), 10)


def _timer_events(records: list[Record]) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for r in records:
        if r.name == "agenda.overran":
            counts[("agenda", str(r.data["item"]))] += 1
        elif r.name == "turn.overran":
            counts[("turn", str(r.data["turn"]))] += 1
        elif r.name == "poll.closed":
            counts[("poll", str(r.data["poll"]))] += 1
        elif r.name == "floor.granted" and r.data["by"] == "system":
            counts[("advance", str(r.data["turn"]))] += 1
    return counts


def _seen(client: Client, name: str) -> int:
    return sum(e["name"] == name for e in client.history)


def _all_fired(client: Client, turns: int) -> bool:
    return (
        _seen(client, "turn.overran") >= turns
        and _seen(client, "agenda.overran") >= 1
        and _seen(client, "poll.closed") >= 1
    )


async def _room(base: str) -> Town:
    return await create_town(
        base,
        "Timers",
        [("Short item", 1), ("Next item", 600)],
        settings={"turn_s": 1, "auto_advance": True},
    )


async def test_each_deadline_fires_once_across_three_workers(
    worker_pool: services.WorkerPool, redis_log_url: str, tmp_path: Path
) -> None:
    env = worker_env(f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}", redis_log_url)
    workers = await asyncio.to_thread(worker_pool.start, 3, env)
    town = await _room(workers[0].url)
    f = await connect(workers[0].ws_url, town.token("facilitator"), "Facilitator")
    a = await connect(workers[1].ws_url, town.token("participant"), "Ana")
    b = await connect(workers[2].ws_url, town.token("participant"), "Bo")
    o = await connect(workers[2].ws_url, town.token("observer"))
    clients = [f, a, b, o]
    try:
        item = f.welcome["snapshot"]["agenda"]["items"][0]["id"]
        await call(f, "session.start")
        await call(f, "agenda.start", {"item": item})
        await call(a, "hand.raise", {"kind": "speak"})
        await call(b, "hand.raise", {"kind": "speak"})
        await seen(f, "hand.raised", 2)
        await call(f, "floor.grant")  # Ana; at her deadline the floor passes to Bo
        poll = (await call(f, "poll.create", QUICK_POLL))["result"]["poll"]
        await call(f, "poll.open", {"poll": poll})
        for client in clients:
            await until(
                functools.partial(_all_fired, client, 2), "every deadline to reach every client"
            )
        await asyncio.sleep(SETTLE_S)
        expected = {
            ("agenda", item): 1,
            ("turn", "1"): 1,
            ("turn", "2"): 1,
            ("advance", "2"): 1,
            ("poll", poll): 1,
        }
        assert _timer_events(await _log(redis_log_url, town.id)) == expected
        for client in clients:
            assert (_seen(client, "turn.overran"), _seen(client, "agenda.overran")) == (2, 1)
            assert _seen(client, "poll.closed") == 1
        assert f.gaps == 0
        granted = [e["data"]["participant"] for e in f.history if e["name"] == "floor.granted"]
        assert granted == [you(a), you(b)]
    finally:
        await close_all(clients)


async def test_deadlines_fire_after_the_worker_that_set_them_dies(
    worker_pool: services.WorkerPool, redis_log_url: str, tmp_path: Path
) -> None:
    env = worker_env(f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}", redis_log_url)
    workers = await asyncio.to_thread(worker_pool.start, 3, env)
    town = await _room(workers[0].url)
    f = await connect(workers[0].ws_url, town.token("facilitator"), "Facilitator")
    a = await connect(workers[1].ws_url, town.token("participant"), "Ana")
    o = await connect(workers[2].ws_url, town.token("observer"))
    try:
        item = f.welcome["snapshot"]["agenda"]["items"][0]["id"]
        await call(f, "session.start")
        await call(f, "agenda.start", {"item": item})
        await call(a, "hand.raise", {"kind": "speak"})
        await seen(f, "hand.raised")
        await call(f, "floor.grant")
        created = await call(f, "poll.create", QUICK_POLL)
        await call(f, "poll.open", {"poll": created["result"]["poll"]})
        workers[0].kill()  # the facilitator's worker, before any of the three deadlines
        for client in (a, o):
            await until(
                functools.partial(_all_fired, client, 1),
                "the deadlines to fire on the surviving workers",
            )
        await asyncio.sleep(SETTLE_S)
        counts = _timer_events(await _log(redis_log_url, town.id))
        assert counts == {
            ("agenda", item): 1,
            ("turn", "1"): 1,
            ("poll", created["result"]["poll"]): 1,
        }
        # The facilitator comes back on another worker and finds them in the log.
        await reconnect(f, workers[1].ws_url)
        await until(lambda: f.seq >= a.seq, "the facilitator to catch up")
        assert f.gaps == 0
    finally:
        await close_all([f, a, o])


async def test_deadline_fires_when_the_only_worker_holding_the_room_dies(
    worker_pool: services.WorkerPool, redis_log_url: str, tmp_path: Path
) -> None:
    env = worker_env(f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}", redis_log_url)
    workers = await asyncio.to_thread(worker_pool.start, 2, env)
    town = await _room(workers[0].url)
    f = await connect(workers[0].ws_url, town.token("facilitator"), "Facilitator")
    try:
        item = f.welcome["snapshot"]["agenda"]["items"][0]["id"]
        await call(f, "session.start")
        await call(f, "agenda.start", {"item": item})
        workers[0].kill()
        await reconnect(f, workers[1].ws_url)  # the room is loaded on the survivor now
        await until(lambda: _seen(f, "agenda.overran") >= 1, "the agenda deadline")
        await asyncio.sleep(SETTLE_S)
        assert _timer_events(await _log(redis_log_url, town.id)) == {("agenda", item): 1}
    finally:
        await f.close()

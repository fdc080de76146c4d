"""Three worker processes sharing Redis: one order for everyone, and kill -9 of a worker."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from realtime.client import Client
from realtime.log import Record, open_log
from tests.realtime.conftest import Workers

pytestmark = [pytest.mark.slow, pytest.mark.redis]

CLIENTS = 300
PER_CLIENT = 10
OPTIONS = {"rate": 1000.0, "burst": 1000, "presence_interval": 0.5}


def _wire(cause: str | None) -> str | None:
    """Events carry the client's command id; the log keeps it scoped by the sender."""
    return cause.rpartition(":")[2] if cause is not None else None


async def _connect_all(urls: list[str]) -> list[Client]:
    # full event lists on a few clients per worker; (seq, cause) traces on all of them
    clients = [
        Client(urls[i % len(urls)], "participant@main", keep_history=i < 9) for i in range(CLIENTS)
    ]
    for start in range(0, CLIENTS, 50):
        await asyncio.gather(*(c.connect() for c in clients[start : start + 50]))
    return clients


async def _drive(client: Client, alive: Callable[[], list[str]]) -> list[dict[str, Any]]:
    """Send this client's commands at once; on a dropped socket resume elsewhere, resend."""
    futures = [client.send("counter.add", {"n": 1}) for _ in range(PER_CLIENT)]
    everything = asyncio.gather(*futures)
    while True:
        closed = asyncio.ensure_future(client.wait_closed(within=600))
        waiters: set[asyncio.Future[Any]] = {everything, closed}
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        if everything in done:
            return everything.result()
        others = [u for u in alive() if u != client.url]
        await client.reconnect(others[hash(client) % len(others)])


async def _settle(clients: list[Client], head: int) -> None:
    for _ in range(6000):
        if all(c.seq >= head for c in clients):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("events did not reach every client")


async def _check(group: Workers, clients: list[Client], acks: list[list[dict[str, Any]]]) -> None:
    head = max(a["seq"] for per in acks for a in per)
    await _settle(clients, head)
    log = open_log(group.log_url)
    await log.start()
    try:
        records: list[Record] = await log.read("main", 0)
    finally:
        await log.close()
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    by_seq = {r.seq: r for r in records}
    causes = Counter(r.cause for r in records if r.cause is not None)
    for client, per in zip(clients, acks, strict=True):
        key = client.welcome["you"]["participant"]
        for ack in per:
            cause = f"{key}:{ack['id']}"
            assert causes[cause] == 1, "an acked command must be in the log exactly once"
            assert by_seq[ack["seq"]].cause == cause
        # gapless, no duplicate, and exactly the log's own order
        assert client.gaps == 0
        assert client.resyncs == 0
        seqs = [seq for seq, _ in client.trace]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert all(_wire(by_seq[seq].cause) == cause for seq, cause in client.trace)
        for event in client.history:
            record = by_seq[event["seq"]]
            assert (event["name"], event["data"], event["cause"]) == (
                record.name,
                record.data,
                _wire(record.cause),
            )
    assert sum(r.name == "counter.added" for r in records) == CLIENTS * PER_CLIENT
    assert max(r.data["total"] for r in records if r.name == "counter.added") == 3000


async def test_three_workers_share_one_order(workers: Callable[..., Workers]) -> None:
    group = workers(**OPTIONS)
    urls = group.start(3)
    clients = await _connect_all(urls)
    try:
        acks = await asyncio.gather(*(_drive(c, lambda: urls) for c in clients))
        await _check(group, clients, acks)
    finally:
        await asyncio.gather(*(c.close() for c in clients))


async def test_kill_9_of_a_worker_loses_and_repeats_nothing(
    workers: Callable[..., Workers],
) -> None:
    group = workers(**OPTIONS)
    urls = group.start(3)
    alive = list(urls)
    clients = await _connect_all(urls)
    try:
        drivers = asyncio.gather(*(_drive(c, lambda: alive) for c in clients))
        # kill a worker once a quarter of the commands are acked (all of them are sent)
        for _ in range(60_000):
            outstanding = sum(len(c.pending) for c in clients)
            if 0 < outstanding <= CLIENTS * PER_CLIENT * 3 // 4:
                break
            await asyncio.sleep(0.01)
        # kill the worker whose clients have the most commands in flight
        pending = {u: sum(len(c.pending) for c in clients if c.url == u) for u in urls}
        victim = max(urls, key=pending.__getitem__)
        theirs = [c for c in clients if c.url == victim]
        alive.remove(victim)
        group.kill(victim)
        acks = await asyncio.wait_for(drivers, 600)  # bounded only against a hang
        assert pending[victim] > 0  # it died with commands of its clients in flight
        assert all(c.url != victim for c in theirs)  # they all moved to the others
        await _check(group, clients, acks)
    finally:
        await asyncio.gather(*(c.close() for c in clients))

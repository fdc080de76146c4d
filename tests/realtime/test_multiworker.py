"""Three worker processes sharing Redis: one order for everyone, and kill -9 of a worker."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from realtime.client import Client, ClientError
from realtime.log import Record
from realtime.server import open_log
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
    # open_timeout: websockets gives a handshake 10 s; 50 at once on a busy 2-core machine
    # (other test processes alongside, load 31) took longer. Bounded, as every wait here.
    clients = [
        Client(urls[i % len(urls)], "participant@main", keep_history=i < 9, open_timeout=60)
        for i in range(CLIENTS)
    ]
    for start in range(0, CLIENTS, 50):
        await asyncio.gather(*(c.connect() for c in clients[start : start + 50]))
    return clients


async def _drive(client: Client, alive: Callable[[], list[str]]) -> list[dict[str, Any]]:
    """Send this client's commands at once; on a dropped socket resume elsewhere, resend.

    Besides the counted commands: the first one is sent twice with the same id (a resend
    while the original may still be queued, in a batch, or applied), and two claims of
    which the second must be refused on the state the first left, even when both are
    decided in one batch. Returns the acks of the counted commands.
    """
    futures = [client.send("counter.add", {"n": 1}) for _ in range(PER_CLIENT)]
    first = next(iter(client.pending))
    await client.send_raw(json.dumps({"type": "counter.add", "id": first, "data": {"n": 1}}))
    claims = [client.send("once.claim") for _ in range(2)]
    everything = asyncio.gather(*futures, *claims, return_exceptions=True)
    while True:
        closed = asyncio.ensure_future(client.wait_closed(within=600))
        waiters: set[asyncio.Future[Any]] = {everything, closed}
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        if everything in done:
            *acks, claimed, again = everything.result()
            assert isinstance(claimed, dict), claimed
            assert isinstance(again, ClientError), again
            assert again.code == "already_claimed"
            return [ack for ack in acks if isinstance(ack, dict)]
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
        # (events after the read, e.g. presence, are not compared)
        seen = [(seq, cause) for seq, cause in client.trace if seq in by_seq]
        assert all(_wire(by_seq[seq].cause) == cause for seq, cause in seen)
        for event in (e for e in client.history if e["seq"] in by_seq):
            record = by_seq[event["seq"]]
            assert (event["name"], event["data"], event["cause"]) == (
                record.name,
                record.data,
                _wire(record.cause),
            )
    assert sum(len(per) for per in acks) == CLIENTS * PER_CLIENT  # every one was acked
    assert sum(r.name == "counter.added" for r in records) == CLIENTS * PER_CLIENT
    claims = Counter(r.data["who"] for r in records if r.name == "once.claimed")
    assert sorted(claims.values()) == [1] * CLIENTS
    assert max(r.data["total"] for r in records if r.name == "counter.added") == 3000


@pytest.mark.parametrize("backend", ["redis", "redis-cluster"])
async def test_three_workers_share_one_order(
    workers: Callable[..., Workers], backend: str, request: pytest.FixtureRequest
) -> None:
    group = workers(**OPTIONS)
    if backend == "redis-cluster":  # a real 3-master Redis Cluster (redis+cluster://)
        group.redis = request.getfixturevalue("redis_cluster").url
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
        # Freeze a worker as soon as its first acks are out: with group commit it gets
        # through its clients' commands in a few batches, so it must be caught early.
        # Frozen first, so which of its clients still wait for acks is known when it dies.
        victim = urls[0]
        theirs = [c for c in clients if c.url == victim]
        for _ in range(600_000):
            if any(len(c.pending) < PER_CLIENT + 2 for c in theirs):
                break
            await asyncio.sleep(0.001)
        group.freeze(victim)
        await asyncio.sleep(0.3)  # acks it wrote before freezing reach their clients
        stranded = [c for c in clients if c.url == victim and c.pending]
        alive.remove(victim)
        group.kill(victim)
        acks = await asyncio.wait_for(drivers, 600)  # bounded only against a hang
        assert stranded  # it died with commands of its clients in flight
        assert all(c.url != victim for c in stranded)  # they all moved to the others
        await _check(group, clients, acks)
    finally:
        await asyncio.gather(*(c.close() for c in clients))

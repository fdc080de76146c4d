"""Redis restarted under load behind real workers: service resumes, no gap, no duplicate.

Three toy-app worker processes share a PRIVATE redis-server (AOF, ``appendfsync
always``); thirty clients spread over them send counter commands one at a time. Once a
third of the commands are acked, Redis is killed with SIGKILL. While it is down every
worker's /health answers 503 "degraded", commands fail with ``unavailable`` after the
log's ``op_timeout`` and are resent with the same id, and a few clients drop their
socket and try to resume on another worker (refused until the log is back). Redis then
starts again on the same port and directory, replays its AOF, and the load finishes.
Every client must then hold exactly the log's events, gapless, without duplicates and
in one order, and every acked command must be in the log exactly once.

A second test checks that a presence change the worker could not record during an
outage is recorded once the log is back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from realtime.client import Client, ClientError, Disconnected
from realtime.log import Record
from realtime.server import open_log
from tests.realtime.conftest import ServeFn, Workers
from tests.realtime.redis_private import PrivateRedis

pytestmark = [pytest.mark.redis, pytest.mark.slow]

WORKERS = 3
CLIENTS = 30
PER_CLIENT = 20
MOVERS = 3  # clients that drop their socket during the outage (one per worker)
OPTIONS: dict[str, Any] = {"rate": 1000.0, "burst": 1000, "presence_interval": 3600.0}
# Short, so that commands caught by the outage come back as `unavailable` (and are
# resent by id) instead of waiting inside the worker for the default 30 s.
OP_TIMEOUT = 1.0
PACE = 0.01  # between two commands of one client: keeps commands flowing past the kill
RETRY = 0.1  # before resending a command refused as `unavailable`


@dataclass
class Load:
    acked: int = 0
    unavailable: int = 0
    refused_resumes: int = 0


def _wire(cause: str | None) -> str | None:
    """Events carry the client's command id; the log keeps it scoped by the sender."""
    return cause.rpartition(":")[2] if cause is not None else None


async def _drive(client: Client, index: int, load: Load) -> list[dict[str, Any]]:
    """One command at a time; one refused as `unavailable` is resent with the same id."""
    acks: list[dict[str, Any]] = []
    for i in range(PER_CLIENT):
        id = f"n{index}-{i}"
        while True:
            try:
                # bounded only against a hang; a dropped socket resends it on reconnect
                ack = await asyncio.wait_for(client.send("counter.add", {"n": 1}, id=id), 60)
            except ClientError as exc:
                if exc.code != "unavailable":  # only the outage may refuse a command
                    raise
                load.unavailable += 1
                await asyncio.sleep(RETRY)
                continue
            break
        acks.append(ack)
        load.acked += 1
        await asyncio.sleep(PACE)
    return acks


async def _move(client: Client, url: str, load: Load) -> None:
    """Drop the socket and resume on ``url``, retrying while the log refuses the join."""
    for _ in range(300):
        try:
            await client.reconnect(url)
            return
        except (ClientError, Disconnected, ConnectionClosed, OSError):
            load.refused_resumes += 1
            await asyncio.sleep(0.1)
    raise AssertionError("the client never resumed")


async def _health(http: httpx.AsyncClient, url: str) -> tuple[int, str]:
    port = url.rsplit(":", 1)[1].split("/", 1)[0]
    try:
        response = await http.get(f"http://127.0.0.1:{port}/health")
    except httpx.HTTPError as exc:
        return 0, repr(exc)
    body = response.json()
    if body["status"] == "ok" and body["realtime"].get("retries_pending"):
        # A leave the outage refused is still being retried: it will append later.
        return response.status_code, "retrying"
    return response.status_code, str(body["status"])


async def _every_health(
    http: httpx.AsyncClient, urls: list[str], want: tuple[int, str], what: str
) -> None:
    got: list[tuple[int, str]] = []
    for _ in range(600):  # bounded: ~30 s and more (a retry waits up to 10 s)
        got = list(await asyncio.gather(*(_health(http, url) for url in urls)))
        if all(answer == want for answer in got):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}; /health answered {got}")


async def _eventually(check: Any, what: str, wait: float = 20.0) -> None:
    for _ in range(int(wait / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def _settled_log(url: str, clients: list[Client]) -> list[Record]:
    """The room's records once every client has received up to the log's head."""
    log = open_log(url)
    await log.start()
    try:
        for _ in range(600):  # bounded: ~30 s and more
            head = await log.head("main")
            if all(c.seq == head for c in clients):
                return await log.read("main", 0)
            await asyncio.sleep(0.05)
        # per worker: a worker whose watcher stopped leaves all its clients behind
        behind = sorted({(c.url, c.seq) for c in clients if c.seq != head})
        raise AssertionError(f"the log's head is {head}; clients behind: {behind}")
    finally:
        await log.close()


def _check(records: list[Record], clients: list[Client], acks: list[list[dict[str, Any]]]) -> None:
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    by_seq = {r.seq: r for r in records}
    causes = Counter(r.cause for r in records if r.cause is not None)
    for client, per in zip(clients, acks, strict=True):
        key = client.welcome["you"]["participant"]
        for ack in per:
            cause = f"{key}:{ack['id']}"
            assert causes[cause] == 1, "an acked command must be in the log exactly once"
            assert by_seq[ack["seq"]].cause == cause
        # Gapless, no duplicate (across the resume of the movers), the log's own events.
        assert client.gaps == 0
        assert client.resyncs == 0  # the epoch survived the restart: resumed by replay
        seqs = [event["seq"] for event in client.history]
        assert seqs == list(range(seqs[0], len(records) + 1))
        for event in client.history:
            record = by_seq[event["seq"]]
            assert (event["name"], event["data"], event["cause"]) == (
                record.name,
                record.data,
                _wire(record.cause),
            )
    # One order: from the latest first event on, every client holds the same list.
    common = max(c.history[0]["seq"] for c in clients)
    views = [[e for e in c.history if e["seq"] >= common] for c in clients]
    assert all(view == views[0] for view in views)
    added = [r for r in records if r.name == "counter.added"]
    assert len(added) == CLIENTS * PER_CLIENT  # no command applied twice, none lost
    assert max(r.data["total"] for r in added) == CLIENTS * PER_CLIENT


async def test_a_redis_restart_under_load_behind_workers_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    redis = PrivateRedis(tmp_path, f"restart-{uuid.uuid4().hex[:10]}:")
    await redis.start()
    group = Workers(redis.prefix, OPTIONS, redis=f"{redis.address}?op_timeout={OP_TIMEOUT}")
    clients: list[Client] = []
    http = httpx.AsyncClient(timeout=2.0)
    try:
        urls = group.start(WORKERS)
        clients = [Client(urls[i % WORKERS], "participant@main") for i in range(CLIENTS)]
        await asyncio.gather(*(c.connect() for c in clients))
        await _every_health(http, urls, (200, "ok"), "healthy workers")
        load = Load()
        drivers = asyncio.gather(*(_drive(c, i, load) for i, c in enumerate(clients)))

        await _eventually(lambda: load.acked >= CLIENTS * PER_CLIENT // 3, "a third acked")
        await redis.kill()
        await _every_health(http, urls, (503, "degraded"), "/health shows the outage")
        movers = asyncio.gather(
            *(_move(c, urls[(i + 1) % WORKERS], load) for i, c in enumerate(clients[:MOVERS]))
        )
        # Hold the outage until it has been felt: a command refused and resumes refused.
        await _eventually(
            lambda: load.unavailable > 0 and load.refused_resumes >= MOVERS, "refusals"
        )
        assert load.acked < CLIENTS * PER_CLIENT  # commands were still coming
        await redis.start()  # same port, same directory: it replays its AOF

        await asyncio.wait_for(movers, 40)  # bounded only against a hang
        acks = await asyncio.wait_for(drivers, 40)
        # Recovered, and no leave refused during the outage still waiting to be appended
        # (one landing after the log is read below would look like an extra event).
        await _every_health(http, urls, (200, "ok"), "/health recovers, retries done")
        assert all(c.url == urls[(i + 1) % WORKERS] for i, c in enumerate(clients[:MOVERS]))
        _check(await _settled_log(group.log_url, clients), clients, acks)
    finally:
        await http.aclose()
        await asyncio.gather(*(c.close() for c in clients))
        group.stop()
        await redis.kill()


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(tmp_path, f"presence-{uuid.uuid4().hex[:10]}:")
    await server.start()
    yield server  # torn down after the servers started by `serve`, which need it
    await server.kill()


async def test_a_presence_change_missed_during_an_outage_is_recorded_after_it(
    private_redis: PrivateRedis, serve: ServeFn, caplog: pytest.LogCaptureFixture
) -> None:
    s = await serve(f"{private_redis.url}&op_timeout=0.5", presence_interval=0.1)
    fac = Client(s.url, "facilitator@main")
    observers = [Client(s.url, "observer@main") for _ in range(2)]

    def last_presence() -> dict[str, int] | None:
        counts = [e["data"]["counts"] for e in fac.history if e["name"] == "presence.updated"]
        return counts[-1] if counts else None

    try:
        await fac.connect()
        await asyncio.gather(*(o.connect() for o in observers))
        await _eventually(lambda: last_presence() == {"facilitator": 1, "public": 2}, "presence")
        await private_redis.kill()
        await _eventually(lambda: not s.rt.health()["log"]["ok"], "health shows the outage")
        await observers.pop().close()
        # the worker saw the change and could not record it
        await _eventually(
            lambda: any("presence update failed" in r.getMessage() for r in caplog.records),
            "a failed presence update",
        )
        await private_redis.start()
        await _eventually(
            lambda: last_presence() == {"facilitator": 1, "public": 1}, "presence recorded"
        )
    finally:
        await asyncio.gather(fac.close(), *(o.close() for o in observers))

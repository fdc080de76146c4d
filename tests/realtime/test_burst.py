"""A publisher at full rate for 10 s against a real worker with tight keepalive: its
inbound path never stalls behind fan-out, so no keepalive timeout drops anyone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from realtime.client import Client
from tests.realtime.conftest import Workers

pytestmark = [pytest.mark.slow, pytest.mark.redis]

BURST_S = 10.0
WINDOW = 200  # commands in flight: the publisher never waits for one ack at a time


async def test_a_ten_second_burst_has_no_keepalive_disconnects(
    workers: Callable[..., Workers],
) -> None:
    # Pings every 0.5 s with a 1 s timeout: a connection whose reads stall for over a second
    # (uvicorn's legacy protocol once its inbound queue is full) would be dropped here.
    group = workers(rate=1e6, burst=1_000_000, ping_interval=0.5, ping_timeout=1.0)
    [url] = group.start(1)
    publisher = Client(url, "participant@main", keep_history=False)
    await publisher.connect()
    watchers = [Client(url, "observer@main", keep_history=False) for _ in range(20)]
    for w in watchers:
        await w.connect()
    loop = asyncio.get_running_loop()
    end = loop.time() + BURST_S
    in_flight: set[asyncio.Future[dict[str, object]]] = set()
    acked = 0
    while loop.time() < end:
        while len(in_flight) < WINDOW:
            in_flight.add(publisher.send("chat.say", {"text": "burst " * 20}))
        done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        acked += sum(1 for f in done if f.result()["type"] == "ack")
        assert publisher.close_code is None
    for f in await asyncio.gather(*in_flight):
        assert f["type"] == "ack"
    acked += len(in_flight)
    head = publisher.seq
    for _ in range(3000):
        if all(w.seq >= head for w in watchers):
            break
        await asyncio.sleep(0.01)
    assert acked > WINDOW
    assert publisher.close_code is None
    assert publisher.errors == []
    for w in watchers:
        assert w.close_code is None
        assert w.gaps == 0
        assert w.seq >= head
    for c in [publisher, *watchers]:
        await c.close()

"""A client that stops reading costs nobody else anything, and is closed past its budget."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from realtime.client import Client
from realtime.wire import CloseCode
from tests.realtime.conftest import ServeFn

TEXT = "x" * 16_000
BUDGET = 256 * 1024


async def _stalled(url: str) -> ClientConnection:
    """A raw client with a tiny receive buffer that will not read until told to."""
    host, port = url.removeprefix("ws://").split("/")[0].split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
    return await connect(url, sock=sock, compression=None, max_queue=1, max_size=None)


async def _publish(publisher: Client, fast: list[Client], n: int) -> list[int]:
    """Send n big events; per ack, how far behind each fast client is (in events)."""
    lags: list[int] = []
    for _ in range(n):
        ack = await publisher.request("chat.say", {"text": TEXT})
        lags.extend(ack["seq"] - c.seq for c in fast)
    return lags


def _p99(values: list[int]) -> int:
    return sorted(values)[int(len(values) * 0.99)]


async def test_a_stalled_client_is_closed_and_resumes_while_others_flow(serve: ServeFn) -> None:
    s = await serve(byte_budget=BUDGET, rate=10_000.0, burst=10_000)
    publisher = Client(s.url, "participant@main", keep_history=False)
    await publisher.connect()
    fast = [Client(s.url, "observer@main", keep_history=False) for _ in range(5)]
    for c in fast:
        await c.connect()

    without = await _publish(publisher, fast, 100)

    slow = await _stalled(s.url)
    await slow.send(json.dumps({"type": "hello", "data": {"token": "observer@main"}}))
    welcome: dict[str, Any] = json.loads(await slow.recv())
    # publish until the stalled client is past its budget; everyone else keeps up meanwhile
    with_slow: list[int] = []
    for _ in range(40):
        with_slow += await _publish(publisher, fast, 25)
        if s.rt.traffic.closes.get(CloseCode.SLOW_CONSUMER):
            break
    assert s.rt.traffic.closes == {CloseCode.SLOW_CONSUMER: 1}
    head = publisher.seq
    for _ in range(500):
        if all(c.seq >= head for c in fast):
            break
        await asyncio.sleep(0.01)
    # delivered to all the others while the slow one still has not read a byte more
    assert all(c.seq >= head and c.gaps == 0 for c in fast)
    assert _p99(with_slow) <= max(2 * _p99(without), _p99(without) + 10)

    # now it reads again: what was written before the close, then 4009
    last = welcome["seq"]
    try:
        while True:
            frame = json.loads(await asyncio.wait_for(slow.recv(), 10))
            for m in frame if isinstance(frame, list) else [frame]:
                if m["type"] == "event":
                    assert m["seq"] == last + 1
                    last = m["seq"]
    except ConnectionClosed:
        pass
    assert slow.close_code == CloseCode.SLOW_CONSUMER
    assert last < head

    # and resumes cleanly from where it was: a replay, no gap, no resync
    resumed = Client(s.url, "observer@main")
    resumed.epoch, resumed.seq = welcome["epoch"], last
    again = await resumed.reconnect()
    assert again["resumed"] is True
    while resumed.seq < head:
        await resumed.next_event()
    assert resumed.gaps == 0
    assert resumed.resyncs == 0
    for c in [publisher, resumed, *fast]:
        await c.close()

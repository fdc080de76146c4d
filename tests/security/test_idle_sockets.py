"""Attack class: idle sockets and slowloris. A connection that sends nothing, or trickles
its request headers a byte at a time, used to stay open as long as the client liked
(uvicorn arms no timeout before the first response). Now the headers must be complete
within TOWNHALL_HEADER_TIMEOUT_S; a WebSocket that never says hello is closed too."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from tests import services
from tests.townhall.scripted import worker_env

BOUND_S = 60.0  # how long the test waits at most: far above the 2 s configured


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.Worker]:
    base: Path = tmp_path_factory.mktemp("idle")
    env = {**worker_env(f"sqlite+aiosqlite:///{base / 'townhall.db'}"),
           "TOWNHALL_HEADER_TIMEOUT_S": "2"}  # fmt: skip
    for pool in services.pool(base, env):
        (worker,) = pool.start(1)
        yield worker


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    with contextlib.suppress(ConnectionError):
        return await reader.read(1024) == b""
    return True


async def test_a_silent_connection_is_closed(quick: services.Worker) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", quick.port)
    try:
        assert await asyncio.wait_for(_closed_by_server(reader), BOUND_S)
    finally:
        writer.close()


async def test_trickled_headers_are_cut_off(quick: services.Worker) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", quick.port)
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10_000

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            for byte in request:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.2)

    sender = asyncio.create_task(trickle())
    try:
        assert await asyncio.wait_for(_closed_by_server(reader), BOUND_S)
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        writer.close()


async def test_a_complete_request_and_keep_alive_still_work(quick: services.Worker) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", quick.port)
    try:
        for _ in range(2):
            writer.write(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND_S)
            assert head.startswith(b"HTTP/1.1 200")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))  # fmt: skip
            await reader.readexactly(length)
    finally:
        writer.close()


async def test_a_websocket_without_hello_is_closed(quick: services.Worker) -> None:
    async with ws_connect(quick.ws_url) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), BOUND_S)
        assert ws.close_code == 4001

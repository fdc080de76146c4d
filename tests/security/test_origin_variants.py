"""Attack class: cross-site WebSockets. A page elsewhere must not open the socket with the
visitor's browser: every Origin but the server's own (and the configured ones) is closed
with 4004 before any hello, whatever its spelling; bots without an Origin may connect."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from tests import services
from tests.townhall.scripted import create_town

FOREIGN = [
    "https://evil.example",
    "null",
    "http://127.0.0.1.evil.example",
    "http://127.0.0.1:1",  # another port
    "https://127.0.0.1:{port}",  # another scheme
    "http://127.0.0.1:{port}.evil.example",
    "http://127.0.0.1:{port}@evil.example",
    "file://",
    "chrome-extension://abcdefghijklmnop",
]


@pytest.mark.parametrize("origin", FOREIGN)
async def test_foreign_origins_are_closed_before_hello(
    server: services.Worker, origin: str
) -> None:
    town = await create_town(server.url, "Origins")
    value = origin.format(port=server.port)
    received: list[str | bytes] = []

    async def talk(ws: ClientConnection) -> None:
        await ws.send(json.dumps({"type": "hello", "token": town.token("observer")}))
        while True:
            received.append(await asyncio.wait_for(ws.recv(), 20))

    async with ws_connect(server.ws_url, origin=Origin(value)) as ws:
        with pytest.raises(ConnectionClosed):
            await talk(ws)
        assert ws.close_code == 4004
    assert received == []  # not a byte of the room


@pytest.mark.parametrize("origin", ["http://127.0.0.1:{port}", "HTTP://127.0.0.1:{port}/", None])
async def test_the_servers_own_origin_and_bots_get_in(
    server: services.Worker, origin: str | None
) -> None:
    town = await create_town(server.url, "Origins ok")
    value = Origin(origin.format(port=server.port)) if origin else None
    async with ws_connect(server.ws_url, origin=value) as ws:
        await ws.send(json.dumps({"type": "hello", "token": town.token("observer")}))
        first = json.loads(await asyncio.wait_for(ws.recv(), 20))
        assert (first[0] if isinstance(first, list) else first)["type"] == "welcome"

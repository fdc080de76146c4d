"""A minimal Starlette hub speaking the SPEC §3 envelope, for the benchmark only.

It exists so that the Townhall target of the harness (hello → welcome, commands in,
`event` frames out, single objects or coalesced JSON arrays) can be exercised end to end
before the real hub in realtime/ is runnable, and it doubles as the "plain ASGI send
loop" reference. It is not the room log: no snapshot, no resume, no durability.

Every command received is turned into one event with the next seq and fanned out to
every connection, the sender included; the sender also gets an `ack`. The fan-out
follows the rules of docs/architecture.md ("Transport", "Fan-out"): the event is
encoded once, nothing awaits a recipient inside the broadcast, each connection has its
own writer, and what piled up while a writer was busy leaves as one JSON array frame. A
connection whose backlog passes the byte limit is closed with 4002 so that it would
resume.

Environment: TOYHUB_COALESCE=0 sends one frame per event (the plain send loop);
TOYHUB_REDIS_URL shares events between workers through Redis pub/sub (seq from INCR);
TOYHUB_QUEUE_BYTES caps a connection's backlog (default 4 MiB).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import msgspec
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

SLOW_CONSUMER = 4002
CHANNEL = "toyhub:events"
SEQ_KEY = "toyhub:seq"

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


class Connection:
    """One client: a backlog of encoded frames and the writer task draining it."""

    __slots__ = ("backlog", "backlog_bytes", "coalesce", "limit", "overflow", "wake", "ws")

    def __init__(self, ws: WebSocket, *, coalesce: bool, limit: int) -> None:
        self.ws = ws
        self.coalesce = coalesce
        self.limit = limit
        self.backlog: list[str] = []
        self.backlog_bytes = 0
        self.overflow = False
        self.wake = asyncio.Event()

    def push(self, frame: str) -> None:
        # Called from the broadcast loop: must never block or await.
        self.backlog.append(frame)
        self.backlog_bytes += len(frame)
        if self.backlog_bytes > self.limit:
            self.overflow = True
        self.wake.set()

    async def run_writer(self) -> None:
        send = self.ws.send
        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.overflow:
                await self.ws.close(SLOW_CONSUMER)
                return
            batch, self.backlog, self.backlog_bytes = self.backlog, [], 0
            if self.coalesce and len(batch) > 1:
                await send({"type": "websocket.send", "text": "[" + ",".join(batch) + "]"})
            else:
                for frame in batch:
                    await send({"type": "websocket.send", "text": frame})


class Hub:
    """Every connection of the single room, and how an event reaches them all."""

    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self.seq = 0
        self.redis: Redis | None = None

    def fan_out(self, frame: str) -> None:
        for conn in self.connections:
            conn.push(frame)

    async def publish(self, command: dict[str, Any]) -> int:
        if self.redis is not None:
            seq = int(await self.redis.incr(SEQ_KEY))
        else:
            self.seq += 1
            seq = self.seq
        event = {
            "type": "event",
            "seq": seq,
            "name": "bench.published",
            "data": command.get("data", {}),
            "at": datetime.now(UTC).isoformat(),
            "cause": command.get("id"),
        }
        frame = _encode(event).decode()
        if self.redis is not None:
            # Every worker, this one included, fans out what it reads from the channel.
            await self.redis.publish(CHANNEL, frame)
        else:
            self.fan_out(frame)
        return seq

    async def relay(self, redis: Redis) -> None:
        pubsub = redis.pubsub()
        await pubsub.subscribe(CHANNEL)
        async for message in pubsub.listen():
            if message["type"] == "message":
                data = message["data"]
                self.fan_out(data.decode() if isinstance(data, bytes) else str(data))


hub = Hub()
_COALESCE = os.environ.get("TOYHUB_COALESCE", "1") != "0"
_LIMIT = int(os.environ.get("TOYHUB_QUEUE_BYTES", str(4 * 1024 * 1024)))


async def endpoint(ws: WebSocket) -> None:
    await ws.accept()
    hello = _decode(await ws.receive_text())
    if not isinstance(hello, dict) or hello.get("type") != "hello":
        await ws.close(4001)
        return
    data = hello.get("data") or {}
    participant = uuid.uuid4().hex[:12]
    conn = Connection(ws, coalesce=_COALESCE, limit=_LIMIT)
    you = {"participant": participant, "role": "participant", "name": data.get("name", "")}
    welcome = {
        "type": "welcome",
        "you": you,
        "resume_token": participant,
        "snapshot": {},
        "epoch": 1,
        "seq": hub.seq,
    }
    # The welcome goes through the writer so that it always precedes the first event.
    conn.push(_encode(welcome).decode())
    hub.connections.add(conn)
    writer = asyncio.create_task(conn.run_writer())
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text") or message.get("bytes") or b""
            command = _decode(raw)
            if isinstance(command, dict) and isinstance(command.get("type"), str):
                seq = await hub.publish(command)
                conn.push(_encode({"type": "ack", "id": command.get("id"), "seq": seq}).decode())
    finally:
        hub.connections.discard(conn)
        writer.cancel()


@contextlib.asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    url = os.environ.get("TOYHUB_REDIS_URL")
    if not url:
        yield
        return
    hub.redis, listener = Redis.from_url(url), Redis.from_url(url)
    relay = asyncio.create_task(hub.relay(listener))
    try:
        yield
    finally:
        relay.cancel()
        await hub.redis.aclose()
        await listener.aclose()


app = Starlette(routes=[WebSocketRoute("/ws", endpoint)], lifespan=lifespan)

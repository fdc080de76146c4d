"""One WebSocket connection: its reader, its outbox and its command queue.

The endpoint coroutine only reads (so uvicorn never stops reading and keepalive pongs
are always seen, however busy the room); the outbox is written by the worker's flusher
(or by a writer task under a server without the frame path); commands run in order on
a helper task started when some are waiting, so a slow command (a Redis round trip, a
conflict retry) never stalls the reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.types import Receive, Scope, Send

from realtime.application import Authenticator, Principal, Refused
from realtime.config import Limits
from realtime.fanout import Flusher, Outbox, Traffic
from realtime.sansio import (
    Action,
    Authenticate,
    Close,
    ConnectionProtocol,
    Phase,
    Reply,
    RunCommand,
)
from realtime.throttle import SharedBuckets
from realtime.transport.frames import EXTENSION
from realtime.transport.protocol import FrameWriter
from realtime.wire import CloseCode, Error, Resume, encode

__all__ = ["Connection", "ConnectionContext"]

log = logging.getLogger("realtime.connection")

Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]


class Rooms(Protocol):
    """What a connection asks of the worker's engine (``realtime.engine.Engine``)."""

    async def attach(self, principal: Principal, outbox: Outbox, resume: Resume | None) -> None:
        """Join the room and queue the welcome (or the replay of what was missed)."""
        ...

    async def detach(self, principal: Principal, outbox: Outbox) -> None: ...

    async def command(
        self, principal: Principal, outbox: Outbox, type: str, id: str | None, data: dict[str, Any]
    ) -> None:
        """Run one client command and queue its ack or error on ``outbox``."""
        ...


@dataclass(frozen=True, slots=True)
class ConnectionContext:
    """What a connection uses of its worker's hub (``realtime.server.Realtime`` makes one)."""

    limits: Limits
    flush_interval: float
    engine: Rooms
    flusher: Flusher
    traffic: Traffic
    buckets: SharedBuckets
    authenticator: Authenticator
    spawn: Spawn  # a task that may outlive its connection (a command already accepted)


class Connection:
    """The I/O side of one connection: feeds its ``ConnectionProtocol``, performs its actions."""

    def __init__(self, ctx: ConnectionContext, scope: Scope, receive: Receive, send: Send) -> None:
        self.ctx = ctx
        self.receive = receive
        self.send = send
        self.protocol = ConnectionProtocol(ctx.limits, time.monotonic())
        client = scope.get("client")
        # The peer's address (after the server's trusted-proxy handling), for the
        # authenticator's limits per address; "" when the server does not know it.
        self.peer = str(client[0]) if client else ""
        extension = scope.get("extensions", {}).get(EXTENSION)
        writer = extension.get("writer") if isinstance(extension, dict) else None
        frames = (writer, ctx.flusher) if isinstance(writer, FrameWriter) else None
        self.outbox = Outbox(
            self._send_text,
            self._send_close,
            ctx.limits.byte_budget,
            ctx.traffic,
            ctx.flush_interval,
            frames,
        )
        self.principal: Principal | None = None
        self.inbox: list[RunCommand] = []  # short (max_inflight); a deque is 0.6 KB empty
        self.worker: asyncio.Task[None] | None = None
        self.auth: asyncio.Task[None] | None = None  # the authenticator and the attach

    async def _send_text(self, text: str) -> None:
        await self.send({"type": "websocket.send", "text": text})

    async def _send_close(self, code: int, reason: str) -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason})

    async def serve(self) -> None:
        # Under FrameProtocol the flusher writes: no writer task (and its ~1 KB) per socket.
        writer = None if self.outbox.direct else asyncio.create_task(self.outbox.run())
        try:
            await self._read()
        finally:
            if self.auth is not None:
                # An attach in flight finishes (cancelling it halfway could leave the
                # person marked present); then it is undone below like any other.
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.auth)
            # Commands already accepted still run (their acks just find the socket closed):
            # cancelling one mid-append would only leave its outcome unknown.
            if self.principal is not None:
                self.ctx.buckets.release(self.principal.room, self.principal.key)
                await self.ctx.engine.detach(self.principal, self.outbox)
            if self.outbox.direct:
                # Out now, before uvicorn drops a socket whose app has returned: what is
                # queued, then the close frame (a no-op if it was sent or the peer left).
                self.outbox.close_soon(CloseCode.GOING_AWAY, "")
                self.outbox.flush({})
            elif writer is not None and not writer.done():
                self.outbox.close_soon(CloseCode.GOING_AWAY, "")
                # The peer is gone or closing: give the writer a moment, never hang on it.
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(writer), 1.0)
                writer.cancel()
                with contextlib.suppress(BaseException):
                    await writer

    async def _read(self) -> None:
        protocol = self.protocol
        while True:
            deadline = protocol.deadline
            if deadline is not None:
                try:
                    message = await asyncio.wait_for(self.receive(), deadline - time.monotonic())
                except TimeoutError:
                    if not await self._perform(protocol.timeout(time.monotonic())):
                        return
                    continue
            else:
                message = await self.receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                return
            if kind != "websocket.receive" or self.outbox.closing:
                continue
            text = message.get("text")
            now = time.monotonic()
            if text is not None:
                actions = protocol.receive_text(text, now)
            else:
                actions = protocol.receive_bytes(message.get("bytes") or b"", now)
            if not await self._perform(actions):
                return

    async def _perform(self, actions: list[Action]) -> bool:
        """Carry out the protocol's actions; False once the connection is closing."""
        for action in actions:
            if isinstance(action, Reply):
                self.outbox.push(action.text)
            elif isinstance(action, RunCommand):
                self._queue(action)
            elif isinstance(action, Authenticate):
                # Off the reader: a slow attach (a room loading from Redis, a retry while
                # Redis restarts) must not stop reading. What arrives meanwhile still
                # meets the rate limit and the cap on queued commands (max_inflight).
                self.auth = self.ctx.spawn(self._authenticate(action))
            elif isinstance(action, Close):
                self.outbox.close_soon(action.code, action.reason)
        return not self.outbox.closing

    async def _authenticate(self, action: Authenticate) -> None:
        try:
            await self._open(action)
        finally:
            # Done: the finished task (and its coroutine, ~0.5 KB) need not live as long
            # as the socket.
            self.auth = None

    async def _open(self, action: Authenticate) -> None:
        try:
            # "peer" is the hub's to set: a client's own "peer" field is overwritten.
            hello = {**action.data, "peer": self.peer}
            principal = await self.ctx.authenticator(action.hello.token, hello)
            await self.ctx.engine.attach(principal, self.outbox, action.hello.resume)
        except Refused as exc:
            await self._perform(self.protocol.refused(exc.code, exc.message))
            return
        except Exception:
            log.exception("could not open the room")
            await self._perform(
                self.protocol.refused("unavailable", "the room is unavailable", CloseCode.INTERNAL)
            )
            return
        self.principal = principal  # set even if closing now: serve() detaches it
        self.protocol.authenticated(
            self.ctx.buckets.acquire(principal.room, principal.key, time.monotonic())
        )
        if self.inbox and self.worker is None and self.protocol.phase is Phase.OPEN:
            self.worker = self.ctx.spawn(self._work())

    def _queue(self, action: RunCommand) -> None:
        if len(self.inbox) >= self.ctx.limits.max_inflight:
            self.outbox.push(encode(Error(id=action.id, code="busy", message="too many commands")))
            return
        self.inbox.append(action)
        if self.worker is None and self.protocol.phase is Phase.OPEN:
            self.worker = self.ctx.spawn(self._work())

    async def _work(self) -> None:
        """Run queued commands one at a time, in arrival order; exit when none wait."""
        engine = self.ctx.engine
        principal = self.principal
        assert principal is not None
        try:
            while self.inbox:
                cmd = self.inbox.pop(0)
                try:
                    await engine.command(principal, self.outbox, cmd.type, cmd.id, cmd.data)
                except Exception:  # e.g. the room could not be loaded: the log is down
                    log.exception("command %s failed", cmd.type)
                    error = Error(id=cmd.id, code="unavailable", message="retry later")
                    self.outbox.push(encode(error))
        finally:
            self.worker = None

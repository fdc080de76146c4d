"""The WebSocket endpoint: an ASGI app that carries a ``Session``'s actions out on a socket.

Per connection: the endpoint coroutine only reads (so uvicorn never stops reading and
keepalive pongs are always seen, however busy the room); an ``Outbox`` writer task
writes; commands run in order on a helper task started when some are waiting, so a
slow command (a Redis round trip, a conflict retry) never stalls the reader.

Composing it (townhall does this)::

    rt = Realtime(open_log(url, store), domain, authenticate, RealtimeConfig(origins=[...]))
    app = Starlette(routes=[rt.route("/ws"), ...], lifespan=...)  # rt.start() / rt.close()
    uvicorn.run(app, **UVICORN_WS_OPTIONS)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from realtime.domain import Authenticator, Domain, Principal, Refused
from realtime.engine import Engine
from realtime.hub import Flusher, Metrics, Outbox
from realtime.limits import MAX_FRAME, Limits
from realtime.log import RoomLog
from realtime.protocol import CloseCode, Error, encode
from realtime.session import Action, Authenticate, Close, Phase, Reply, RunCommand, Session
from realtime.transport import EXTENSION, FrameWriter

__all__ = ["UVICORN_WS_OPTIONS", "Realtime", "RealtimeConfig", "SocketFirst", "websocket_route"]

S = TypeVar("S")
log = logging.getLogger("realtime.server")

# uvicorn settings the hub is built for (townhall's `serve` passes them to uvicorn.run):
# - "websockets-sansio": reads whenever the app has taken the previous message, so with
#   our never-blocking reader pongs are always processed; the legacy "websockets" protocol
#   (deprecated) stops reading once its inbound queue fills and then fails its keepalive.
# - permessage-deflate off: it costs about +64% CPU per delivered frame here.
# - 64 KiB frame cap: larger frames are closed with 1009 before the app sees them.
# - "realtime.transport:FrameProtocol" is that protocol plus the `realtime.frames`
#   extension: the hub writes pre-encoded frames to the transport, not through `send`.
UVICORN_WS_OPTIONS: dict[str, Any] = {
    "ws": "realtime.transport:FrameProtocol",
    "ws_max_size": MAX_FRAME,
    "ws_per_message_deflate": False,
    "ws_ping_interval": 20.0,
    "ws_ping_timeout": 20.0,
}


@dataclass(frozen=True)
class RealtimeConfig:
    """``origins``: allowed ``Origin`` values; empty means the server's own origin only.

    A missing ``Origin`` (not a browser: bots, the Python client) is allowed unless
    ``require_origin``; browsers always send it, which is what the check protects.
    """

    origins: Sequence[str] = ()
    require_origin: bool = False
    limits: Limits = field(default_factory=Limits)
    window: int = 5000  # records per room kept for replay on resume
    # Minimum time between two flusher passes (frames to a connection) while events keep
    # coming: under load, frames carry many events instead of paying the per-frame cost
    # for each; a lone event still leaves at once. 20 ms (at most 50 frames a second to
    # a phone) measured best at 2,000 clients: 0.96 us per delivery and 793 k deliveries/s
    # against 1.42 us and 550 k at 5 ms, with a lower p99 (docs/benchmarks.md).
    flush_interval: float = 0.02
    presence_interval: float = 1.0


class Realtime(Generic[S]):
    """The hub of one worker: engine, connections and the ASGI endpoint."""

    def __init__(
        self,
        log: RoomLog,
        domain: Domain[S],
        authenticator: Authenticator,
        config: RealtimeConfig | None = None,
    ) -> None:
        self.config = config or RealtimeConfig()
        self.log = log
        self.engine: Engine[S] = Engine(
            log, domain, window=self.config.window, presence_interval=self.config.presence_interval
        )
        self.authenticator = authenticator
        self.metrics = Metrics()
        self.flusher = Flusher(self.config.flush_interval)
        self._tasks: set[asyncio.Task[None]] = set()
        self._origins = frozenset(o.lower().rstrip("/") for o in self.config.origins)

    async def start(self) -> None:
        await self.log.start()
        await self.engine.start()

    async def close(self) -> None:
        for task in list(self._tasks):  # commands of connections already gone
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.flusher.close()
        await self.engine.close()
        await self.log.close()

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A task that outlives its connection if need be (asyncio keeps weak refs only)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def route(self, path: str = "/ws") -> WebSocketRoute:
        return WebSocketRoute(path, self)

    def health(self) -> dict[str, Any]:
        return {"log": self.log.health(), **self.metrics.as_dict(), **self.engine.stats}

    # -- the ASGI endpoint -------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        if (await receive())["type"] != "websocket.connect":
            return
        if not self._origin_ok(scope):
            await _deny(scope, send, 403, "origin not allowed")
            return
        if self.metrics.connections >= self.config.limits.max_connections:
            await _deny(scope, send, 503, "server full")
            return
        # Origin and Host are checked; the headers would otherwise stay alive (~1 KB)
        # as long as the socket, in the scope every frame of this call chain holds.
        scope["headers"] = []
        await send({"type": "websocket.accept"})
        self.metrics.connections += 1
        try:
            await _Connection(self, scope, receive, send).serve()
        finally:
            self.metrics.connections -= 1

    def _origin_ok(self, scope: Scope) -> bool:
        headers: dict[bytes, bytes] = dict(scope["headers"])
        origin = headers.get(b"origin")
        if origin is None:
            return not self.config.require_origin
        value = origin.decode("latin-1").lower().rstrip("/")
        if self._origins:
            return value in self._origins
        host = headers.get(b"host", b"").decode("latin-1").lower()
        scheme = "https" if scope.get("scheme") == "wss" else "http"
        return value == f"{scheme}://{host}"


async def _deny(scope: Scope, send: Send, status: int, reason: str) -> None:
    """Refuse the handshake with an HTTP status if the server supports it, else 403."""
    if "websocket.http.response" in scope.get("extensions", {}):
        body = reason.encode()
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": reason})


class _Connection:
    """The I/O side of one connection: feeds the Session, performs its actions."""

    def __init__(self, rt: Realtime[Any], scope: Scope, receive: Receive, send: Send) -> None:
        self.rt = rt
        self.receive = receive
        self.send = send
        self.session = Session(rt.config.limits, time.monotonic())
        extension = scope.get("extensions", {}).get(EXTENSION)
        writer = extension.get("writer") if isinstance(extension, dict) else None
        frames = (writer, rt.flusher) if isinstance(writer, FrameWriter) else None
        self.outbox = Outbox(
            self._send_text,
            self._send_close,
            rt.config.limits.byte_budget,
            rt.metrics,
            rt.config.flush_interval,
            frames,
        )
        self.principal: Principal | None = None
        self.inbox: list[RunCommand] = []  # short (max_inflight); a deque is 0.6 KB empty
        self.worker: asyncio.Task[None] | None = None

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
            # Commands already accepted still run (their acks just find the socket closed):
            # cancelling one mid-append would only leave its outcome unknown.
            if self.principal is not None:
                await self.rt.engine.detach(self.principal, self.outbox)
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
        session = self.session
        while True:
            deadline = session.deadline
            if deadline is not None:
                try:
                    message = await asyncio.wait_for(self.receive(), deadline - time.monotonic())
                except TimeoutError:
                    if not await self._perform(session.timeout(time.monotonic())):
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
                actions = session.receive_text(text, now)
            else:
                actions = session.receive_bytes(message.get("bytes") or b"", now)
            if not await self._perform(actions):
                return

    async def _perform(self, actions: list[Action]) -> bool:
        """Carry out a session's actions; False once the connection is closing."""
        for action in actions:
            if isinstance(action, Reply):
                self.outbox.push(action.text)
            elif isinstance(action, RunCommand):
                self._queue(action)
            elif isinstance(action, Authenticate):
                await self._authenticate(action)
            elif isinstance(action, Close):
                self.outbox.close_soon(action.code, action.reason)
        return not self.outbox.closing

    async def _authenticate(self, action: Authenticate) -> None:
        try:
            principal = await self.rt.authenticator(action.hello.token, action.data)
            await self.rt.engine.attach(principal, self.outbox, action.hello.resume)
        except Refused as exc:
            await self._perform(self.session.refused(exc.code, exc.message))
            return
        except Exception:
            log.exception("could not open the room")
            await self._perform(
                self.session.refused("unavailable", "the room is unavailable", CloseCode.INTERNAL)
            )
            return
        self.principal = principal
        self.session.authenticated()
        if self.inbox and self.worker is None:
            self.worker = self.rt.spawn(self._work())

    def _queue(self, action: RunCommand) -> None:
        if len(self.inbox) >= self.rt.config.limits.max_inflight:
            self.outbox.push(encode(Error(id=action.id, code="busy", message="too many commands")))
            return
        self.inbox.append(action)
        if self.worker is None and self.session.phase is Phase.OPEN:
            self.worker = self.rt.spawn(self._work())

    async def _work(self) -> None:
        """Run queued commands one at a time, in arrival order; exit when none wait."""
        engine = self.rt.engine
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


class SocketFirst:
    """ASGI: WebSocket connections to ``path`` go straight to ``endpoint``; all else to ``app``.

    A Starlette app would route a socket through its error and exception middleware and
    its router, coroutine frames that stay alive as long as the socket (about 3 KB each,
    measured): the hub handles its own errors, so its sockets skip them.
    """

    def __init__(self, app: ASGIApp, path: str, endpoint: ASGIApp) -> None:
        self.app = app
        self.path = path
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == self.path:
            await self.endpoint(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def websocket_route(path: str, realtime: Realtime[Any]) -> WebSocketRoute:
    """The route townhall mounts (``GET /ws``)."""
    return realtime.route(path)

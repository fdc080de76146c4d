"""The WebSocket endpoint of one worker: origin check, connection limit, then a
``Connection`` per socket (realtime/connection.py), around one ``Engine`` and one
``Flusher``.

Composing it (townhall does this)::

    rt = Realtime(open_log(url, store), domain, authenticate, RealtimeConfig(origins=[...]))
    app = SocketFirst(Starlette(routes=[...], lifespan=...), "/ws", rt)  # rt.start()/close()
    uvicorn.run(app, **UVICORN_WS_OPTIONS)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from starlette.types import ASGIApp, Receive, Scope, Send

from realtime.application import Authenticator, Domain, Principal
from realtime.config import MAX_FRAME, RealtimeConfig
from realtime.connection import Connection, ConnectionContext
from realtime.engine import Engine
from realtime.fanout import Flusher, Traffic
from realtime.gc_pacer import pacer
from realtime.log.contract import RoomLog
from realtime.log.store import Store
from realtime.presence import MemoryPresence, OnPresence, Presence, PresenceTicker
from realtime.replica import Applied
from realtime.throttle import SharedBuckets
from realtime.wire import CloseCode

__all__ = ["UVICORN_WS_OPTIONS", "Realtime", "SocketFirst", "open_log", "open_presence"]

S = TypeVar("S")

log = logging.getLogger("realtime.server")

# uvicorn settings the hub is built for (townhall's `serve` passes them to uvicorn.run):
# - "realtime.transport.protocol:FrameProtocol": Townhall's own RFC 6455 protocol below
#   ASGI (decision 0008), lighter per socket than uvicorn's; it offers the
#   `realtime.frames` extension, so the hub writes pre-encoded frames to the transport,
#   not through `send`. Like uvicorn's "websockets-sansio" it reads whenever the app has
#   taken the previous message, so with our never-blocking reader pongs are always
#   processed (the legacy "websockets" protocol stops reading once its inbound queue
#   fills and then fails its keepalive).
# - permessage-deflate off: it costs about +64% CPU per delivered frame here (FrameProtocol
#   never negotiates it).
# - 64 KiB message cap: a larger message is closed with 1009 before it is buffered.
# - pings every 20 s, by one timer per worker sweeping its sockets; 20 s to answer.
UVICORN_WS_OPTIONS: dict[str, Any] = {
    "ws": "realtime.transport.protocol:FrameProtocol",
    "ws_max_size": MAX_FRAME,
    "ws_per_message_deflate": False,
    "ws_ping_interval": 20.0,
    "ws_ping_timeout": 20.0,
}


class Realtime(Generic[S]):
    """The hub of one worker: engine, connections and the ASGI endpoint."""

    def __init__(
        self,
        log: RoomLog,
        domain: Domain[S, Any],
        authenticator: Authenticator,
        config: RealtimeConfig | None = None,
        presence: Presence | None = None,
    ) -> None:
        self.config = config or RealtimeConfig()
        self.log = log
        self._engine: Engine[S] = Engine(log, domain, window=self.config.window)
        # Presence on the log's own backend unless given: one round trip per tick.
        self._presence = PresenceTicker(
            presence or open_presence(log), self._engine.all_counts, self.config.presence_interval
        )
        self.traffic = Traffic()
        self.flusher = Flusher(self.config.flush_interval, lazy_delay=self.config.lazy_delay)
        limits = self.config.limits
        self._connections = ConnectionContext(
            limits=limits,
            flush_interval=self.config.flush_interval,
            engine=self._engine,
            flusher=self.flusher,
            traffic=self.traffic,
            buckets=SharedBuckets(limits.rate, limits.burst),  # per participant
            authenticator=authenticator,
            spawn=self._spawn,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._paced = False
        self._origins = frozenset(o.lower().rstrip("/") for o in self.config.origins)
        self._origins_reported: set[str] = set()

    async def start(self) -> None:
        await self.log.start()
        self._presence.start()
        if not self._paced:
            pacer.acquire(self.config.gc)
            self._paced = True

    async def close(self) -> None:
        for task in list(self._tasks):  # commands of connections already gone
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.flusher.close()
        await self._presence.close()
        await self._engine.close()
        await self.log.close()
        if self._paced:
            self._paced = False
            await pacer.release()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A task that outlives its connection if need be (asyncio keeps weak refs only)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def health(self) -> dict[str, Any]:
        return {
            "log": self.log.health(),
            **self.traffic.as_dict(),
            **self._engine.stats,
            "retries_pending": self._engine.retries_pending,
            "gc": pacer.health(),
        }

    # -- for the application ------------------------------------------------------------

    async def state(self, room: str) -> S:
        """The room's state at the log head as this worker knows it (loads the room)."""
        return await self._engine.state(room)

    async def held_state(self, room: str) -> S:
        """The room's state as this worker holds it (loads the room; no log read if held)."""
        return await self._engine.held_state(room)

    def states(self) -> dict[str, S]:
        """The rooms this worker holds, with their current states."""
        return self._engine.states()

    def counts(self, room: str) -> dict[str, int]:
        """This worker's connections of a room, per audience."""
        return self._engine.counts(room)

    async def execute(
        self, principal: Principal, type: str, data: dict[str, Any], key: str | None
    ) -> tuple[int, dict[str, str]]:
        """Run a command for a principal without a connection (an API call): decide on
        the head, append, fan out. Raises ``Refused``; ``key`` makes it idempotent.
        Returns (ack seq, result)."""
        return await self._engine.execute(principal, type, data, key)

    async def server_command(self, room: str, type: str, data: dict[str, Any]) -> int:
        """Run a server-made command (a timer, presence) as the room's system principal;
        returns its ack seq. Raises ``Refused``."""
        return await self._engine.server_command(room, type, data)

    def principals(self, room: str) -> list[Principal]:
        """Who is connected to ``room`` on this worker (one entry per connection)."""
        return self._engine.principals(room)

    def disconnect(self, room: str, which: Callable[[Principal], bool], reason: str) -> int:
        """Close (4011) this worker's connections of ``room`` whose principal matches."""
        return self._engine.disconnect(room, which, reason)

    async def unload(self, room: str) -> bool:
        """Forget a room nobody here is connected to (``Engine.unload``)."""
        return await self._engine.unload(room)

    def on_applied(self, hook: Applied[S]) -> None:
        """``hook(room, records, state)`` after records reach a room held here, whoever
        appended them; synchronous, under the room's lock (``Engine.on_applied``)."""
        self._engine.on_applied(hook)

    def on_presence(self, listener: OnPresence) -> None:
        """``await listener(room, totals)`` when a held room's connections per audience,
        summed over every worker, changed since the last presence tick."""
        self._presence.listen(listener)

    @property
    def stats(self) -> dict[str, int]:
        """The engine's counters: commands, appends, conflicts, duplicates, lookups."""
        return self._engine.stats

    def observe(
        self,
        on_outcome: Callable[[str], None] | None = None,
        on_fanout: Callable[[float], None] | None = None,
    ) -> None:
        """Metrics hooks: each client command's outcome ("ok", "refused", "unavailable",
        "internal"); each batch's fan-out time in seconds."""
        self._engine.on_outcome = on_outcome
        self._engine.on_fanout = on_fanout

    # -- the ASGI endpoint -------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "websocket"
        if (await receive())["type"] != "websocket.connect":
            return
        if not self._origin_ok(scope):
            # Accepted only to be closed at once, with a code a page can read: a refused
            # handshake (HTTP 403) reaches a browser's script as a bare 1006, which looks
            # like a network drop and would be retried forever. Nothing is read from the
            # socket and nothing but the close frame is sent.
            self._report_origin(scope)
            await send({"type": "websocket.accept"})
            await send(
                {
                    "type": "websocket.close",
                    "code": CloseCode.ORIGIN_REFUSED,
                    "reason": "origin_not_allowed",
                }
            )
            return
        if self.traffic.connections >= self.config.limits.max_connections:
            await _deny(scope, send, 503, "server full")
            return
        # Origin and Host are checked; the headers would otherwise stay alive (~1 KB)
        # as long as the socket, in the scope every frame of this call chain holds.
        scope["headers"] = []
        await send({"type": "websocket.accept"})
        self.traffic.connections += 1
        try:
            await Connection(self._connections, scope, receive, send).serve()
        finally:
            self.traffic.connections -= 1

    def _report_origin(self, scope: Scope) -> None:
        """Log a refused origin once per distinct value (at most 100 of them): one line
        that says what to configure, not one per reconnect attempt."""
        origin = dict(scope["headers"]).get(b"origin", b"(none)").decode("latin-1")[:200]
        if origin in self._origins_reported or len(self._origins_reported) >= 100:
            return
        self._origins_reported.add(origin)
        log.warning(
            "WebSocket from origin %s refused; accepted: %s. If people open the server "
            "at that address, set its public URL (--public-url, TOWNHALL_PUBLIC_URL) or "
            "add the origin to --allowed-origins (TOWNHALL_ALLOWED_ORIGINS).",
            origin,
            ", ".join(sorted(self._origins)) or "the server's own origin",
        )

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


def open_log(url: str, store: Store | None = None) -> RoomLog:
    """The room log named by ``url``: ``memory://`` (durable through ``store``, if given)
    or ``redis://host:port/db?prefix=x`` (also ``rediss://``, ``unix://``, and
    ``redis+cluster://host:port?prefix=x`` for any node of a Redis Cluster)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "memory":
        from realtime.log.memory import MemoryLog

        return MemoryLog(store)
    if scheme in ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster"):
        if store is not None:
            raise ValueError("a Store is only used by the memory:// backend")
        from realtime.log.redis.log import RedisLog

        return RedisLog.from_url(url)
    raise ValueError(f"unknown room log URL scheme: {url!r}")


def open_presence(log: RoomLog) -> Presence:
    """Presence on the backend of ``log``: a Redis log's own link, or this process."""
    from realtime.log.redis.log import RedisLog

    if isinstance(log, RedisLog):
        from realtime.log.redis.presence import RedisPresence

        return RedisPresence(log.link, log.prefix)
    return MemoryPresence()

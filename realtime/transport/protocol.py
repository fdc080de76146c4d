"""Pre-encoded frames below the ASGI send path: uvicorn's sans-I/O protocol, one extension.

Measured here, one ``await send({"type": "websocket.send", ...})`` costs about 30 us of
server CPU per frame (the ASGI message, the coroutine, the writability wait, the
sans-I/O encoder), while writing a ready frame to the asyncio transport costs about
8 us. A server-to-client text frame is not masked, so the same bytes go to every
connection of an audience: the hub encodes a frame once and writes it N times.

``FrameProtocol`` is uvicorn's ``websockets-sansio`` protocol plus the ASGI scope
extension ``realtime.frames`` holding a ``FrameWriter`` for the connection (select it
with ``ws="realtime.transport.protocol:FrameProtocol"``, as ``UVICORN_WS_OPTIONS`` does). Under
another server the extension is absent and the hub falls back to ASGI ``send``.

What it relies on is kept small and checked for its effects, not only its names
(tests/realtime/test_transport.py, run against the locked uvicorn and, in ``make
test-latest``, the newest): websockets' public sans-I/O connection (``conn``: its
``state``, ``send_close`` and ``data_to_send``) and the asyncio transport for writing and
closing; of uvicorn's own protocol, the constructor, ``handle_connect`` and ``send`` it
extends, the ``queue`` and ``writable`` it replaces with lighter objects, the parsed
handshake it drops, and three fields of its close handshake: ``close_sent`` (the app
closed: uvicorn completes the handshake itself and queues nothing more for the app),
``close_timer`` (which uvicorn cancels, closing the transport, once the peer answers)
and ``read_paused`` (so that answer is read).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from realtime.transport.frames import EXTENSION

__all__ = ["CLOSE_TIMEOUT", "FrameProtocol", "FrameWriter"]

# How long a peer has to answer our close frame before its socket is closed (as uvicorn).
CLOSE_TIMEOUT = 10.0


class FrameWriter:
    """Synchronous writes of ready frames, and the close handshake, for one connection."""

    __slots__ = ("_p",)

    def __init__(self, protocol: FrameProtocol) -> None:
        self._p = protocol

    @property
    def open(self) -> bool:
        """Frames may still go out: websockets' connection is open and so is the socket."""
        p = self._p
        return p.conn.state is State.OPEN and not p.transport.is_closing()

    def write(self, frame: bytes) -> bool:
        """Queue ``frame`` on the transport (never blocks); False once the socket is gone."""
        if not self.open:
            return False
        self._p.transport.write(frame)
        return True

    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel: what a slow reader leaves behind."""
        return self._p.transport.get_write_buffer_size()

    def close(self, code: int, reason: str) -> None:
        """Send the close frame after what is queued, as uvicorn's ``websocket.close`` does,
        without waiting for the peer to read first (a slow consumer never would)."""
        p = self._p
        if not self.open:
            return
        # The app's next receive() is the disconnect (the inbox is ours: FrameProtocol's).
        p.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        p.conn.send_close(code, reason)
        p.transport.write(b"".join(p.conn.data_to_send()))
        p.close_sent = True
        if p.read_paused:  # the peer's answer must be read for the handshake to end
            p.read_paused = False
            p.transport.resume_reading()
        # A peer that does not answer in time is cut off: abort(), since close() would
        # wait for the buffered frames to drain, which a peer that does not read never
        # lets happen (uvicorn cancels this timer and closes once the peer answers).
        p.close_timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, p.transport.abort)


class _Inbox:
    """The part of ``asyncio.Queue`` uvicorn uses (``put_nowait``, ``get``, ``empty``) for
    its one consumer, the app's ``receive``: a list and at most one future instead of
    four deques (about 3 KB per connection, in a room of thousands)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    async def get(self) -> Any:
        while not self._items:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class _Flag:
    """``asyncio.Event`` as uvicorn's ``writable`` uses it, without an empty deque each."""

    __slots__ = ("_is_set", "_waiters")

    def __init__(self) -> None:
        self._is_set = True
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._is_set

    def set(self) -> None:
        self._is_set = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._is_set = False

    async def wait(self) -> None:
        while not self._is_set:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)


class FrameProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol, offering ``realtime.frames`` to the app,
    and lighter per connection: what a room of thousands of idle sockets mostly is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Inbox()  # type: ignore[assignment]
        self.writable = _Flag()  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # The app's task is created but has not run yet: the scope can still gain a key.
        scope: Any = getattr(self, "scope", None)
        if scope is not None:
            scope["extensions"][EXTENSION] = {"writer": FrameWriter(self)}

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            # A refused handshake (origin, capacity) is answered in full: uvicorn would
            # otherwise log "returned without completing handshake" as an ERROR for each
            # refusal, log noise anyone on the internet can drive.
            self.handshake_complete = True
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The parsed handshake is not used again: about 3 KB of headers per socket.
            # (websockets' parser keeps the request alive in its frame: empty it.)
            self.request.headers.clear()
            del self.request, self.response

"""Fan-out: per-connection outboxes and a worker-wide flusher (audiences: realtime.room).

A broadcast never awaits a client: it appends the same pre-encoded text to every
outbox of the audience (a list append). Whatever has queued for a connection since its
last write leaves in one frame, one message as itself or several as a JSON array: the
per-frame cost dwarfs the per-byte cost, so a lagging client gets fewer, bigger frames.

Two ways out, chosen per connection:
- ``FrameWriter`` (realtime.transport, under uvicorn with ``FrameProtocol``): no task per
  connection. The ``Flusher`` runs once per tick over every outbox with something
  queued, builds each distinct frame once (the connections of an audience share their
  queued texts, hence their frame) and writes it to each transport.
- ASGI ``send`` (any other server): one writer task per connection drains its queue.
A client whose queue (or unsent transport buffer) passes its byte budget is dropped from
fan-out and closed with 4009 after what is already queued, so it resumes from its seq.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from realtime.protocol import CloseCode
from realtime.transport import text_frame

__all__ = ["Flusher", "FrameSink", "Metrics", "Outbox"]

log = logging.getLogger("realtime.hub")

SendText = Callable[[str], Awaitable[None]]
SendClose = Callable[[int, str], Awaitable[None]]


class FrameSink(Protocol):
    """Where ready frames go (``realtime.transport.FrameWriter`` under uvicorn)."""

    def write(self, frame: bytes) -> bool: ...

    def buffered(self) -> int: ...

    def close(self, code: int, reason: str) -> None: ...


class Metrics:
    """Counters of one worker's hub (exported by townhall's /metrics)."""

    __slots__ = ("bytes_sent", "closes", "connections", "frames_sent", "messages_sent")

    def __init__(self) -> None:
        self.connections = 0
        self.frames_sent = 0
        self.messages_sent = 0
        self.bytes_sent = 0
        self.closes: dict[int, int] = {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "frames_sent": self.frames_sent,
            "messages_sent": self.messages_sent,
            "bytes_sent": self.bytes_sent,
            "closes": dict(self.closes),
        }


class Outbox:
    """A connection's bounded outgoing queue, written by the flusher or its own task."""

    __slots__ = (
        "_base_budget",
        "_budget",
        "_close",
        "_count",
        "_flusher",
        "_frames",
        "_interval",
        "_items",
        "_metrics",
        "_queued",
        "_scheduled",
        "_send",
        "_wake",
        "close_code",
        "close_reason",
    )

    def __init__(
        self,
        send: SendText,
        close: SendClose,
        budget: int,
        metrics: Metrics,
        interval: float = 0.0,
        frames: tuple[FrameSink, Flusher] | None = None,
    ) -> None:
        self._send = send
        self._interval = interval
        self._close = close
        self._budget = budget
        self._base_budget = budget
        self._metrics = metrics
        self._items: list[str] = []
        self._count = 0  # messages in _items (an item may hold several, comma-joined)
        self._queued = 0
        self._frames: FrameSink | None = None
        self._flusher: Flusher | None = None
        if frames is not None:
            self._frames, self._flusher = frames
        self._scheduled = False  # waiting in the flusher's list
        # Only a writer task waits on it (an Event costs ~0.7 KB, times every socket).
        self._wake: asyncio.Event | None = None if self._flusher else asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""

    @property
    def closing(self) -> bool:
        return self.close_code is not None

    @property
    def direct(self) -> bool:
        """Written by the flusher straight to the transport (no writer task)."""
        return self._flusher is not None

    @property
    def queued(self) -> int:
        return self._queued

    @property
    def budget(self) -> int:
        return self._base_budget

    def grant(self, extra: int) -> None:
        """Raise the budget by ``extra`` until the queue next drains (a resume's replay)."""
        self._budget = self._base_budget + extra

    def push(self, text: str, count: int = 1) -> None:
        """Queue encoded messages; never blocks. Past the budget: close with 4009.

        ``text`` is one message, or ``count`` messages joined by commas (a batch of
        events rendered once for every connection of an audience).
        """
        if self.close_code is not None:
            return
        self._items.append(text)
        self._count += count
        self._queued += len(text)
        if self._queued > self._budget:
            self._items.clear()
            self._count = 0
            self._queued = 0
            self.close_soon(CloseCode.SLOW_CONSUMER, "slow_consumer")
            return
        self._ready()

    def close_soon(self, code: int, reason: str) -> None:
        """Stop taking messages; what is queued goes out, then the close frame."""
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
            closes = self._metrics.closes
            closes[code] = closes.get(code, 0) + 1
        self._ready()

    def _ready(self) -> None:
        flusher = self._flusher
        if flusher is None:
            assert self._wake is not None
            self._wake.set()
        elif not self._scheduled:
            self._scheduled = True
            flusher.add(self)

    def flush(self, frames: dict[object, bytes]) -> None:
        """Write what is queued as one frame (the flusher's side; ``frames`` caches the
        frame of each distinct queue during one pass), then the close frame if due."""
        self._scheduled = False
        writer = self._frames
        assert writer is not None
        items, count = self._items, self._count
        if items:
            self._items, self._count = [], 0
            size = self._queued
            self._queued = 0
            key: object = items[0] if count == 1 else tuple(items)
            frame = frames.get(key)
            if frame is None:
                text = items[0] if count == 1 else "[" + ",".join(items) + "]"
                frame = frames[key] = text_frame(text.encode())
            if not writer.write(frame):
                self.close_code = self.close_code or CloseCode.GOING_AWAY
                return
            metrics = self._metrics
            metrics.frames_sent += 1
            metrics.messages_sent += count
            metrics.bytes_sent += size
            backlog = writer.buffered()
            if backlog > self._budget:
                self.close_soon(CloseCode.SLOW_CONSUMER, "slow_consumer")
            elif not backlog:
                self._budget = self._base_budget
        if self.close_code is not None:
            writer.close(self.close_code, self.close_reason)

    async def run(self) -> None:
        """The writer task of an ASGI-send connection (returns at once under a flusher).

        Returns once the close frame is sent, or quietly when the peer is gone (the
        server signals that with an OSError such as uvicorn's ClientDisconnected).
        """
        if self._flusher is not None:
            return
        try:
            await self._write()
        except OSError:
            self.close_code = self.close_code or CloseCode.GOING_AWAY
            self._items.clear()
            self._count = 0
            self._queued = 0

    async def _write(self) -> None:
        metrics = self._metrics
        wake = self._wake
        assert wake is not None
        while True:
            await wake.wait()
            wake.clear()
            while self._items:
                items, count = self._items, self._count
                self._items, self._count = [], 0
                size = self._queued
                self._queued = 0
                frame = items[0] if count == 1 else "[" + ",".join(items) + "]"
                await self._send(frame)
                metrics.frames_sent += 1
                metrics.messages_sent += count
                metrics.bytes_sent += size
                if self._interval:
                    # At most one frame per interval while events keep coming: what
                    # arrives meanwhile joins the next frame (a lone event is not delayed).
                    await asyncio.sleep(self._interval)
            self._budget = self._base_budget
            if self.close_code is not None:
                await self._close(self.close_code, self.close_reason)
                return


class Flusher:
    """One per worker: writes every outbox with something queued, once per tick.

    The first message after a quiet spell leaves on the next loop iteration; while
    messages keep coming, passes are at least ``interval`` apart, so each carries
    everything that queued meanwhile (per-tick coalescing across the whole worker).
    """

    __slots__ = ("_handle", "_interval", "_last", "_pending", "passes")

    def __init__(self, interval: float = 0.0) -> None:
        self._interval = interval
        self._pending: list[Outbox] = []
        self._handle: asyncio.TimerHandle | asyncio.Handle | None = None
        self._last = float("-inf")  # loop time of the last pass
        self.passes = 0

    def add(self, outbox: Outbox) -> None:
        self._pending.append(outbox)
        if self._handle is None:
            loop = asyncio.get_running_loop()
            delay = self._last + self._interval - loop.time()
            if delay > 0:
                self._handle = loop.call_later(delay, self.flush)
            else:
                self._handle = loop.call_soon(self.flush)

    def flush(self) -> None:
        self._handle = None
        self._last = asyncio.get_running_loop().time()
        self.passes += 1
        pending, self._pending = self._pending, []
        frames: dict[object, bytes] = {}
        for outbox in pending:
            try:
                outbox.flush(frames)
            except Exception:  # one broken socket must not cost the others their pass
                log.exception("could not write to a connection")
                outbox.close_code = outbox.close_code or CloseCode.GOING_AWAY

    def close(self) -> None:
        """Write what is pending now (shutdown)."""
        if self._handle is not None:
            self._handle.cancel()
            self.flush()

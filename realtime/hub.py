"""Fan-out: per-connection outboxes with one writer each, and per-room audience sets.

A broadcast never awaits a client: it appends the same pre-encoded text to every
outbox of the audience (a list append) and wakes that outbox's writer. Each writer
drains whatever has queued since its last write into one frame, one message as
itself or several as a JSON array, because the per-frame cost of the ASGI send path
(~30 us here) dwarfs the per-byte cost: a lagging client gets fewer, bigger frames.
A client whose queue passes its byte budget is dropped from fan-out at once and closed
with 4009 after the write in progress, so it resumes from its last seq.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from realtime.protocol import CloseCode

__all__ = ["Metrics", "Outbox", "RoomFanout"]

SendText = Callable[[str], Awaitable[None]]
SendClose = Callable[[int, str], Awaitable[None]]


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
    """A connection's bounded outgoing queue and the task that writes it."""

    __slots__ = (
        "_base_budget",
        "_budget",
        "_close",
        "_count",
        "_interval",
        "_items",
        "_metrics",
        "_queued",
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
        self._wake = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""

    @property
    def closing(self) -> bool:
        return self.close_code is not None

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
        self._wake.set()

    def close_soon(self, code: int, reason: str) -> None:
        """Stop taking messages; the writer sends what is queued, then the close frame."""
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
            closes = self._metrics.closes
            closes[code] = closes.get(code, 0) + 1
        self._wake.set()

    async def run(self) -> None:
        """The writer: one frame per wake-up holding everything queued since the last.

        Returns once the close frame is sent, or quietly when the peer is gone (the
        server signals that with an OSError such as uvicorn's ClientDisconnected).
        """
        try:
            await self._write()
        except OSError:
            self.close_code = self.close_code or CloseCode.GOING_AWAY
            self._items.clear()
            self._count = 0
            self._queued = 0

    async def _write(self) -> None:
        metrics = self._metrics
        while True:
            await self._wake.wait()
            self._wake.clear()
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


class RoomFanout:
    """The outboxes of one room on this worker, grouped by audience."""

    __slots__ = ("audiences",)

    def __init__(self) -> None:
        self.audiences: dict[str, set[Outbox]] = {}

    def add(self, audience: str, outbox: Outbox) -> None:
        self.audiences.setdefault(audience, set()).add(outbox)

    def discard(self, audience: str, outbox: Outbox) -> None:
        members = self.audiences.get(audience)
        if members is not None:
            members.discard(outbox)

    def counts(self) -> dict[str, int]:
        return {audience: len(members) for audience, members in self.audiences.items()}

    def __len__(self) -> int:
        return sum(len(members) for members in self.audiences.values())

    def publish(self, audience: str, text: str, count: int = 1) -> None:
        """Queue ``text`` (``count`` messages) for every connection of ``audience``."""
        members = self.audiences.get(audience)
        if not members:
            return
        dead: list[Outbox] = []
        for outbox in members:
            outbox.push(text, count)
            if outbox.closing:
                dead.append(outbox)
        for outbox in dead:
            members.discard(outbox)

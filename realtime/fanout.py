"""Fan-out: per-connection outboxes, the audience feeds, and the worker's flusher.

A broadcast never awaits a client. Whatever has queued for a connection since its last
write leaves in one frame, one message as itself or several as a JSON array: the
per-frame cost dwarfs the per-byte cost, so a lagging client gets fewer, bigger frames.
Two ways out, chosen per connection:
- a ``FrameSink`` (``realtime.transport``: uvicorn with ``FrameProtocol``): no task per
  connection. The worker's ``Flusher`` writes every outbox with something queued once
  per tick; broadcasts reach it through its ``Audience`` (appended once, taken
  at its turn, or before any message of its own so that the order holds).
- ASGI ``send`` (any other server): a writer task per connection drains its queue, and
  a broadcast is appended to each outbox of the audience.
A client whose queue (or unsent transport buffer) passes its byte budget is dropped from
fan-out and closed with 4009 after what is already queued, so it resumes from its seq.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from realtime.transport.frames import FrameSink, text_frame
from realtime.wire import CloseCode

__all__ = ["Audience", "Flusher", "Outbox", "RoomFanout", "Traffic"]

log = logging.getLogger("realtime.fanout")

SendText = Callable[[str], Awaitable[None]]
SendClose = Callable[[int, str], Awaitable[None]]


class Traffic:
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
        "_cursor",
        "_feed",
        "_flusher",
        "_frames",
        "_interval",
        "_items",
        "_queued",
        "_scheduled",
        "_send",
        "_traffic",
        "_wake",
        "close_code",
        "close_reason",
    )

    def __init__(
        self,
        send: SendText,
        close: SendClose,
        budget: int,
        traffic: Traffic,
        interval: float = 0.0,
        frames: tuple[FrameSink, Flusher] | None = None,
    ) -> None:
        self._send = send
        self._interval = interval
        self._close = close
        self._budget = budget
        self._base_budget = budget
        self._traffic = traffic
        self._items: list[str] = []
        self._count = 0  # messages in _items (an item may hold several, comma-joined)
        self._queued = 0
        self._frames: FrameSink | None = None
        self._flusher: Flusher | None = None
        if frames is not None:
            self._frames, self._flusher = frames
        self._scheduled = False  # waiting in the flusher's list
        self._feed: Audience | None = None  # the audience whose broadcasts it takes
        self._cursor = 0  # the audience's index of the next broadcast it has not taken
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
    def flusher(self) -> Flusher | None:
        return self._flusher

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
        feed = self._feed
        if feed is not None and self._cursor < feed.end:
            self._catch_up(feed)  # the broadcasts before this message go first
            if self.close_code is not None:
                return
        self._items.append(text)
        self._count += count
        self._queued += len(text)
        if self._queued > self._budget:
            self._overflow()
            return
        self._ready()

    def _catch_up(self, feed: Audience) -> None:
        """Queue the audience's broadcasts this outbox has not taken yet."""
        start, end = self._cursor - feed.base, feed.end
        self._cursor = end
        if self.close_code is not None:
            return
        items = self._items
        for text, count in feed.items[start:]:
            items.append(text)
            self._count += count
            self._queued += len(text)
        if self._queued > self._budget:
            self._overflow()

    def _overflow(self) -> None:
        self._drop()
        self.close_soon(CloseCode.SLOW_CONSUMER, "slow_consumer")

    def _drop(self) -> None:
        self._items.clear()
        self._count = self._queued = 0

    def close_soon(self, code: int, reason: str) -> None:
        """Stop taking messages; what is queued goes out, then the close frame."""
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
            closes = self._traffic.closes
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
        key: object = None
        feed = self._feed
        if feed is not None and self._cursor < feed.end:
            if not self._items:  # broadcasts only: what every member at this point gets
                key = (feed, self._cursor, feed.end)
            self._catch_up(feed)
        items, count = self._items, self._count
        if items:
            size = self._queued
            self._queued = self._count = 0
            if key is None:
                key = items[0] if count == 1 else tuple(items)
            frame = frames.get(key)
            if frame is None:
                text = items[0] if count == 1 else "[" + ",".join(items) + "]"
                frame = frames[key] = text_frame(text.encode())
            items.clear()
            if not writer.write(frame):
                self.fail()
                return
            traffic = self._traffic
            traffic.frames_sent += 1
            traffic.messages_sent += count
            traffic.bytes_sent += size
            backlog = writer.buffered()
            if backlog > self._budget:
                self.close_soon(CloseCode.SLOW_CONSUMER, "slow_consumer")
            elif not backlog:
                self._budget = self._base_budget
        if self.close_code is not None:
            self._leave_feed()  # broadcasts stop here
            writer.close(self.close_code, self.close_reason)

    def _leave_feed(self) -> None:
        if self._feed is not None:
            self._feed.discard(self)  # a closing outbox leaves its audience at its last pass

    def fail(self) -> None:
        """Writing to the socket failed: no more broadcasts; it closes."""
        self.close_code = self.close_code or CloseCode.GOING_AWAY
        self._leave_feed()

    def follow(self, feed: Audience) -> None:
        """Take ``feed``'s broadcasts from now on (``Audience.add`` calls this)."""
        self._feed = feed
        self._cursor = feed.end

    def unfollow(self, feed: Audience) -> None:
        """Stop taking ``feed``'s broadcasts; those before now still go out."""
        if self._feed is not feed:
            return
        if self._cursor < feed.end:
            self._catch_up(feed)
            if self._items:
                self._ready()
        self._feed = None

    def claim(self) -> bool:
        """Join the flusher's running pass unless already in one (or in the next)."""
        if self._scheduled:
            return False
        self._scheduled = True
        return True

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
            self._drop()

    async def _write(self) -> None:
        traffic = self._traffic
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
                traffic.frames_sent += 1
                traffic.messages_sent += count
                traffic.bytes_sent += size
                if self._interval:
                    # At most one frame per interval while events keep coming: what
                    # arrives meanwhile joins the next frame (a lone event is not delayed).
                    await asyncio.sleep(self._interval)
            self._budget = self._base_budget
            if self.close_code is not None:
                await self._close(self.close_code, self.close_reason)
                return


class Audience:
    """The connections of one audience of a room on this worker, and its broadcasts.

    The one owner of its member sets: every outbox (``members``, what ``counts`` and
    presence read), of those the ones the flusher writes (``direct``: a broadcast is
    appended once to ``items`` and each takes it at its turn, from its cursor) and the
    ones with a writer task (``tasked``: each broadcast is pushed to every one). Once a
    pass has visited every direct member, what they all took is dropped.
    """

    __slots__ = ("base", "direct", "flusher", "items", "members", "tasked")

    def __init__(self) -> None:
        self.members: set[Outbox] = set()
        self.direct: set[Outbox] = set()
        self.tasked: set[Outbox] = set()
        self.flusher: Flusher | None = None  # the flusher of the direct members
        self.items: list[tuple[str, int]] = []  # (text, messages in it)
        self.base = 0  # the index of items[0] since the audience began

    @property
    def end(self) -> int:
        return self.base + len(self.items)

    def __len__(self) -> int:
        return len(self.members)

    def add(self, outbox: Outbox) -> None:
        """From now on ``outbox`` gets every broadcast to this audience."""
        self.members.add(outbox)
        flusher = outbox.flusher
        if flusher is None:
            self.tasked.add(outbox)
            return
        self.flusher = flusher
        self.direct.add(outbox)
        outbox.follow(self)

    def discard(self, outbox: Outbox) -> None:
        """``outbox`` leaves; what was broadcast before still reaches it."""
        self.members.discard(outbox)
        self.tasked.discard(outbox)
        if outbox in self.direct:
            outbox.unfollow(self)
            self.direct.discard(outbox)

    def publish(self, text: str, count: int = 1, lazy: bool = False) -> None:
        """Queue ``text`` (``count`` messages) for every member (``lazy``: see
        ``Flusher.add_audience``)."""
        if self.direct:
            self.items.append((text, count))
            assert self.flusher is not None
            self.flusher.add_audience(self, lazy)
        if not self.tasked:
            return
        closing: list[Outbox] = []
        for outbox in self.tasked:
            outbox.push(text, count)
            if outbox.closing:
                closing.append(outbox)
        for outbox in closing:  # past its budget: out of the room at once
            self.discard(outbox)

    def trim(self, upto: int) -> None:
        """Drop the items below ``upto``, which every direct member has taken."""
        drop = upto - self.base
        if drop > 0:
            del self.items[:drop]
            self.base = upto


class RoomFanout:
    """The audiences of one room on this worker, by name."""

    __slots__ = ("_audiences",)

    def __init__(self) -> None:
        self._audiences: dict[str, Audience] = {}

    def add(self, audience: str, outbox: Outbox) -> None:
        found = self._audiences.get(audience)
        if found is None:
            found = self._audiences[audience] = Audience()
        found.add(outbox)

    def discard(self, audience: str, outbox: Outbox) -> None:
        found = self._audiences.get(audience)
        if found is not None:
            found.discard(outbox)

    def active(self) -> list[str]:
        """The audiences with at least one member."""
        return [name for name, found in self._audiences.items() if found.members]

    def counts(self) -> dict[str, int]:
        return {name: len(found) for name, found in self._audiences.items()}

    def __len__(self) -> int:
        return sum(len(found) for found in self._audiences.values())

    def publish(self, audience: str, text: str, count: int = 1, lazy: bool = False) -> None:
        """Queue ``text`` (``count`` messages) for every connection of ``audience``."""
        found = self._audiences.get(audience)
        if found is not None:
            found.publish(text, count, lazy)


class Flusher:
    """One per worker: writes every outbox with something queued, once per tick.

    The first message after a quiet spell leaves on the next loop iteration; while
    messages keep coming, passes are at least ``interval`` apart, so each carries
    everything that queued meanwhile (per-tick coalescing across the whole worker).

    A pass costs one write per connection, about 10 us on loopback (where the sender's
    syscall also runs the receiver's TCP path): 20 ms at 2,000 sockets, a whole 20 ms
    tick. Two rules keep the loop free for reading and committing commands meanwhile:
    a pass writes in slices of at most ``slice`` seconds with the loop's other work in
    between, and the gap between passes stretches to ``1 / share`` times the write time
    of the last one, so passes take at most ``share`` of the loop. An outbox that gets
    more messages before its turn in a running pass sends them in that pass.

    A *lazy* broadcast (``add_audience(..., lazy=True)``: a crowd's attendance counts)
    does not start a pass over its audience by itself: it goes out with the next pass
    that visits those connections anyway (a broadcast of theirs that is not lazy, or a
    message of their own), and at the latest ``lazy_delay`` seconds after it was
    queued. A join storm then costs a pass over the whole room about once per
    ``lazy_delay``, not once per batch of joins: without it, frames written during a
    storm of N arrivals grow as N x passes, and writing them took half the loop.
    """

    __slots__ = (
        "_at",
        "_clock",
        "_current",
        "_feeds",
        "_frames",
        "_handle",
        "_interval",
        "_last",
        "_lazy",
        "_lazy_delay",
        "_lazy_handle",
        "_passing",
        "_pending",
        "_share",
        "_slice",
        "_took",
        "passes",
    )

    def __init__(
        self,
        interval: float = 0.0,
        share: float = 0.7,
        slice: float = 0.004,
        clock: Callable[[], float] = time.perf_counter,  # uvloop's time() is per iteration
        lazy_delay: float = 1.0,
    ) -> None:
        self._interval = interval
        self._lazy_delay = lazy_delay
        self._lazy: dict[Audience, None] = {}  # audiences whose broadcasts are all lazy
        self._lazy_handle: asyncio.TimerHandle | None = None
        self._clock = clock
        self._share = share
        self._slice = slice
        self._pending: list[Outbox] = []
        self._feeds: dict[Audience, None] = {}  # audiences with broadcasts for the next pass
        self._passing: list[tuple[Audience, int]] = []  # the running pass's audiences, their end
        self._current: list[Outbox] = []  # the running pass's outboxes; _at is the next
        self._at = 0
        self._frames: dict[object, bytes] = {}  # the frame of each distinct queue, this pass
        self._handle: asyncio.TimerHandle | asyncio.Handle | None = None
        self._last = float("-inf")  # loop time the last pass started
        self._took = 0.0  # seconds the last pass spent writing
        self.passes = 0

    @property
    def gap(self) -> float:
        """The least time between the starts of two passes while messages keep coming."""
        return max(self._interval, self._took / self._share)

    def add(self, outbox: Outbox) -> None:
        self._pending.append(outbox)
        if self._handle is None and not self._current:  # else the due or running pass
            self._schedule()  # schedules the next one when it ends

    def add_audience(self, audience: Audience, lazy: bool = False) -> None:
        """``audience`` has broadcasts for its direct members (once per pass is enough);
        ``lazy``: they may wait for the next pass, at most ``lazy_delay`` seconds."""
        if audience in self._feeds:
            return
        if lazy:
            if audience not in self._lazy:
                self._lazy[audience] = None
                if self._lazy_handle is None:
                    loop = asyncio.get_running_loop()
                    self._lazy_handle = loop.call_later(self._lazy_delay, self._lazy_due)
            return
        self._lazy.pop(audience, None)  # goes now, with what it had waiting
        self._feeds[audience] = None
        if self._handle is None and not self._current:
            self._schedule()

    def _lazy_due(self) -> None:
        """The oldest lazy broadcast has waited ``lazy_delay``: every one waiting goes."""
        self._lazy_handle = None
        lazy, self._lazy = self._lazy, {}
        for audience in lazy:
            self.add_audience(audience)

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._last + self.gap - loop.time()
        if delay > 0:
            self._handle = loop.call_later(delay, self.flush)
        else:
            self._handle = loop.call_soon(self.flush)

    def flush(self) -> None:
        """Start a pass over every outbox queued so far (its first slice runs now)."""
        self._last = asyncio.get_running_loop().time()
        self.passes += 1
        self._current, self._pending = self._pending, []
        self._take_feeds()
        self._at = 0
        self._took = 0.0
        self._frames = {}
        self._write_slice(self._slice)

    def _take_feeds(self) -> None:
        """Add every direct member of the audiences with broadcasts to the pass starting now."""
        current = self._current
        for audience in self._feeds:
            self._passing.append((audience, audience.end))
            for outbox in audience.direct:
                if outbox.claim():
                    current.append(outbox)
        self._feeds = {}

    def _write_slice(self, budget: float) -> None:
        self._handle = None
        clock = self._clock
        started = clock()
        deadline = started + budget
        current, frames, at = self._current, self._frames, self._at
        while at < len(current):
            outbox = current[at]
            at += 1
            try:
                outbox.flush(frames)
            except Exception:  # one broken socket must not cost the others their pass
                log.exception("could not write to a connection")
                outbox.fail()
            if not at & 63 and clock() > deadline:
                break
        self._took += clock() - started
        if at < len(current):
            self._at = at
            self._handle = asyncio.get_running_loop().call_soon(self._write_slice, budget)
            return
        self._current, self._frames, self._at = [], {}, 0
        for feed, end in self._passing:  # every member took at least up to there
            feed.trim(end)
        self._passing = []
        if self._pending or self._feeds:
            self._schedule()

    def close(self) -> None:
        """Write what is pending now, the rest of a running pass first (shutdown)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._lazy_handle is not None:
            self._lazy_handle.cancel()
            self._lazy_handle = None
        for audience in self._lazy:
            self._feeds.setdefault(audience, None)
        self._lazy = {}
        self._current, self._pending = self._current[self._at :] + self._pending, []
        self._at = 0
        self._take_feeds()
        if self._current or self._passing:
            self._write_slice(float("inf"))

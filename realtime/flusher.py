"""The worker's flusher, and the audience feeds it writes from (outboxes: realtime.hub).

One ``Flusher`` per worker writes every outbox with something queued, once per tick, as
one frame each; a ``Feed`` holds what was broadcast to one audience of a room since the
last pass, appended once whatever the audience's size.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from realtime.protocol import CloseCode

if TYPE_CHECKING:
    from realtime.hub import Outbox

__all__ = ["Feed", "Flusher"]

log = logging.getLogger("realtime.hub")


class Feed:
    """The broadcasts to one audience of a room on this worker, appended once each.

    Every member outbox (written by ``flusher``) has a cursor into ``items``; a pass
    visits every member, which takes the items past its cursor, and then drops what
    every member has taken. A member that joins starts at the end.
    """

    __slots__ = ("audience", "base", "flusher", "items", "members", "scheduled")

    def __init__(self, flusher: Flusher, audience: set[Outbox]) -> None:
        self.flusher = flusher
        # The whole audience (RoomFanout's set, with outboxes not fed from here).
        self.audience = audience
        self.items: list[tuple[str, int]] = []  # (text, messages in it)
        self.base = 0  # the index of items[0] since the feed began
        self.members: set[Outbox] = set()
        self.scheduled = False  # in the flusher's list for its next pass

    @property
    def end(self) -> int:
        return self.base + len(self.items)

    def join(self, outbox: Outbox) -> None:
        self.members.add(outbox)
        outbox.follow(self)

    def leave(self, outbox: Outbox) -> None:
        """Stop feeding ``outbox``; what was broadcast before still reaches it."""
        outbox.unfollow(self)
        self.members.discard(outbox)

    def drop(self, outbox: Outbox) -> None:
        """A closing member leaves the feed and its audience at its last pass."""
        self.leave(outbox)
        self.audience.discard(outbox)

    def publish(self, text: str, count: int = 1) -> None:
        self.items.append((text, count))
        if not self.scheduled:
            self.scheduled = True
            self.flusher.add_feed(self)

    def trim(self, upto: int) -> None:
        """Drop the items below ``upto``, which every member has taken."""
        drop = upto - self.base
        if drop > 0:
            del self.items[:drop]
            self.base = upto


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
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._share = share
        self._slice = slice
        self._pending: list[Outbox] = []
        self._feeds: list[Feed] = []  # feeds with broadcasts for the next pass
        self._passing: list[tuple[Feed, int]] = []  # the running pass's feeds, their end
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

    def add_feed(self, feed: Feed) -> None:
        self._feeds.append(feed)
        if self._handle is None and not self._current:
            self._schedule()

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
        """Add every member of the feeds with broadcasts to the pass starting now."""
        current = self._current
        for feed in self._feeds:
            feed.scheduled = False
            self._passing.append((feed, feed.end))
            for outbox in feed.members:
                if outbox.claim():
                    current.append(outbox)
        self._feeds = []

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
                outbox.close_code = outbox.close_code or CloseCode.GOING_AWAY
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
        self._current, self._pending = self._current[self._at :] + self._pending, []
        self._at = 0
        self._take_feeds()
        if self._current or self._passing:
            self._write_slice(float("inf"))

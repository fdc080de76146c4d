"""Presence: how many connections each room has, per audience, over every worker.

Connections come and go in bursts (a link posted in a chat, a network blip, thousands
arriving for the start). Nothing is recorded per connection: once per tick the hub
reports this worker's counts of every room it holds to a ``Presence`` backend, in one
round trip, and gets back the totals over every live worker; the application hears of
a room only when its totals changed since the last tick (``Realtime.on_presence``).
A tick is the natural unit to coalesce anything else about who is here, too.

Backends: ``MemoryPresence`` (one process: the totals are this worker's counts) and
``realtime.log.redis.presence.RedisPresence`` (one hash per room, on the room log's own
Redis link, so it shares the log's timeouts, retries and health).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

__all__ = ["Counts", "MemoryPresence", "OnPresence", "Presence", "PresenceTicker"]

log = logging.getLogger("realtime.presence")

Counts = dict[str, int]  # connections per audience
OnPresence = Callable[[str, Counts], Awaitable[None]]  # (room, totals) once they changed


class Presence(Protocol):
    async def report(self, counts: Mapping[str, Counts]) -> dict[str, Counts]:
        """Publish this worker's counts per room; the totals over every live worker of
        the same rooms. A worker that stops reporting ages out within seconds."""
        ...


class MemoryPresence:
    """One process: the totals are what this worker counts."""

    async def report(self, counts: Mapping[str, Counts]) -> dict[str, Counts]:
        return {room: dict(each) for room, each in counts.items()}


class PresenceTicker:
    """Every ``interval``: report the counts of the rooms held here, then hand each room
    whose totals changed to the listeners. A listener that fails (or a report that
    fails: the log's backend is down) leaves the room unmarked: the next tick tries
    again, so no change stays unrecorded after an outage."""

    def __init__(
        self,
        presence: Presence,
        counts: Callable[[], dict[str, Counts]],
        interval: float,
    ) -> None:
        self._presence = presence
        self._counts = counts
        self._interval = interval
        self._listeners: list[OnPresence] = []
        self._told: dict[str, Counts] = {}
        self._task: asyncio.Task[None] | None = None

    def listen(self, listener: OnPresence) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.tick()

    async def tick(self) -> None:
        counts = self._counts()
        try:
            totals = await self._presence.report(counts) if counts else {}
        except Exception as exc:
            log.warning("presence update failed: %r", exc)
            return
        for room in [r for r in self._told if r not in counts]:  # no longer held here
            del self._told[room]
        changed = [(r, t) for r, t in totals.items() if self._told.get(r) != t]
        if not changed or not self._listeners:
            self._told.update(changed)
            return
        done = await asyncio.gather(*(self._tell(room, total) for room, total in changed))
        self._told.update(item for item, ok in zip(changed, done, strict=True) if ok)

    async def _tell(self, room: str, totals: Counts) -> bool:
        try:
            for listener in self._listeners:
                await listener(room, totals)
        except Exception:
            log.exception("presence update failed in room %s", room)
            return False
        return True

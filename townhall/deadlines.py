"""A room's deadlines, fired at their time by the event loop (``call_at``).

Every worker that holds a room plans its deadlines (``facilitation.room.next_deadlines``)
each time records reach the room (``Realtime.on_applied``): one timer handle per
deadline, cancelled when a later state no longer has it. A due deadline is fired as a
``TimerExpired`` command; several workers may fire the same one and only the first
changes anything (the command is idempotent and appends compare-and-set), so each
deadline takes effect once, and still does when the worker that planned it is gone.

A fired deadline that is still there afterwards (another worker's firing not read yet,
a refusal) is fired again ``RETRY_S`` later, never in a tight loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from facilitation.room import Deadline

__all__ = ["RETRY_S", "Deadlines"]

log = logging.getLogger("townhall.deadlines")

RETRY_S = 1.0

Key = tuple[str, str, datetime]  # (kind, ref, at)
Fire = Callable[[str, Deadline], Awaitable[None]]


class Deadlines:
    """The planned deadlines of the rooms this worker holds."""

    def __init__(
        self,
        fire: Fire,
        current: Callable[[str], list[Deadline]],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._fire = fire
        self._current = current  # the room's deadlines in its state as held here
        self._now = now
        self._planned: dict[str, dict[Key, asyncio.TimerHandle]] = {}
        self._fired: dict[tuple[str, Key], float] = {}  # loop time of the last firing
        self._firing: set[asyncio.Task[None]] = set()

    def plan(self, room: str, deadlines: list[Deadline]) -> None:
        """Make ``deadlines`` the room's planned ones (cancel the others)."""
        wanted = {(d.kind, d.ref, d.at): d for d in deadlines}
        planned = self._planned.get(room, {})
        for key in [k for k in planned if k not in wanted]:
            planned.pop(key).cancel()
        if wanted:
            loop = asyncio.get_running_loop()
            now_loop, now_wall = loop.time(), self._now()
            for key, deadline in wanted.items():
                if key in planned:
                    continue
                when = now_loop + max(0.0, (deadline.at - now_wall).total_seconds())
                fired = self._fired.get((room, key))
                if fired is not None:
                    when = max(when, fired + RETRY_S)
                planned[key] = loop.call_at(when, self._due, room, key, deadline)
        if planned:
            self._planned[room] = planned
        else:
            self._planned.pop(room, None)

    def forget(self, room: str) -> None:
        self.plan(room, [])
        for mark in [m for m in self._fired if m[0] == room]:
            del self._fired[mark]

    async def close(self) -> None:
        for room in list(self._planned):
            self.plan(room, [])
        for task in list(self._firing):
            task.cancel()
        await asyncio.gather(*self._firing, return_exceptions=True)

    def _due(self, room: str, key: Key, deadline: Deadline) -> None:
        planned = self._planned.get(room)
        if planned is not None:
            planned.pop(key, None)
        self._fired[(room, key)] = asyncio.get_running_loop().time()
        task = asyncio.create_task(self._run(room, key, deadline))
        self._firing.add(task)
        task.add_done_callback(self._firing.discard)

    async def _run(self, room: str, key: Key, deadline: Deadline) -> None:
        try:
            await self._fire(room, deadline)
        except Exception:
            log.exception("deadline %s/%s of room %s failed", deadline.kind, deadline.ref, room)
        current = self._current(room)
        if all((d.kind, d.ref, d.at) != key for d in current):
            self._fired.pop((room, key), None)  # done: its mark is no longer needed
        # Still there: planned again RETRY_S after this firing (the mark says when).
        with contextlib.suppress(RuntimeError):  # the loop is closing
            self.plan(room, current)

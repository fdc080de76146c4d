"""The rooms one worker follows: each loaded from the log on first use and kept at the
log's head by one watcher task, whoever appends.

Records reach a room only through ``Replica.apply`` here (catching up after a wake-up, a
conflict or a load), under the room's lock, so fan-out is in seq order and exactly once.
A log trimmed and restarted (a new epoch) rebuilds the room without fan-out and sends
each connection ``resync`` + snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Generic, TypeVar

from realtime.application import Domain
from realtime.log.contract import RoomLog, Trimmed
from realtime.replica import Applied, Replica

__all__ = ["READ_CHUNK", "RoomFollower"]

S = TypeVar("S")
log = logging.getLogger("realtime.follow")

READ_CHUNK = 1000


class RoomFollower(Generic[S]):
    def __init__(
        self,
        room_log: RoomLog,
        domain: Domain[S, Any],
        window: int,
        applied: Applied[S] | None = None,
    ) -> None:
        self.log = room_log
        self.domain = domain
        self._window = window
        self._applied = applied
        self._rooms: dict[str, Replica[S]] = {}

    def get(self, name: str) -> Replica[S] | None:
        """The room if this worker holds it (possibly still loading: ``epoch`` empty)."""
        return self._rooms.get(name)

    def rooms(self) -> list[Replica[S]]:
        return list(self._rooms.values())

    async def load(self, name: str) -> Replica[S]:
        """The room at the log head, loaded (and watched) on first use."""
        room = self._rooms.get(name)
        if room is None:
            room = self._rooms[name] = Replica(name, self.domain, self._window, self._applied)
            async with room.lock:
                try:
                    room.reset(await self.log.epoch(name))
                    await self.catch_up(room)
                except BaseException:
                    del self._rooms[name]  # the next caller tries again
                    room.epoch = ""
                    raise
                room.watcher = asyncio.create_task(self._watch(room))
        elif not room.epoch:
            async with room.lock:  # wait for the first load to finish
                pass
            if not room.epoch:
                return await self.load(name)
        return room

    async def drop(self, name: str) -> None:
        """Forget a room and stop watching it (the caller checked it is idle)."""
        room = self._rooms.pop(name, None)
        if room is not None and room.watcher is not None:
            room.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await room.watcher

    def watchers(self) -> list[asyncio.Task[None]]:
        return [r.watcher for r in self._rooms.values() if r.watcher is not None]

    async def catch_up(self, room: Replica[S]) -> None:
        """Apply every record after the head (under the room lock)."""
        while True:
            try:
                records = await self.log.read(room.name, room.head, READ_CHUNK, epoch=room.epoch)
            except Trimmed:
                await self._new_epoch(room)
                return
            if not records:
                return
            room.apply(records)
            if len(records) < READ_CHUNK:
                return

    async def _new_epoch(self, room: Replica[S]) -> None:
        """The log was trimmed and restarted: rebuild, and resync every connection."""
        room.reset(await self.log.epoch(room.name))
        # Rebuilt without fan-out: events of the new epoch must not reach a connection
        # before its resync; the snapshot after it holds them.
        room.apply(await self.log.read(room.name, 0), publish=False)
        for outbox, principal in list(room.conns.items()):
            room.resync(principal, outbox, "epoch")

    async def _watch(self, room: Replica[S]) -> None:
        while True:
            try:
                last = 0
                async for head in self.log.watch(room.name):
                    # Wake-ups only: skip a read when this worker is already there (it
                    # often is: its own appends wake it too). A drop means a trim.
                    trimmed, last = head < last, head
                    if trimmed or head > room.head:
                        async with room.lock:
                            if trimmed or head > room.head:
                                await self.catch_up(room)
                return
            except Exception as exc:  # the watcher is this room's only cross-worker feed
                log.warning("watch of room %s failed, retrying: %r", room.name, exc)
                await asyncio.sleep(0.5)

"""Wake-ups for ``RedisLog.watch``: one shared pub/sub connection per worker.

Pub/sub is at-most-once: a restart drops every subscription, and a publish made while we
were reconnecting is simply lost. So a message is only ever a hint. Each time Redis
confirms a subscription (the first one, and every one after a reconnect) we re-read the
room's epoch and head from the log itself and post that: a watcher never stays asleep
past a head it missed, and ``HeadSlot`` drops the repeats.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub

from realtime.log.contract import HeadSlot
from realtime.log.redis.link import TRANSIENT

__all__ = ["Watcher"]

_UNSEEN: Final = object()  # no epoch known yet for this room

Peek = Callable[[str], Awaitable[tuple[str | None, int]]]


class Watcher:
    def __init__(
        self,
        client: Redis,
        channel: Callable[[str], str],
        peek: Peek,
        trouble: Callable[[str, BaseException], None],
        recovered: Callable[[str], None],
    ) -> None:
        self._client = client
        self._channel = channel
        self._peek = peek
        self._trouble = trouble
        self._recovered = recovered
        self._slots: dict[str, set[HeadSlot]] = {}
        self._rooms: dict[str, str] = {}  # channel -> room, for every watched room
        # Per watched room: the epoch we last saw (None: no live log, e.g. just trimmed).
        self._epochs: dict[str, object] = {}
        self._pubsub: PubSub | None = None
        self._want = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._refreshes: set[asyncio.Task[None]] = set()
        self._closed = False
        self._delay = 0.02

    def start(self) -> None:
        self._closed = False
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        self._closed = True
        for slots in self._slots.values():
            for slot in slots:
                slot.close()
        tasks = [*self._refreshes, *([self._task] if self._task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    async def watch(self, room: str) -> AsyncIterator[int]:
        slot = HeadSlot()
        slots = self._slots.setdefault(room, set())
        first = not slots
        slots.add(slot)
        channel = self._channel(room)
        try:
            if self._closed:
                return
            self.start()
            if first:
                self._rooms[channel] = room
                pubsub = self._pubsub
                if pubsub is None:
                    self._want.set()
                else:
                    # On failure the reader reconnects and subscribes to every room again.
                    with contextlib.suppress(*TRANSIENT):
                        await pubsub.subscribe(channel)
            else:
                self._refresh_soon(room)  # the subscription is already confirmed
            while (head := await slot.next()) is not None:
                yield head
        finally:
            slots.discard(slot)
            if not slots and self._slots.get(room) is slots:
                del self._slots[room]
                self._rooms.pop(channel, None)
                self._epochs.pop(room, None)
                pubsub = self._pubsub
                if pubsub is not None and not self._closed:
                    with contextlib.suppress(*TRANSIENT):
                        await pubsub.unsubscribe(channel)
                        if room in self._slots and self._pubsub is pubsub:
                            # Watched again while we unsubscribed: our UNSUBSCRIBE may
                            # have overtaken the new watcher's SUBSCRIBE.
                            await pubsub.subscribe(channel)

    async def _run(self) -> None:
        while not self._closed:
            if not self._rooms:
                self._want.clear()
                await self._want.wait()
                continue
            pubsub = self._client.pubsub()
            try:
                if not isinstance(pubsub, ClusterPubSub):
                    # (A cluster's pub/sub picks its node at the first SUBSCRIBE; a plain
                    # PUBLISH reaches every node of a cluster, so one node hears all.)
                    await pubsub.connect()  # type: ignore[no-untyped-call]
                self._pubsub = pubsub
                await pubsub.subscribe(*self._rooms)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self._dispatch(message)
            except Exception as exc:
                # TRANSIENT, and whatever else a dead connection raises: under uvloop
                # (uvicorn's default loop) a write to a closed transport is a RuntimeError
                # that redis-py lets through. This task is every watcher's only feed: if it
                # ended, the worker would stop seeing other workers' appends for good.
                self._trouble("pubsub", exc)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(self._delay)
            self._delay = min(self._delay * 2, 0.5)

    def _dispatch(self, message: dict[str, Any]) -> None:
        room = self._rooms.get(message["channel"])
        if room is None:
            return
        kind = message["type"]
        if kind == "subscribe":
            self._recovered("pubsub")
            self._delay = 0.02
            self._refresh_soon(room)
        elif kind == "message":
            data: str = message["data"]
            if data == "trim":
                self._saw(room, None, 0)
            else:
                epoch, _, head = data.rpartition(":")
                self._saw(room, epoch, int(head))

    def _saw(self, room: str, epoch: str | None, head: int) -> None:
        known = self._epochs.get(room, _UNSEEN)
        self._epochs[room] = epoch
        # The epoch we knew is over (trimmed, maybe already reused): the watcher gets a 0.
        # A re-read racing a wake-up can make this fire twice for one trim; a spare 0 only
        # makes the consumer check the epoch again, a missing one would hide a new epoch.
        reset = isinstance(known, str) and known != epoch
        for slot in self._slots.get(room, ()):
            slot.post(head, reset=reset)

    def _refresh_soon(self, room: str) -> None:
        task = asyncio.create_task(self._refresh(room))
        self._refreshes.add(task)
        task.add_done_callback(self._refreshes.discard)

    async def _refresh(self, room: str) -> None:
        try:
            epoch, head = await self._peek(room)
        except Exception:  # still down: the next (re)subscription refreshes again
            return
        if room in self._slots:
            self._saw(room, epoch, head)

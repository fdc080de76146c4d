"""The per-room ordered log: the one source of truth every worker and client reads.

A room's log is a gapless sequence of records (``seq`` 1, 2, 3 ... inside an ``epoch``).
Writers append optimistically: they decide on the head they know and pass it as
``expect``; if someone else appended first they get a ``Conflict`` with the real head,
catch up and decide again. A ``command_key`` makes an append idempotent: a batch holding a
key already applied is refused as ``DuplicateKeys``, and ``lookup_many`` gives the records
and result that command produced the first time, without deciding again.

Backends are chosen by URL (``memory://`` or ``redis://``; ``realtime.server.open_log``)
and share one contract, which ``tests/realtime/test_log_contract.py`` runs against each.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "BatchEntry",
    "Committed",
    "Conflict",
    "DuplicateKeys",
    "HeadSlot",
    "LogUnavailable",
    "NewEvent",
    "Record",
    "RoomLog",
    "Trimmed",
]


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a command wants to append; the log gives it its ``seq``."""

    name: str  # "floor.granted"
    data: dict[str, Any]  # JSON-ready
    at: datetime  # aware UTC; stored and sent as realtime.wire.timestamp gives it


@dataclass(frozen=True, slots=True)
class Record:
    """An event as stored in the log."""

    seq: int  # gapless from 1 within an epoch
    name: str
    data: dict[str, Any]
    at: datetime
    cause: str | None  # the command key that produced it (None for server-made events)


@dataclass(frozen=True, slots=True)
class Committed:
    """A successful (or already applied) append."""

    records: tuple[Record, ...]  # the records this command appended (duplicate: the originals)
    result: dict[str, str]  # the ack result stored with the command
    duplicate: bool  # True when command_key had already been applied


@dataclass(frozen=True, slots=True)
class Conflict:
    """Someone else appended first: catch up to ``head`` and decide again."""

    head: int


@dataclass(frozen=True, slots=True)
class BatchEntry:
    """One command's share of a batched append: its events, key and ack result."""

    events: Sequence[NewEvent]
    command_key: str | None
    result: dict[str, str]


@dataclass(frozen=True, slots=True)
class DuplicateKeys:
    """A batch held command keys that were already applied: nothing was appended.

    Look them up (their original outcome is the answer to resend), drop them from the
    batch and append the rest again. Refusing the whole batch keeps ``seq`` gapless
    without the backend having to renumber the entries after a skipped one.
    """

    keys: tuple[str, ...]


def check_distinct(entries: Sequence[BatchEntry]) -> None:
    """Two entries of one batch must not share a command key (the caller merges them)."""
    keys = [e.command_key for e in entries if e.command_key is not None]
    if len(set(keys)) != len(keys):
        raise ValueError("a batch holds the same command key twice")


class Trimmed(Exception):
    """``read()`` asked for records below the retained window: the client must resync."""

    def __init__(self, room: str = "", after: int = 0, first: int = 0) -> None:
        super().__init__(f"room {room!r}: records after {after} are not in this epoch's log")
        self.room = room
        self.after = after
        self.first = first


class LogUnavailable(ConnectionError):
    """The backend stayed unreachable for longer than its retry budget."""


class RoomLog(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def epoch(self, room: str) -> str:
        """Stable id of the current epoch of this room's log."""
        ...

    async def head(self, room: str) -> int:
        """Last seq (0 if empty)."""
        ...

    async def read(
        self, room: str, after: int, limit: int | None = None, *, epoch: str | None = None
    ) -> list[Record]:
        """Records with seq > after, oldest first, at most ``limit``.

        Raises ``Trimmed`` when records after ``after`` are gone, and also when ``after``
        lies beyond the head: that position belongs to an earlier epoch, and answering
        ``[]`` would leave its reader with a silent gap. With ``epoch`` (the epoch the
        reader's ``after`` belongs to), also when the log is now in another epoch: a
        reader at seq 2 of a trimmed log must not take seq 3 of the next one as its own.
        """
        ...

    async def append_batch(
        self, room: str, expect: int, entries: Sequence[BatchEntry]
    ) -> list[Committed] | Conflict | DuplicateKeys:
        """Append every entry, in order, as seq expect+1.. in one atomic step.

        All or nothing: ``DuplicateKeys`` if any entry's key was already applied (checked
        first: a resent command's key wins over a stale ``expect``), else ``Conflict(head)``
        if head != expect, else one fresh ``Committed`` per entry (an entry with no events
        gets empty records; its key is remembered). Keys must be distinct within a batch
        (``ValueError``). Returns only once the whole batch is durable for the backend.
        """
        ...

    async def lookup_many(self, room: str, command_keys: Sequence[str]) -> dict[str, Committed]:
        """The keys already applied, each with its original records and result, read in
        one round trip (a batch's refusals ask about all their keys at once)."""
        ...

    def watch(self, room: str) -> AsyncIterator[int]:
        """Yield head values as the log grows; ends on close.

        The first value is the head once the watch is in place (so nothing appended
        while the consumer was loading is missed). Values are wake-ups: some may be
        skipped, none repeats; the consumer reads the log from its own last seq. When
        the room is trimmed (a new epoch) the watch yields 0, always, before any head
        of the new epoch: check ``epoch()``, or pass ``epoch=`` to ``read``. (That 0
        may rarely come twice for one trim; it only asks for an epoch check.)
        """
        ...

    async def rooms(self) -> list[str]:
        """Rooms with a live log."""
        ...

    async def trim(self, room: str) -> None:
        """Drop the live log now (a deleted town hall; a new epoch starts if reused)."""
        ...

    async def retire(self, room: str, after_s: float) -> None:
        """The session is archived: its live log may go in ``after_s`` seconds (Redis
        expires the room's keys). A log held in durable storage (memory:// with a store)
        stays: it is the embedded server's only copy of the raw log."""
        ...

    def health(self) -> dict[str, Any]:
        """``{"backend": "redis", "ok": bool, "error": str | None}``."""
        ...


class HeadSlot:
    """One watcher's mailbox of head values: keeps only the newest, never repeats one.

    Backends post every head they learn (from an append, a pub/sub wake-up or a re-read
    after a reconnect); the watcher wakes once for any number of posts. A ``reset`` (the
    room was trimmed, a new epoch began) is never coalesced away: the watcher always gets
    a 0 first, even if the new epoch has already grown past the old head.
    """

    __slots__ = ("_closed", "_event", "_last", "_pending", "_reset")

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._pending: int | None = None
        self._last = -1
        self._reset = False
        self._closed = False

    def post(self, head: int, *, reset: bool = False) -> None:
        if reset:
            self._reset = True
            self._last = 0
            self._pending = head if head > 0 else None
        elif head > self._last and (self._pending is None or head > self._pending):
            self._pending = head
        else:
            return
        self._event.set()

    def close(self) -> None:
        self._closed = True
        self._event.set()

    async def next(self) -> int | None:
        """The next head to yield, or None once closed."""
        while True:
            if self._closed:
                return None
            if self._reset:
                self._reset = False
                return 0
            pending = self._pending
            if pending is not None:
                self._pending = None
                self._last = pending
                return pending
            self._event.clear()
            await self._event.wait()

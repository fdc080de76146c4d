"""The ``memory://`` room log: the embedded mode's log, in one process.

Records live in a list per room, so an append costs O(events) and a read O(records
returned): a vote storm of thousands of appends per second stays cheap. Durability comes
from an injected ``Store`` (townhall writes to SQLite): an append is acknowledged only
after ``Store.save_batch`` returned, and a room is loaded from the store when first touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from realtime.log.contract import (
    BatchEntry,
    Committed,
    Conflict,
    DuplicateKeys,
    HeadSlot,
    NewEvent,
    Record,
    Trimmed,
    check_distinct,
)
from realtime.log.store import SaveEntry, Store, new_epoch

__all__ = ["MemoryLog", "SaveEntry", "Store", "new_epoch"]


class _Room:
    __slots__ = ("commands", "epoch", "lock", "records")

    def __init__(self, epoch: str, records: list[Record], commands: dict[str, Committed]) -> None:
        self.epoch = epoch
        self.records = records  # records[i].seq == i + 1: the whole epoch is kept
        self.commands = commands
        # Only needed with a store: without one nothing awaits between check and apply.
        self.lock = asyncio.Lock()


class MemoryLog:
    """In-process ``RoomLog``; with a ``Store``, appends are durable before they return."""

    def __init__(self, store: Store | None = None) -> None:
        self._store = store
        self._rooms: dict[str, _Room] = {}
        self._loading: dict[str, asyncio.Future[_Room]] = {}
        self._slots: dict[str, set[HeadSlot]] = {}
        self._closed = False
        self._error: str | None = None

    async def start(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        for slots in self._slots.values():
            for slot in slots:
                slot.close()

    async def _room(self, room: str) -> _Room:
        state = self._rooms.get(room)
        if state is not None:
            return state
        if self._store is None:
            state = self._rooms[room] = _Room(new_epoch(), [], {})
            return state
        # Concurrent first touches share one load, so nobody works on a second copy.
        pending = self._loading.get(room)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[_Room] = asyncio.get_running_loop().create_future()
        self._loading[room] = future
        try:
            loaded = await self._store.load(room)
            if loaded is None:
                state = _Room(new_epoch(), [], {})
            else:
                epoch, records, commands = loaded
                # The store is another package's code: a gap here would be served as truth.
                if any(r.seq != i for i, r in enumerate(records, 1)):
                    raise ValueError(f"store returned a log with a gap for room {room!r}")
                state = _Room(epoch, list(records), dict(commands))
            self._rooms[room] = state
            future.set_result(state)
            return state
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here: waiters re-raise it, nobody else must
            raise
        finally:
            del self._loading[room]

    async def epoch(self, room: str) -> str:
        return (await self._room(room)).epoch

    async def head(self, room: str) -> int:
        return len((await self._room(room)).records)

    async def read(
        self, room: str, after: int, limit: int | None = None, *, epoch: str | None = None
    ) -> list[Record]:
        state = await self._room(room)
        records = state.records
        if after < 0 or after > len(records) or (epoch is not None and epoch != state.epoch):
            raise Trimmed(room, after, 1)
        end = len(records) if limit is None else min(len(records), after + max(limit, 0))
        return records[after:end]

    async def append_batch(
        self, room: str, expect: int, entries: Sequence[BatchEntry]
    ) -> list[Committed] | Conflict | DuplicateKeys:
        check_distinct(entries)
        state = await self._room(room)
        if self._store is None:
            return self._apply_batch(room, state, expect, entries)
        async with state.lock:
            outcome = self._check_batch(state, expect, entries)
            if outcome is not None:
                return outcome
            saved: list[SaveEntry] = []
            seq = expect
            for entry in entries:
                records = self._records(seq, entry.events, entry.command_key)
                seq += len(records)
                if records or entry.command_key is not None:
                    saved.append((records, entry.command_key, entry.result))
            if saved:
                try:
                    await self._store.save_batch(room, state.epoch, saved)
                except Exception as exc:
                    self._error = f"store: {exc!r}"
                    raise
                self._error = None
            return self._apply_batch(room, state, expect, entries)

    @staticmethod
    def _check_batch(
        state: _Room, expect: int, entries: Sequence[BatchEntry]
    ) -> Conflict | DuplicateKeys | None:
        done = tuple(
            e.command_key
            for e in entries
            if e.command_key is not None and e.command_key in state.commands
        )
        if done:
            return DuplicateKeys(done)
        if len(state.records) != expect:
            return Conflict(len(state.records))
        return None

    def _apply_batch(
        self, room: str, state: _Room, expect: int, entries: Sequence[BatchEntry]
    ) -> list[Committed] | Conflict | DuplicateKeys:
        # Checked again with no await before the apply (with a store: under its lock).
        outcome = self._check_batch(state, expect, entries)
        if outcome is not None:
            return outcome
        out: list[Committed] = []
        for entry in entries:
            records = self._records(len(state.records), entry.events, entry.command_key)
            committed = Committed(records, dict(entry.result), False)
            state.records.extend(records)
            if entry.command_key is not None:
                state.commands[entry.command_key] = committed
            out.append(committed)
        if len(state.records) > expect:
            head = len(state.records)
            for slot in self._slots.get(room, ()):
                slot.post(head)
        return out

    @staticmethod
    def _records(expect: int, events: Sequence[NewEvent], cause: str | None) -> tuple[Record, ...]:
        return tuple(
            Record(expect + i, e.name, e.data, e.at, cause) for i, e in enumerate(events, 1)
        )

    async def lookup_many(self, room: str, command_keys: Sequence[str]) -> dict[str, Committed]:
        commands = (await self._room(room)).commands
        return {
            key: Committed(done.records, done.result, True)
            for key in command_keys
            if (done := commands.get(key)) is not None
        }

    async def watch(self, room: str) -> AsyncIterator[int]:
        slot = HeadSlot()
        self._slots.setdefault(room, set()).add(slot)
        try:
            if self._closed:
                return
            slot.post(len((await self._room(room)).records))
            while (head := await slot.next()) is not None:
                yield head
        finally:
            slots = self._slots.get(room)
            if slots is not None:
                slots.discard(slot)
                if not slots:
                    del self._slots[room]

    async def rooms(self) -> list[str]:
        live = {room for room, state in self._rooms.items() if state.records}
        if self._store is not None:
            live.update(await self._store.rooms())
        return sorted(live)

    async def retire(self, room: str, after_s: float) -> None:
        return None  # the store (or this process) is the only copy: kept

    async def trim(self, room: str) -> None:
        state = await self._room(room)
        async with state.lock:
            epoch = new_epoch()
            if self._store is not None:
                await self._store.save_batch(room, epoch, ())
            state.epoch = epoch
            state.records = []
            state.commands = {}
        for slot in self._slots.get(room, ()):
            slot.post(0, reset=True)

    def health(self) -> dict[str, Any]:
        return {"backend": "memory", "ok": self._error is None, "error": self._error}

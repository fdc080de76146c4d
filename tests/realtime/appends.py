"""One command's append and lookup, written with the log contract's batch calls: what the
engine does for a batch of one, answered as a resend is answered."""

from __future__ import annotations

from collections.abc import Sequence

from realtime.log import BatchEntry, Committed, Conflict, DuplicateKeys, NewEvent, RoomLog


async def append(
    log: RoomLog,
    room: str,
    expect: int,
    events: Sequence[NewEvent],
    key: str | None,
    result: dict[str, str],
) -> Committed | Conflict:
    """A key already applied gives its original outcome (``duplicate``), even against a
    stale ``expect``; else ``Conflict`` or the fresh ``Committed``."""
    outcome = await log.append_batch(room, expect, [BatchEntry(events, key, result)])
    if isinstance(outcome, DuplicateKeys):
        assert key is not None
        return (await log.lookup_many(room, [key]))[key]
    if isinstance(outcome, Conflict):
        return outcome
    return outcome[0]


async def lookup(log: RoomLog, room: str, key: str) -> Committed | None:
    return (await log.lookup_many(room, [key])).get(key)

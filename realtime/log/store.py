"""The durable sink of the embedded log (``memory://``), and epoch ids.

townhall implements ``Store`` on SQLite (townhall/logstore.py); ``MemoryLog`` calls it
before acknowledging an append.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from realtime.log.contract import Committed, Record

__all__ = ["SaveEntry", "Store", "new_epoch"]

# One command's share of a batch save: (records, command key, ack result).
SaveEntry = tuple[Sequence[Record], str | None, dict[str, str]]


class Store(Protocol):
    """Durable sink of the embedded mode.

    ``save_batch`` is called once per batched append, before it is acknowledged, with
    the room's current epoch and, per entry, the records it appended and its command
    key (``None`` for server-made events) with its ack result, all in one transaction
    (all saved or none). A save whose epoch differs from the stored one starts a new
    epoch (``trim`` saves the new epoch with no entries): ``load`` returns only the
    latest epoch, and ``rooms`` lists the rooms whose latest epoch holds at least one
    record.
    """

    async def load(self, room: str) -> tuple[str, list[Record], dict[str, Committed]] | None: ...

    async def save_batch(self, room: str, epoch: str, entries: Sequence[SaveEntry]) -> None: ...

    async def rooms(self) -> list[str]: ...


def new_epoch() -> str:
    return uuid.uuid4().hex

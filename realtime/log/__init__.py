"""The room log: its contract (``realtime.log.contract``, re-exported here) and backends.

- ``realtime.log.memory``: ``memory://``, one process, durable through an injected
  ``Store`` (``realtime.log.store``).
- ``realtime.log.redis``: ``redis://``, one Stream per room shared by every worker.

``realtime.server.open_log`` builds the backend a URL names.
"""

from __future__ import annotations

from realtime.log.contract import (
    BatchEntry,
    Committed,
    Conflict,
    DuplicateKeys,
    HeadSlot,
    LogUnavailable,
    NewEvent,
    Record,
    RoomLog,
    Trimmed,
)

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

"""The record of a session (SPEC §8) rebuilt from its log, for the archive.

The live room keeps only the head (``RoomState.head``, folded by ``TownhallDomain.apply``
on every worker); the archive needs every event's public data and hash, so it loads and
folds the log once more through the very same ``load`` and ``apply``. Its head must
equal the live one.
"""

from __future__ import annotations

from collections.abc import Sequence

from facilitation.record import ALGORITHM
from realtime.log import Record as LogRecord
from realtime.wire import timestamp
from townhall.archive.bundle import Record, RecordEvent
from townhall.domain import TownhallDomain

__all__ = ["record_of"]


def record_of(room: str, records: Sequence[LogRecord]) -> Record:
    """Every event of ``records`` (the room's log, from seq 1) with its public data and
    the chain's hash after it. CPU-bound (a fold of the whole log): run it off the loop."""
    domain = TownhallDomain()
    state = domain.initial(room)
    events = []
    for record in records:
        state, name, data = domain.advance(state, domain.load(record))
        events.append(
            RecordEvent(
                seq=state.seq, name=name, data=dict(data), at=timestamp(record.at),
                hash=state.head,
            )
        )  # fmt: skip
    return Record(algorithm=ALGORITHM, head=state.head, events=tuple(events))

"""The record of a session (SPEC §8) rebuilt from its log, for the archive.

The live room keeps only the head (``RoomState.head``, folded by ``TownhallDomain.apply``
on every worker); the archive needs every event's public data and hash, so it folds the
log once more through the very same ``apply``. Its head must equal the live one.
"""

from __future__ import annotations

from collections.abc import Sequence

from facilitation.record import ALGORITHM, public_data
from realtime.log import Record as LogRecord
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
        state = domain.apply(state, record)
        data = dict(public_data(record.name, record.data, state))
        events.append(
            RecordEvent(seq=record.seq, name=record.name, data=data, at=record.at, hash=state.head)
        )
    return Record(algorithm=ALGORITHM, head=state.head, events=tuple(events))

"""From the live log to the SQL archive, and the town hall's status row kept in step.

The archive runs when a worker sees a room's state reach ``ended``. It is idempotent
(the writer replaces the room's rows in one transaction), so a crash between
``session.end`` and the commit is repaired by running it again at the next start:
rooms whose row says ``live`` or ``ended`` but never ``archived`` are loaded then.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime

import sqlalchemy as sa

from facilitation.room import RoomState
from realtime.log import RoomLog
from townhall.archive.from_state import bundle_from_state
from townhall.archive.writer import archive
from townhall.db import SessionFactory
from townhall.db.models import TownHallRow
from townhall.metrics import default_metrics

log = logging.getLogger("townhall.archiving")

_town = TownHallRow.__table__  # type: ignore[attr-defined]


def _row_values(state: RoomState) -> dict[str, object]:
    s = state.session
    values: dict[str, object] = {"settings": asdict(state.settings)}
    if s.title:  # an untitled room keeps the title it was created with
        values.update(title=s.title, description=s.description, language=s.language)
    if s.status != "scheduled":
        values.update(status=s.status, started_at=s.started)
    if s.status == "ended":
        values["ended_at"] = s.ended
    return values


class Archiver:
    def __init__(
        self, sessions: SessionFactory, room_log: RoomLog, log_retention_s: float = 86_400
    ) -> None:
        self._sessions = sessions
        self._log = room_log
        self._retention_s = log_retention_s
        self._synced: dict[str, dict[str, object]] = {}
        self.last_duration_s: float | None = None

    async def unfinished_rooms(self) -> list[str]:
        async with self._sessions() as session:
            rows = await session.execute(
                sa.select(_town.c.id).where(_town.c.status.in_(("live", "ended")))
            )
            return [room for (room,) in rows]

    async def sync_status(self, room: str, state: RoomState) -> None:
        """Mirror the session's lifecycle, title and settings into its row: REST reads
        the row (PATCH checks the status; GET and the list show title and settings),
        and a facilitator may change settings while the meeting is live. One UPDATE per
        change per worker; nothing while nothing changes."""
        values = _row_values(state)
        if self._synced.get(room) == values:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                sa.update(_town)
                .where(_town.c.id == room, _town.c.status.in_(("scheduled", "live")))
                .values(**values)
            )
        self._synced[room] = values

    def forget(self, room: str) -> None:
        """The room was unloaded from this worker: drop what was mirrored of it."""
        self._synced.pop(room, None)

    async def archive_room(self, room: str, state: RoomState) -> None:
        await self.sync_status(room, state)
        started = time.perf_counter()
        async with self._sessions() as session:
            row = (await session.execute(sa.select(_town).where(_town.c.id == room))).one_or_none()
        if row is None:
            return  # deleted meanwhile: nothing to keep
        if row.status == "archived":
            await self._log.retire(room, self._retention_s)  # a retire that failed before
            return
        records = await self._log.read(room, 0)
        epoch = await self._log.epoch(room)
        bundle = bundle_from_state(
            state, records, epoch=epoch, ballot_secret=row.ballot_secret, townhall=row
        )
        await archive(self._sessions, bundle, now=datetime.now(UTC))
        self.last_duration_s = time.perf_counter() - started
        default_metrics().archive_duration.observe(self.last_duration_s)
        log.info("archived room %s in %.3f s", room, self.last_duration_s)
        # The archive is the record now; Redis may let the live log go after a while.
        await self._log.retire(room, self._retention_s)

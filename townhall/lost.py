"""Lost live state is never silent.

A town hall's live log is its only record until the session is archived. With several
workers it lives in Redis: a Redis restarted without its data (no AOF, a flushed or
replaced server) starts every room over in an empty new epoch. Without a check a live
meeting would reopen empty, its record gone, while /health said ok.

SQL knows better: a town hall whose row says ``live`` or ``ended`` has started, so its
log holds a ``session.started``. A room whose log does not is lost. Found at start, at
each ``hello``, on every clock tick for the rooms this worker holds and in a sweep of all
live rooms every few seconds; then it is logged (ERROR, once), reported on /health
(``degraded``, ``lost_rooms``), its connections are closed and every ``hello`` refused
with ``state_lost``, and nothing of the empty room is written back to SQL. It stays so
until the log is back (Redis restored from its AOF or a backup).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from facilitation.room import RoomState
from realtime.application import Refused
from realtime.log import RoomLog, Trimmed
from townhall.db import SessionFactory
from townhall.db.models import TownHallRow

__all__ = ["STATE_LOST", "LostRooms"]

log = logging.getLogger("townhall.lost")

STATE_LOST = "state_lost"
STARTED = ("live", "ended")  # SQL statuses whose room must hold a session.started
CONFIRM_EVERY_S = 2.0  # a suspicion (maybe only a worker lagging) re-read at most this often

_town = TownHallRow.__table__  # type: ignore[attr-defined]


class LostRooms:
    """The rooms of this server whose live log vanished, as this worker knows them."""

    def __init__(
        self,
        sessions: SessionFactory,
        room_log: RoomLog,
        held: Callable[[], dict[str, RoomState]],
        load: Callable[[str], Awaitable[RoomState]],
    ) -> None:
        self._sessions = sessions
        self._log = room_log
        self._held = held
        self._load = load
        self.lost: dict[str, str] = {}  # room -> its status in SQL
        self._sql: dict[str, str] = {}  # live and ended rooms, as of the last sweep
        self._confirmed_at: dict[str, float] = {}
        self.on_lost: Callable[[str], None] = lambda room: None

    def __contains__(self, room: object) -> bool:
        return room in self.lost

    def health(self) -> dict[str, Any]:
        return {"ok": not self.lost, "lost_rooms": sorted(self.lost)}

    # -- where rooms are checked ------------------------------------------------------

    async def sweep(self) -> None:
        """Every live or ended town hall of SQL: a room held here is checked against its
        state, any other by its log's head (an empty log has lost everything)."""
        async with self._sessions() as session:
            rows = await session.execute(
                sa.select(_town.c.id, _town.c.status).where(_town.c.status.in_(STARTED))
            )
            self._sql = {str(room): str(status) for room, status in rows}
        for room in [r for r in self.lost if r not in self._sql]:  # archived or deleted
            self._clear(room, "its town hall is no longer live")
        held = self._held()
        for room, status in self._sql.items():
            state = held.get(room)
            if state is not None:
                await self.check_state(room, status, state)
            elif await self._log.head(room) == 0:
                self._found(room, status)
            elif room in self.lost:
                self._clear(room, "its log is back")

    async def tick(self) -> None:
        """The rooms held here, against the statuses of the last sweep (no I/O unless
        one looks lost)."""
        for room, state in self._held().items():
            status = self._sql.get(room)
            if status is not None:
                await self.check_state(room, status, state)

    async def verify(self, room: str, status: str) -> None:
        """At ``hello``: refuse (``state_lost``) instead of showing an empty room."""
        if room not in self.lost and status in STARTED:
            await self.check_state(room, status, await self._load(room))
        if room in self.lost:
            raise Refused(
                STATE_LOST,
                "this town hall's live record was lost on the server (its Redis data is "
                "gone); reconnecting cannot help: tell the organiser",
            )

    async def check_state(self, room: str, status: str, state: RoomState) -> None:
        if status not in STARTED:
            return
        if state.session.status != "scheduled":
            if room in self.lost:
                self._clear(room, "its log is back")
            return
        if room in self.lost:
            return
        # Maybe only this worker lagging behind the log: the log itself decides.
        now = time.monotonic()
        if now - self._confirmed_at.get(room, 0.0) < CONFIRM_EVERY_S:
            return
        self._confirmed_at[room] = now
        try:
            records = await self._log.read(room, 0)
        except Trimmed:
            return  # a window of a long log: it is there
        if not any(r.name == "session.started" for r in records):
            self._found(room, status)

    # -- what follows ------------------------------------------------------------------

    def _found(self, room: str, status: str) -> None:
        if room in self.lost:
            return
        self.lost[room] = status
        log.error(
            "town hall %s is %s in the database but its live log is gone (empty or a new "
            "epoch without session.started): its live record was lost, most likely Redis "
            "restarted without persistence. Its links answer %s until the log is restored "
            "(see docs/operations.md, 'Redis').",
            room,
            status,
            STATE_LOST,
        )
        self.on_lost(room)

    def _clear(self, room: str, why: str) -> None:
        if self.lost.pop(room, None) is not None:
            self._confirmed_at.pop(room, None)
            log.warning("town hall %s is no longer reported lost: %s", room, why)

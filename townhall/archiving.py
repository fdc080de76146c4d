"""From the live log to the SQL archive, and the town hall's status row kept in step.

The archive runs when a worker sees a room's state reach ``ended``. It is idempotent
(the writer replaces the room's rows in one transaction), so a crash between
``session.end`` and the commit is repaired by running it again at the next start:
rooms whose row says ``live`` or ``ended`` but never ``archived`` are loaded then.

Secret ballots (docs/decisions/0007-ballot-vault.md): the archive lists who voted with
the room's ballot secret, writes the log's secret votes without ballot keys, causes or
arrival order, drops the room's command keys, then destroys the secret in the vault.
A live copy of the log in Redis that held secret votes is let go at once (and the
room's links answer ``session_archived`` from then on), not after the retention.

An archive that fails (a database refusing a value, a full disk) is retried with a
growing delay, 2 s doubling up to an hour; the failures, the last reason and the next
try are kept on the town hall's row (the API shows them) and each step is logged once.
After ``QUARANTINE_AFTER`` failures in a row the room is quarantined: retried hourly,
listed on ``/health``, and an operator should look. Whichever loop calls
``archive_room`` (a clock, an event hook), it never spins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from anyio import to_thread

from facilitation.room import RoomState
from realtime.log import RoomLog
from townhall.archive.from_state import bundle_from_state
from townhall.archive.writer import archive
from townhall.ballots import BallotVault
from townhall.db import SessionFactory
from townhall.db.models import TownHallRow
from townhall.metrics import default_metrics
from townhall.record import record_of

log = logging.getLogger("townhall.archiving")

_town = TownHallRow.__table__  # type: ignore[attr-defined]

QUARANTINE_AFTER = 5
FIRST_DELAY_S = 2.0
MAX_DELAY_S = 3600.0


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


def _reason(exc: BaseException) -> str:
    """The failure's kind and the first line of its message, short: it is shown in the
    API and logged once per back-off step."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:300]


def delay_after(failures: int) -> float:
    """Seconds before the next attempt after ``failures`` failures in a row."""
    if failures >= QUARANTINE_AFTER:
        return MAX_DELAY_S
    return float(min(MAX_DELAY_S, FIRST_DELAY_S * 2.0 ** (failures - 1)))


class Archiver:
    def __init__(
        self,
        sessions: SessionFactory,
        room_log: RoomLog,
        log_retention_s: float = 86_400,
        vault: BallotVault | None = None,
        *,
        live_copy_elsewhere: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``live_copy_elsewhere``: the live log lives outside SQL (Redis), and is let go
        at once after the archive when it held secret votes. ``clock``: wall time (UTC),
        which the back-off counts in."""
        self._clock = clock
        self._sessions = sessions
        self._log = room_log
        self._retention_s = log_retention_s
        self._vault = vault
        self._drop_secret_copies = live_copy_elsewhere
        self._synced: dict[str, dict[str, object]] = {}
        self._next_try: dict[str, datetime] = {}  # room -> when its archive may run again
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

    async def destroy_secret(self, room: str) -> None:
        """The town hall is deleted: its ballot secret goes with it."""
        if self._vault is not None:
            await self._vault.destroy(room)

    def changed(self, room: str, state: RoomState) -> bool:
        """Whether ``sync_status`` would write (the row differs from ``state``)."""
        return self._synced.get(room) != _row_values(state)

    def forget(self, room: str) -> None:
        """The room was unloaded from this worker: drop what was mirrored of it."""
        self._synced.pop(room, None)
        self._next_try.pop(room, None)

    async def health(self) -> dict[str, object]:
        """Rooms whose archive keeps failing (from every worker: read from SQL)."""
        async with self._sessions() as session:
            rows = await session.execute(
                sa.select(_town.c.id, _town.c.archive_failures).where(
                    _town.c.archive_failures > 0, _town.c.status != "archived"
                )
            )
            failing = {str(room): int(n) for room, n in rows}
        return {
            "failing": len(failing),
            "quarantined": sorted(r for r, n in failing.items() if n >= QUARANTINE_AFTER),
        }

    async def archive_room(self, room: str, state: RoomState) -> bool:
        """Archive ``room`` unless its back-off says not yet; True once archived. Never
        raises for a failing archive: the failure is recorded and the next try planned."""
        due = self._next_try.get(room)
        if due is not None and self._clock() < due:
            return False
        try:
            return await self._archive(room, state)
        except Exception as exc:
            await self._failed(room, exc)
            return False

    async def _archive(self, room: str, state: RoomState) -> bool:
        await self.sync_status(room, state)
        started = time.perf_counter()
        async with self._sessions() as session:
            row = (await session.execute(sa.select(_town).where(_town.c.id == room))).one_or_none()
        if row is None:
            return True  # deleted meanwhile: nothing to keep
        if row.archive_retry_at is not None and row.archive_retry_at > self._clock():
            # Another worker (or this one before a restart) planned the next try.
            self._next_try[room] = row.archive_retry_at
            return False
        if row.status == "archived":
            await self._let_go(room, row.log_expires_at)  # a step that failed before
            return True
        secret = None if self._vault is None else await self._vault.secret(room, create=False)
        records = await self._log.read(room, 0)
        epoch = await self._log.epoch(room)
        # A fold of the whole log (the record's hash of every event): off the loop, so
        # the live rooms of this worker keep being served meanwhile.
        record = await to_thread.run_sync(record_of, room, records)
        if record.head != state.head:
            log.error(
                "room %s: the record's head %s differs from the live head %s",
                room, record.head, state.head,
            )  # fmt: skip
        bundle = bundle_from_state(
            state, records, epoch=epoch, ballot_secret=secret, townhall=row, record=record
        )
        now = self._clock()
        secret_votes = any(p.secret and p.ballots for p in bundle.polls)
        at_once = self._drop_secret_copies and secret_votes
        expires = now if at_once else now + timedelta(seconds=self._retention_s)
        await archive(self._sessions, bundle, now=now, log_expires_at=expires)
        self.last_duration_s = time.perf_counter() - started
        default_metrics().archive_duration.observe(self.last_duration_s)
        log.info("archived room %s in %.3f s", room, self.last_duration_s)
        self._next_try.pop(room, None)
        await self._let_go(room, expires)
        return True

    async def _let_go(self, room: str, expires: datetime | None) -> None:
        """After the commit: the secret goes for good, and the live log in its time."""
        if self._vault is not None:
            await self._vault.destroy(room)
        left = self._retention_s
        if expires is not None:
            left = (expires - self._clock()).total_seconds()
        # The archive is the record now; Redis may let the live log go (at once, if it
        # held secret votes: the archived copy holds them without keys and order).
        await self._log.retire(room, max(0.0, left))

    async def _failed(self, room: str, exc: Exception) -> None:
        reason = _reason(exc)
        failures = 1
        now = self._clock()
        try:
            async with self._sessions.begin() as session:
                found = await session.execute(
                    sa.select(_town.c.archive_failures).where(_town.c.id == room)
                )
                failures = (found.scalar_one_or_none() or 0) + 1
                delay = delay_after(failures)
                await session.execute(
                    sa.update(_town)
                    .where(_town.c.id == room)
                    .values(
                        archive_failures=failures,
                        archive_error=reason,
                        archive_retry_at=now + timedelta(seconds=delay),
                    )
                )
        except Exception as again:  # the database itself is down: keep it in memory
            log.warning("could not record the failed archive of room %s: %s", room, again)
        delay = delay_after(failures)
        self._next_try[room] = now + timedelta(seconds=delay)
        if failures == 1:
            log.exception("archive of room %s failed; next try in %.0f s", room, delay)
        elif failures == QUARANTINE_AFTER:
            log.error(
                "archive of room %s failed %d times (%s): quarantined, retried hourly; "
                "see GET /api/townhalls/%s and /health",
                room, failures, reason, room,
            )  # fmt: skip
        else:
            log.warning(
                "archive of room %s failed again (%d in a row, %s); next try in %.0f s",
                room, failures, reason, delay,
            )  # fmt: skip

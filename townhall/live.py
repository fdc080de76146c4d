"""The live rooms of one worker: organiser commands, the clock, and the archive.

Timers are commands: every worker that holds a room fires its due deadlines as
``TimerExpired``. Deciding one is idempotent and appends go through the log's
compare-and-set, so when several workers fire the same deadline only the first one
changes anything: each deadline takes effect exactly once, and keeps taking effect
when the worker that scheduled it is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, datetime
from typing import Any

from facilitation.base import ORGANISER, Role
from facilitation.room import RoomState, next_deadlines
from realtime.application import Principal, Refused
from realtime.server import Realtime
from townhall.archiving import Archiver
from townhall.domain import JOIN, PRESENCE, TIMER, Member, TownhallDomain, iso
from townhall.lost import STATE_LOST, LostRooms
from townhall.ports import CommandRefused
from townhall.presence import Presence

log = logging.getLogger("townhall.live")

TICK_S = 0.2
PRESENCE_S = 1.0  # observer counts are coalesced to at most one event per second
SWEEP_S = 5.0  # every live town hall's log checked for loss (townhall.lost)
LINK_CHECK_S = 2.0  # how soon a rotation reaches connections held by other workers
# A room nobody on this worker has been connected to for this long, with no deadline to
# fire and nothing left to archive, is unloaded (a long-running server holds thousands
# of ended meetings otherwise). The next connection or command loads it from the log.
IDLE_UNLOAD_S = 300.0

# The live link version of each role of some rooms, keyed "room/role" (townhall.access).
LinkVersions = Callable[[Collection[str]], Awaitable[dict[str, int]]]


def organiser_principal(room: str) -> Principal:
    return Principal(
        room=room,
        key="organiser",
        audience="facilitator",
        can_send=True,
        you={"participant": ORGANISER.participant, "role": "organiser", "name": "Organiser"},
        resume_token=None,
        info=Member(actor=ORGANISER, name="Organiser", ballot_secret=None),
    )


class LiveRooms:
    """Implements ``townhall.ports.RoomCommands`` and runs the clock of this worker."""

    def __init__(
        self,
        realtime: Realtime[RoomState],
        archiver: Archiver,
        link_versions: LinkVersions,
        presence: Presence,
        idle_unload_s: float = IDLE_UNLOAD_S,
        lost: LostRooms | None = None,
    ) -> None:
        self._rt = realtime
        self._lost = lost
        self._swept = 0.0
        if lost is not None:  # its people are told (state_lost at their next hello)
            lost.on_lost = self._close_lost
        self._idle_unload_s = idle_unload_s
        self._idle_since: dict[str, float] = {}
        self._presence = presence
        self._presence_sent = 0.0
        self._archiver = archiver
        self._link_versions = link_versions
        self._links_checked = 0.0
        self._moderation_seen: dict[str, int] = {}
        self._archiving: dict[str, asyncio.Task[None]] = {}
        self._archived: set[str] = set()
        self._fired: dict[tuple[str, str, str, str], float] = {}
        self._clock: asyncio.Task[None] | None = None
        self.domain = TownhallDomain()

    async def start(self, rooms: list[str]) -> None:
        # Rooms left live or ended by a previous run: load them so their timers fire
        # and a session that ended before its archive finished is archived now.
        for room in rooms:
            try:
                await self._rt.state(room)
            except Exception:
                log.exception("could not load room %s at start", room)
        if self._lost is not None:
            await self._lost.sweep()  # before serving: lost rooms are refused from the start
            self._swept = time.monotonic()
        self._clock = asyncio.create_task(self._run_clock())

    async def close(self) -> None:
        tasks = [t for t in [self._clock, *self._archiving.values()] if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._presence.close()

    # -- RoomCommands ----------------------------------------------------------------

    async def run_as_organiser(
        self, room: str, type: str, data: dict[str, Any], key: str | None = None
    ) -> dict[str, str]:
        try:
            _, result = await self._rt.execute(
                organiser_principal(room), type, data, f"organiser:{key}" if key else None
            )
        except Refused as exc:
            raise CommandRefused(exc.code, exc.message) from None
        return result

    async def room_view(self, room: str) -> dict[str, Any]:
        state = await self._rt.state(room)
        return self.domain.snapshot(state, organiser_principal(room))

    async def disconnect(self, room: str, roles: frozenset[str]) -> None:
        self._rt.disconnect(room, lambda p: str(p.you.get("role")) in roles, "link_rotated")

    async def drop(self, room: str) -> None:
        await self._rt.log.trim(room)
        await self._archiver.destroy_secret(room)

    def _close_lost(self, room: str) -> None:
        self._rt.disconnect(room, lambda principal: True, STATE_LOST)

    def _close_removed(self, room: str, state: RoomState) -> None:
        """Removal disconnects (SPEC §2): close the sockets of people removed since."""
        seen = self._moderation_seen.get(room, 0)
        if len(state.moderation) == seen:
            return
        self._moderation_seen[room] = len(state.moderation)
        removed = {p.id for p in state.people.by_id.values() if p.status == "removed" or p.banned}
        if not removed:
            return

        def gone(principal: Principal) -> bool:
            member = principal.info
            return isinstance(member, Member) and member.actor.participant in removed

        self._rt.disconnect(room, gone, "removed")

    async def update_presence(self) -> None:
        for room, state in self._rt.states().items():
            if state.session.status == "ended":
                continue
            local = self._rt.counts(room).get("observer", 0)
            total = await self._presence.total(room, local)
            if total != state.people.observers:
                await self._rt.server_command(room, PRESENCE, {"observers": total})

    async def rejoin_connected(self) -> None:
        """Bring back people still connected here whose leave another worker recorded.

        One person may hold several connections on several workers (a member's phone
        and laptop, two tabs of one browser); each worker records a leave when its own
        last connection of that person closes. Another worker still holding one of their
        connections sees them marked gone and joins them again (within a second), so
        someone with a device in the room stays able to act and vote. The minutes show
        the short gap as a leave and a return."""
        engine = self._rt
        for room, state in engine.states().items():
            if state.session.status == "ended":
                continue
            gone: dict[str, Principal] = {}
            for principal in engine.principals(room):
                member = principal.info
                if not isinstance(member, Member) or member.actor.role is Role.OBSERVER:
                    continue
                person = state.people.by_id.get(member.actor.participant)
                if person is not None and person.status == "left":
                    gone[principal.key] = principal
            for principal in gone.values():
                try:
                    await engine.execute(principal, JOIN, {}, None)
                except Refused as exc:
                    log.info("rejoin in room %s refused: %s", room, exc.code)

    async def close_stale_links(self) -> None:
        """Close connections that came in by a link rotated since (on any worker): one
        grouped query for the rooms that have connections here, none when idle."""
        engine = self._rt
        connected = [room for room in engine.states() if any(engine.counts(room).values())]
        if not connected:
            return
        current = await self._link_versions(connected)

        def stale(principal: Principal) -> bool:
            member = principal.info
            if not isinstance(member, Member) or member.personal:
                return False
            live = current.get(f"{principal.room}/{member.actor.role}", 0)
            return member.link_version != live

        for room in connected:
            engine.disconnect(room, stale, "link_rotated")

    # -- the clock -------------------------------------------------------------------

    async def _run_clock(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                await self.tick(datetime.now(UTC))
            except Exception:
                log.exception("clock tick failed")

    async def tick(self, now: datetime) -> None:
        """Fire every due deadline of the rooms this worker holds; start due archives."""
        if time.monotonic() - self._presence_sent > PRESENCE_S:
            self._presence_sent = time.monotonic()
            await self.update_presence()
            await self.rejoin_connected()
        if time.monotonic() - self._links_checked > LINK_CHECK_S:
            self._links_checked = time.monotonic()
            await self.close_stale_links()
        if self._lost is not None:
            if time.monotonic() - self._swept > SWEEP_S:
                self._swept = time.monotonic()
                await self._lost.sweep()
            await self._lost.tick()
        for room, state in self._rt.states().items():
            if self._lost is not None and room in self._lost:
                continue  # an empty room in a new epoch: nothing of it may reach SQL
            await self._archiver.sync_status(room, state)
            self._close_removed(room, state)
            for deadline in next_deadlines(state):
                if deadline.at <= now:
                    await self._fire(room, deadline.kind, deadline.ref, deadline.at, now)
            if state.session.status == "ended" and room not in self._archived:
                self._start_archive(room, state)
            await self._unload_if_idle(room, state)

    async def _unload_if_idle(self, room: str, state: RoomState) -> None:
        idle = (
            not any(self._rt.counts(room).values())
            and not next_deadlines(state)
            and room not in self._archiving
            and (state.session.status != "ended" or room in self._archived)
        )
        if not idle:
            self._idle_since.pop(room, None)
            return
        clock = time.monotonic()
        since = self._idle_since.setdefault(room, clock)
        if clock - since >= self._idle_unload_s and await self._rt.unload(room):
            self._idle_since.pop(room, None)
            self._moderation_seen.pop(room, None)
            self._archiver.forget(room)
            log.info("room %s unloaded (idle on this worker)", room)

    async def _fire(self, room: str, kind: str, ref: str, at: datetime, now: datetime) -> None:
        # A deadline stays due until some worker's TimerExpired lands; do not hammer the
        # log while our own attempt is in flight or was just decided as a no-op.
        mark = (room, kind, ref, iso(at))
        clock = time.monotonic()
        last = self._fired.get(mark)
        if last is not None and clock - last < 1.0:
            return
        if len(self._fired) > 1000:  # marks only matter for a second: forget old ones
            self._fired = {k: v for k, v in self._fired.items() if clock - v < 1.0}
        self._fired[mark] = clock
        try:
            await self._rt.server_command(room, TIMER, {"kind": kind, "ref": ref})
        except Refused as exc:
            log.info("timer %s/%s in room %s refused: %s", kind, ref, room, exc.code)

    def _start_archive(self, room: str, state: RoomState) -> None:
        if room in self._archiving:
            return

        async def job() -> None:
            # The archiver keeps its own back-off (and quarantine) of a failing room.
            try:
                if await self._archiver.archive_room(room, state):
                    self._archived.add(room)
            finally:
                self._archiving.pop(room, None)

        self._archiving[room] = asyncio.create_task(job())

"""The live rooms of one worker: organiser commands, reactions to the log, the sweep.

Reactions ride on the data path: after records reach a room held here, whoever
appended them (``Realtime.on_applied``), this worker re-plans the room's deadlines
(``townhall.deadlines``: fired by the event loop at their time), closes the sockets of
people removed, mirrors the session's status into its row, brings back people still
connected here whose leave another worker recorded, and starts the archive once the
session has ended. Observer totals arrive once per presence tick when they changed
(``Realtime.on_presence``). One slow sweep remains, for what no record announces:
connections that came by a link rotated since, rooms idle on this worker, lost logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine
from typing import Any

from facilitation import views
from facilitation.base import ORGANISER, Actor, Role
from facilitation.room import Deadline, RoomState, next_deadlines
from realtime.application import Principal, Refused
from realtime.log import Record
from realtime.server import Realtime
from townhall.archiving import Archiver
from townhall.deadlines import Deadlines
from townhall.domain import JOIN, PRESENCE, TIMER, Member, TownhallDomain, viewer_of
from townhall.lost import STATE_LOST, LostRooms
from townhall.ports import CommandRefused

log = logging.getLogger("townhall.live")

SWEEP_EVERY_S = 2.0  # how soon a rotation reaches connections held by other workers
LOST_EVERY_S = 5.0  # every live town hall's log checked for loss (townhall.lost)
ARCHIVE_RETRY_S = 1.0  # the archiver keeps its own back-off; this is how often it is asked
# A room nobody on this worker has been connected to for this long, with no deadline to
# fire and nothing left to archive, is unloaded (a long-running server holds thousands
# of ended meetings otherwise). The next connection or command loads it from the log.
IDLE_UNLOAD_S = 300.0

# The live link version of each role of some rooms, keyed "room/role" (townhall.access).
LinkVersions = Callable[[Collection[str]], Awaitable[dict[str, int]]]


def _someone_left(record: Record) -> bool:
    if record.name == "participant.left":
        return True
    if record.name != "attendance.recorded":
        return False
    changes = record.data.get("changes")
    return isinstance(changes, list) and any(
        isinstance(c, dict) and c.get("status") == "left" for c in changes
    )


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


def captioner_principal(room: str, captioner: str) -> Principal:
    """A captioner posting over HTTP: no connection, no person in the room (SPEC §10)."""
    return Principal(
        room=room,
        key=captioner,
        audience="captioner",
        can_send=True,
        you={"participant": captioner, "role": "captioner", "name": "Captioner"},
        resume_token=None,
        info=Member(actor=Actor(captioner, Role.CAPTIONER), name="Captioner", ballot_secret=None),
    )


class LiveRooms:
    """Implements ``townhall.ports.RoomCommands``; reacts to what reaches the rooms."""

    def __init__(
        self,
        realtime: Realtime[RoomState],
        archiver: Archiver,
        link_versions: LinkVersions,
        idle_unload_s: float = IDLE_UNLOAD_S,
        lost: LostRooms | None = None,
    ) -> None:
        self._rt = realtime
        self._lost = lost
        self._lost_checked = 0.0
        if lost is not None:  # its people are told (state_lost at their next hello)
            lost.on_lost = self._close_lost
        self._idle_unload_s = idle_unload_s
        self._idle_since: dict[str, float] = {}
        self._archiver = archiver
        self._link_versions = link_versions
        self._moderation_seen: dict[str, int] = {}
        self._archiving: dict[str, asyncio.Task[None]] = {}
        self._archived: set[str] = set()
        self._to_sync: dict[str, RoomState] = {}
        self._syncing: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._deadlines = Deadlines(self._fire, self._deadlines_of)
        self.domain = TownhallDomain()
        realtime.on_applied(self._applied)
        realtime.on_presence(self._presence)

    async def start(self, rooms: list[str]) -> None:
        # Rooms left live or ended by a previous run: loading one applies its log, so its
        # deadlines are planned and a session that ended before its archive finished is
        # archived now.
        for room in rooms:
            try:
                await self._rt.state(room)
            except Exception:
                log.exception("could not load room %s at start", room)
        if self._lost is not None:
            await self._lost.sweep()  # before serving: lost rooms are refused from the start
            self._lost_checked = time.monotonic()
        self._sweeper = asyncio.create_task(self._run_sweep())

    async def close(self) -> None:
        tasks = [
            t
            for t in [self._sweeper, *self._archiving.values(), *self._syncing.values()]
            if t is not None
        ]
        tasks.extend(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._deadlines.close()

    async def settle(self) -> None:
        """Wait for the reactions started so far (status mirrors, archives, rejoins)."""
        while True:
            pending = [*self._archiving.values(), *self._syncing.values(), *self._tasks]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)

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

    async def run_as_captioner(
        self, room: str, captioner: str, text: str, key: str | None = None
    ) -> int:
        principal = captioner_principal(room, captioner)
        command_key = f"{captioner}:{key}" if key else None
        try:
            seq, _ = await self._rt.execute(
                principal, "transcript.append", {"text": text}, command_key
            )
        except Refused as exc:
            raise CommandRefused(exc.code, exc.message) from None
        return seq

    async def room_view(self, room: str) -> dict[str, Any]:
        state = await self._rt.state(room)
        # Plain values (the hub's welcomes may hold parts already encoded as JSON).
        return views.snapshot(state, viewer_of(organiser_principal(room)))

    async def disconnect(self, room: str, roles: frozenset[str]) -> None:
        self._rt.disconnect(room, lambda p: str(p.you.get("role")) in roles, "link_rotated")

    async def drop(self, room: str) -> None:
        await self._rt.log.trim(room)
        await self._archiver.destroy_secret(room)

    # -- reactions -------------------------------------------------------------------

    def _applied(self, room: str, records: list[Record], state: RoomState) -> None:
        """``Realtime.on_applied``: runs inside the apply, so it only plans and spawns."""
        if self._lost is not None and room in self._lost:
            # An empty room in a new epoch: nothing of it may reach SQL, no timer fires.
            self._deadlines.plan(room, [])
            return
        self._deadlines.plan(room, next_deadlines(state))
        self._close_removed(room, state)
        self._sync_soon(room, state)
        if any(_someone_left(r) for r in records):
            self._spawn(self._rejoin_connected(room))
        if state.session.status == "ended" and room not in self._archived:
            self._start_archive(room, state)

    async def _presence(self, room: str, totals: dict[str, int]) -> None:
        """``Realtime.on_presence``: the room's observers over every worker changed."""
        state = self._rt.states().get(room)
        if state is None or state.session.status == "ended":
            return
        if self._lost is not None and room in self._lost:
            return
        observers = totals.get("observer", 0)
        if observers != state.people.observers:
            await self._rt.server_command(room, PRESENCE, {"observers": observers})

    def _deadlines_of(self, room: str) -> list[Deadline]:
        state = self._rt.states().get(room)
        return [] if state is None else next_deadlines(state)

    def _close_lost(self, room: str) -> None:
        self._deadlines.plan(room, [])
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

    def _sync_soon(self, room: str, state: RoomState) -> None:
        """Mirror the session's status, title and settings into its row (REST reads it);
        one writer per room, which takes the latest state when it gets to it."""
        if not self._archiver.changed(room, state):
            return
        self._to_sync[room] = state
        if room not in self._syncing:
            self._syncing[room] = asyncio.create_task(self._sync(room))

    async def _sync(self, room: str) -> None:
        try:
            while (state := self._to_sync.pop(room, None)) is not None:
                try:
                    await self._archiver.sync_status(room, state)
                except Exception:
                    log.exception("could not mirror room %s into its row; will retry", room)
                    self._to_sync.setdefault(room, state)
                    await asyncio.sleep(ARCHIVE_RETRY_S)
        finally:
            self._syncing.pop(room, None)

    async def _rejoin_connected(self, room: str) -> None:
        """Bring back people still connected here whose leave another worker recorded.

        One person may hold several connections on several workers (a member's phone
        and laptop, two tabs of one browser); each worker records a leave when its own
        last connection of that person closes. Another worker still holding one of their
        connections sees them marked gone and joins them again, so someone with a
        device in the room stays able to act and vote. The minutes show the short gap
        as a leave and a return."""
        state = self._rt.states().get(room)
        if state is None or state.session.status == "ended":
            return
        gone: dict[str, Principal] = {}
        for principal in self._rt.principals(room):
            member = principal.info
            if not isinstance(member, Member) or member.actor.role is Role.OBSERVER:
                continue
            person = state.people.by_id.get(member.actor.participant)
            if person is not None and person.status == "left":
                gone[principal.key] = principal
        for principal in gone.values():
            try:
                await self._rt.execute(principal, JOIN, {}, None)
            except Refused as exc:
                log.info("rejoin in room %s refused: %s", room, exc.code)

    async def _fire(self, room: str, deadline: Deadline) -> None:
        if self._lost is not None and room in self._lost:
            return
        kind, ref = deadline.kind, deadline.ref
        try:
            await self._rt.server_command(room, TIMER, {"kind": kind, "ref": ref})
        except Refused as exc:
            log.info("timer %s/%s in room %s refused: %s", kind, ref, room, exc.code)

    def _start_archive(self, room: str, state: RoomState) -> None:
        if room in self._archiving:
            return

        async def job() -> None:
            # The archiver keeps its own back-off (and quarantine) of a failing room:
            # asked again until it says the room is archived.
            try:
                while True:
                    if await self._archiver.archive_room(room, self._rt.states().get(room, state)):
                        self._archived.add(room)
                        return
                    await asyncio.sleep(ARCHIVE_RETRY_S)
            finally:
                self._archiving.pop(room, None)

        self._archiving[room] = asyncio.create_task(job())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the sweep -------------------------------------------------------------------

    async def _run_sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            try:
                await self.sweep()
            except Exception:
                log.exception("sweep failed")

    async def sweep(self) -> None:
        """What no record announces: rotated links, lost logs, rooms idle here."""
        await self.close_stale_links()
        if self._lost is not None:
            if time.monotonic() - self._lost_checked > LOST_EVERY_S:
                self._lost_checked = time.monotonic()
                await self._lost.sweep()
            await self._lost.tick()
        for room, state in self._rt.states().items():
            await self._unload_if_idle(room, state)

    async def close_stale_links(self) -> None:
        """Close connections that came in by a link rotated since (on any worker): one
        grouped query for the rooms that have connections here, none when idle."""
        rt = self._rt
        connected = [room for room in rt.states() if any(rt.counts(room).values())]
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
            rt.disconnect(room, stale, "link_rotated")

    async def _unload_if_idle(self, room: str, state: RoomState) -> None:
        idle = (
            not any(self._rt.counts(room).values())
            and not next_deadlines(state)
            and room not in self._archiving
            and room not in self._syncing
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
            self._deadlines.forget(room)
            self._archiver.forget(room)
            log.info("room %s unloaded (idle on this worker)", room)

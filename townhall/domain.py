"""The live room as the hub sees it: facilitation's rules behind realtime's ``Domain``.

Client commands arrive as ``<noun>.<verb>`` and go through ``facilitation.codec``.
Server-made commands (join, leave, timers, presence) use ``server:*`` types, which the
hub's envelope validation never lets a client send (types are lowercase ``noun.verb``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from facilitation import codec, views
from facilitation.base import SYSTEM, Actor, Command, DomainError, Event, Role
from facilitation.participants import (
    AttendanceEntry,
    AttendanceRecorded,
    JoinRoom,
    LeaveRoom,
    RecordAttendance,
)
from facilitation.record import link, public_data
from facilitation.redaction import needs_redaction, redact
from facilitation.room import (
    RoomState,
    TimerExpired,
    decide,
    decide_attendance,
    evolve,
    initial_state,
)
from realtime.application import Principal, Refused
from realtime.log import NewEvent, Record
from realtime.wire import timestamp
from townhall.snapshots import SnapshotMemo

JOIN = "server:join"
LEAVE = "server:leave"
TIMER = "server:timer"
PRESENCE = "server:presence"
CONFIGURE = "server:configure"  # the organiser API's title/description/language
ACCESS = "server:access"  # the organiser API's access mode, roll and proxies
ROLL = "server:roll"
PROXY = "server:proxy"
UNPROXY = "server:unproxy"
# What each server-made type is in facilitation's vocabulary (codec.SERVER_SPECS).
SERVER_TYPES = {
    JOIN: "participant.join",
    LEAVE: "participant.leave",
    PRESENCE: "presence.update",
    CONFIGURE: "room.configure",
    ACCESS: "room.access",
    ROLL: "roll.add",
    PROXY: "proxy.record",
    UNPROXY: "proxy.revoke",
}

# Hub audiences: one encoding of each event per audience. Participants and observers
# see the same public projection, but a separate audience lets the hub count observers.
AUDIENCE_FOR = {
    Role.FACILITATOR: "facilitator",
    Role.ORGANISER: "facilitator",
    Role.PARTICIPANT: "participant",
    Role.OBSERVER: "observer",
    Role.CAPTIONER: "captioner",
}
PROJECTION = {
    "facilitator": "facilitator",
    "participant": "public",
    "observer": "public",
    "captioner": "public",
}
# Roles that watch without being a person in the room: no join, no leave, no presence.
NOT_PEOPLE = (Role.OBSERVER, Role.CAPTIONER)
HEAD_SHOWN = 8  # hex digits of the record's head sent with each event (SPEC §8)


@dataclass(frozen=True, slots=True)
class Member:
    """``Principal.info`` of a townhall connection."""

    actor: Actor
    name: str
    ballot_secret: bytes | None
    link_version: int = 0  # the link it came in by; a rotation makes it stale
    personal: bool = False  # a roll member's personal link: no shared link to go stale


def viewer_of(principal: Principal) -> views.Viewer:
    member = principal.info
    if isinstance(member, Member):
        return views.Viewer(member.actor.participant, member.actor.role, member.ballot_secret)
    role = Role.FACILITATOR if principal.audience == "facilitator" else Role.OBSERVER
    return views.Viewer(None, role, None)


class TownhallDomain:
    """``realtime.application.Domain[RoomState]`` for town halls."""

    def __init__(self) -> None:
        self.memo = SnapshotMemo()  # what welcomes share (townhall.snapshots)

    def initial(self, room: str) -> RoomState:
        return initial_state(room)

    def load(self, record: Record) -> Event:
        return codec.event_from_wire(record.name, record.data, record.at)

    def dump(self, event: Event) -> NewEvent:
        name, data = codec.event_to_wire(event)
        return NewEvent(name, data, event.at)

    def apply(self, state: RoomState, event: Event) -> RoomState:
        return self.advance(state, event)[0]

    @staticmethod
    def advance(state: RoomState, event: Event) -> tuple[RoomState, str, dict[str, Any]]:
        """Fold one event and chain it: (the state after, its name, its public data).

        Every worker folds every event in log order, so every worker holds the same head
        of the record's hash chain (SPEC §8), computed from the event's stored form and
        the log's own time string; the archive's record (townhall.record) comes from here
        too, so the two cannot differ."""
        after = evolve(state, event)
        name, data = codec.event_to_wire(event)
        public = public_data(name, data, after)
        head = link(state.head, after.seq, name, public, timestamp(event.at))
        # ``after`` is the fresh object evolve made for this event and nobody holds it
        # yet: setting its head in place saves copying the whole state a second time.
        object.__setattr__(after, "head", head)
        return after, name, public

    def decide(
        self,
        state: RoomState,
        principal: Principal,
        type: str,
        data: dict[str, Any],
        at: datetime,
        new_id: str,
    ) -> tuple[list[Event], dict[str, str]]:
        try:
            command = self._command(principal, type, data, at, new_id)
            events = decide(command, state)
        except DomainError as exc:
            raise Refused(exc.code, exc.message) from None
        return events, codec.result_of(command)

    def _command(
        self, principal: Principal, type: str, data: dict[str, Any], at: datetime, new_id: str
    ) -> Command:
        member = principal.info
        if member is None and type == TIMER:  # the clock (engine.server_command)
            return TimerExpired(kind=str(data["kind"]), ref=str(data["ref"]), at=at)
        if member is None and type == PRESENCE:
            return self._server(SERVER_TYPES[type], data, SYSTEM, at, new_id)
        if not isinstance(member, Member):
            raise DomainError("forbidden", "this connection cannot change the room")
        if type == JOIN:
            return self._server(SERVER_TYPES[type], {"name": member.name}, member.actor, at, new_id)
        if type in (LEAVE, CONFIGURE, ACCESS, ROLL, PROXY, UNPROXY):
            return self._server(SERVER_TYPES[type], data, member.actor, at, new_id)
        return codec.command_from_wire(
            type,
            data,
            actor=member.actor,
            at=at,
            new_id=new_id,
            ballot_secret=member.ballot_secret,
        )

    @staticmethod
    def _server(
        type: str, data: dict[str, Any], actor: Actor, at: datetime, new_id: str
    ) -> Command:
        """A server-made command, validated by the codec's server-only specs."""
        return codec.command_from_wire(
            type, data, actor=actor, at=at, new_id=new_id, ballot_secret=None, server=True
        )

    def together(self, principal: Principal, type: str) -> bool:
        """Joins and leaves next to each other in a batch become one ``attendance.record``
        (facilitation.participants): a crowd arriving at once appends, folds, renders and
        sends one ``attendance.recorded`` per batch, not one event per person to everyone."""
        return type in (JOIN, LEAVE) and isinstance(principal.info, Member)

    def decide_together(
        self,
        state: RoomState,
        commands: list[tuple[Principal, str, dict[str, Any]]],
        at: datetime,
        new_id: str,
    ) -> tuple[list[Event], list[Refused | None]]:
        """Each join or leave decided as if alone, on the state after the ones before it,
        so that each hello gets its own refusal (room_full, name_reserved, banned…); the
        accepted ones, in order, make one ``attendance.recorded``."""
        entries: list[AttendanceEntry] = []
        refusals: list[Refused | None] = []
        made: list[int] = []  # refusals' index of each entry
        for principal, type, data in commands:
            try:
                command = self._command(principal, type, data, at, new_id)
            except DomainError as exc:
                refusals.append(Refused(exc.code, exc.message))
                continue
            made.append(len(refusals))
            refusals.append(None)
            if isinstance(command, JoinRoom):
                entries.append(
                    AttendanceEntry(
                        actor=command.actor, kind="join", display_name=command.display_name
                    )
                )
            else:
                assert isinstance(command, LeaveRoom), command
                entries.append(
                    AttendanceEntry(actor=command.actor, kind="leave", left_at=command.left_at)
                )
        events, refused = decide_attendance(RecordAttendance(at=at, entries=tuple(entries)), state)
        for index, refusal in zip(made, refused, strict=True):
            if refusal is not None:
                refusals[index] = Refused(refusal.code, refusal.message)
        return events, refusals

    def command_key(self, principal: Principal, type: str, id: str) -> str:
        """Idempotency key of a client command, stored in the log as its cause.

        A vote's key must not name the voter, nor carry the client's id in clear (a
        client numbering its commands c1, c2, … would link the vote to the commands
        around it): it is a keyed hash, under the room's ballot secret, of the voter
        and the client's id, ending in an empty client part, so no event's ``cause``
        names it to anyone. Stable for resends; meaningless once the archive has
        destroyed the secret. The voter's own connection learns the outcome from its
        ``ack``, which carries the id it sent.
        """
        member = principal.info
        if type == "poll.vote" and isinstance(member, Member) and member.ballot_secret:
            mac = hmac.new(member.ballot_secret, f"{principal.key}:{id}".encode(), "sha256")
            return f"v{mac.hexdigest()[:32]}:"
        return f"{principal.key}:{id}"

    def snapshot(self, state: RoomState, principal: Principal) -> dict[str, Any]:
        return views.snapshot(state, viewer_of(principal), self.memo.value, self.memo.encoded)

    def view(self, audience: str) -> str:
        return PROJECTION.get(audience, "public")

    def render(self, state: RoomState, event: Event, view: str) -> dict[str, Any] | None:
        data = views.project(event, state, view)
        # Every client sees every seq (gapless order is what lets it detect a loss);
        # an event this audience may not read arrives with its details withheld.
        if data is None:
            data = {"withheld": True}
        # The record's head after this event, as the room's footer shows it.
        data["head"] = state.head[:HEAD_SHOWN]
        return data

    def lazy(self, event: Event, view: str) -> bool:
        """The public's copy of ``attendance.recorded`` (the crowd's arrivals and
        departures, as counts) may wait up to a second for the next pass: in a join storm
        that is one frame per connection per second instead of one per batch. The
        facilitators see arrivals at once (the lobby, the people list)."""
        return view != "facilitator" and isinstance(event, AttendanceRecorded)

    def stale(self, then: RoomState, now: RoomState) -> bool:
        return needs_redaction(then, now)

    def replay(
        self, then: RoomState, now: RoomState, event: Event, view: str
    ) -> dict[str, Any] | None:
        """A replay never carries text withdrawn since (facilitation.redaction): a
        client resuming from an old seq used to get a hidden statement's full text."""
        data = self.render(then, event, view)
        if data is None or data.get("withheld"):
            return data
        return redact(event.name, data, now, staff=view == "facilitator")

    def on_join(self, principal: Principal) -> tuple[str, dict[str, Any]] | None:
        member = principal.info
        if isinstance(member, Member) and member.actor.role not in NOT_PEOPLE:
            return JOIN, {}
        return None

    def on_leave(self, principal: Principal) -> tuple[str, dict[str, Any]] | None:
        member = principal.info
        if isinstance(member, Member) and member.actor.role not in NOT_PEOPLE:
            # When the connection ended: a leave the engine can only record later (the log
            # was unreachable) is then dropped if the person has joined again since.
            return LEAVE, {"left_at": timestamp(datetime.now(UTC))}
        return None

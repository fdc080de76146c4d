"""Who is in the room: joining (with lobby and lock), leaving, attendance, observers.

Arrivals and departures come one at a time (``participant.join``/``participant.leave``)
or, from a server that gathers them per tick, as one ``attendance.record`` whose entries
are each decided like the single command they stand for (``facilitation.room`` folds them
in order); its ``attendance.recorded`` event holds the resulting changes, so a room that
fills up at once costs one event per tick instead of one per person.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import SYSTEM, Actor, Command, Event, Role, changed, refuse
from facilitation.limits import MAX_NAME
from facilitation.names import name_problem
from facilitation.pmap import PMap
from facilitation.reactions import withdraw

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, slots=True)
class Stay:
    """One stretch of presence, for the attendance list of the minutes."""

    joined: datetime
    left: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Person:
    id: str
    name: str
    role: Role
    status: str  # "waiting" | "present" | "left" | "removed"
    muted: bool = False
    banned: bool = False
    stays: tuple[Stay, ...] = ()
    last_statement: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class People:
    by_id: PMap[str, Person] = field(default_factory=PMap)
    observers: int = 0
    observers_peak: int = 0
    # Kept by ``with_person`` so that a welcome needs neither to walk everyone: how many
    # are present, and who are the facilitators (the public sees them, not the crowd).
    present: int = 0
    participants: int = 0  # records of role participant (the max_participants cap)
    staff: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class JoinRoom(Command):
    """Server-issued when a `hello` brings a participant or facilitator in."""

    name: ClassVar[str] = "participant.join"
    display_name: str


@dataclass(frozen=True, kw_only=True)
class LeaveRoom(Command):
    """Server-issued when a participant's connection ends.

    ``left_at`` is when it ended, for a leave that could only be recorded later (the log
    was unreachable): if the person has joined again since, it records nothing.
    """

    name: ClassVar[str] = "participant.leave"
    left_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class UpdatePresence(Command):
    """Server-issued count of connected observers (they are not participants)."""

    name: ClassVar[str] = "presence.update"
    actor: Actor = SYSTEM
    observers: int


@dataclass(frozen=True, kw_only=True)
class AttendanceEntry:
    """One arrival (``kind`` "join", with the name given at the door) or departure
    ("leave", with ``left_at``: when the connection ended) of ``RecordAttendance``."""

    actor: Actor
    kind: str  # "join" | "leave"
    display_name: str = ""
    left_at: datetime | None = None

    def command(self, at: datetime) -> JoinRoom | LeaveRoom:
        """The single command this entry stands for."""
        if self.kind == "join":
            return JoinRoom(actor=self.actor, at=at, display_name=self.display_name)
        return LeaveRoom(actor=self.actor, at=at, left_at=self.left_at)


@dataclass(frozen=True, kw_only=True)
class RecordAttendance(Command):
    """Server-issued: the arrivals and departures of one tick, in the order they happened.

    Each entry is decided as its own ``participant.join``/``participant.leave`` on the
    state after the entries before it; one that would be refused records nothing (the
    server already refused that hello against the state it had).
    """

    name: ClassVar[str] = "attendance.record"
    actor: Actor = SYSTEM
    entries: tuple[AttendanceEntry, ...]


@dataclass(frozen=True, kw_only=True)
class AttendanceChange:
    """A person's new status: "present" (joined), "waiting" (in the lobby) or "left"."""

    participant: str
    status: str
    display_name: str = ""
    role: str = ""


@dataclass(frozen=True, kw_only=True)
class AttendanceRecorded(Event):
    name: ClassVar[str] = "attendance.recorded"
    changes: tuple[AttendanceChange, ...]


@dataclass(frozen=True, kw_only=True)
class ParticipantJoined(Event):
    name: ClassVar[str] = "participant.joined"
    participant: str
    display_name: str
    role: str


@dataclass(frozen=True, kw_only=True)
class ParticipantWaiting(Event):
    name: ClassVar[str] = "participant.waiting"
    participant: str
    display_name: str


@dataclass(frozen=True, kw_only=True)
class ParticipantLeft(Event):
    name: ClassVar[str] = "participant.left"
    participant: str


@dataclass(frozen=True, kw_only=True)
class PresenceUpdated(Event):
    name: ClassVar[str] = "presence.updated"
    observers: int


def decide(command: Command, room: RoomState) -> list[Event]:
    if isinstance(command, JoinRoom):
        return _join(command, room)
    if isinstance(command, LeaveRoom):
        person = room.people.by_id.get(command.actor.participant)
        if person is None or person.status not in ("present", "waiting"):
            return []  # a disconnect of someone already gone: nothing to record
        late = command.left_at
        if late is not None and person.stays and person.stays[-1].joined > late:
            return []  # a late leave, and they have come back since
        return [ParticipantLeft(at=command.at, participant=person.id)]
    assert isinstance(command, UpdatePresence)
    if command.observers < 0:
        raise refuse("invalid_data", "observers")
    if command.observers == room.people.observers:
        return []
    return [PresenceUpdated(at=command.at, observers=command.observers)]


def _join(command: JoinRoom, room: RoomState) -> list[Event]:
    who = command.actor.participant
    name = command.display_name.strip()
    if not name or len(name) > MAX_NAME:
        raise refuse("invalid_data", "name")
    is_participant = command.actor.role == Role.PARTICIPANT
    if is_participant and room.roll.access == "roll" and who not in room.roll.members:
        raise refuse("roll_only")
    known = room.people.by_id.get(who)
    if known is not None:
        if known.status == "removed":
            raise refuse("banned" if known.banned else "removed")
        if known.status != "left":
            return []  # a second connection of someone already here
        if known.stays:
            # A returning participant keeps their first name and skips lock and lobby.
            return [
                ParticipantJoined(
                    at=command.at, participant=who, display_name=known.name, role=known.role
                )
            ]
        # Left the lobby before being admitted: back in the lobby, as anyone new.
        name = known.name
    if is_participant and known is None:
        # The staff's names, by the ids ``with_person`` keeps: not a walk of everyone
        # (a join storm of 5,000 walked the whole room at each join).
        by_id = room.people.by_id
        problem = name_problem(name, (by_id[i].name for i in room.people.staff))
        if problem is not None:
            raise refuse(problem, name)
    if is_participant and room.locked:
        raise refuse("room_locked")
    if known is None and is_participant and _participants(room) >= room.settings.max_participants:
        raise refuse("room_full")
    if is_participant and room.settings.lobby:
        return [ParticipantWaiting(at=command.at, participant=who, display_name=name)]
    return [
        ParticipantJoined(
            at=command.at, participant=who, display_name=name, role=command.actor.role
        )
    ]


def _participants(room: RoomState) -> int:
    """Participants the room has admitted so far (every record, whatever its status)."""
    return room.people.participants


def as_change(event: Event, room: RoomState) -> AttendanceChange:
    """The attendance change a single join, wait or leave event makes on ``room`` (the
    state before it); a join or leave decides nothing else."""
    if isinstance(event, ParticipantJoined):
        return AttendanceChange(
            participant=event.participant,
            status="present",
            display_name=event.display_name,
            role=str(event.role),
        )
    if isinstance(event, ParticipantWaiting):
        return AttendanceChange(
            participant=event.participant,
            status="waiting",
            display_name=event.display_name,
            role=str(Role.PARTICIPANT),
        )
    # A new kind of event on arrival would need its own place in the order: fail here.
    assert isinstance(event, ParticipantLeft), event
    role = room.people.by_id[event.participant].role  # only a known person leaves
    return AttendanceChange(participant=event.participant, status="left", role=str(role))


def as_event(change: AttendanceChange, at: datetime) -> Event:
    """The single event a change stands for (the inverse of ``as_change``)."""
    if change.status == "present":
        return ParticipantJoined(
            at=at,
            participant=change.participant,
            display_name=change.display_name,
            role=change.role,
        )
    if change.status == "waiting":
        return ParticipantWaiting(
            at=at, participant=change.participant, display_name=change.display_name
        )
    return ParticipantLeft(at=at, participant=change.participant)


def evolve(room: RoomState, event: Event) -> RoomState:
    people = room.people
    if isinstance(event, AttendanceRecorded):
        for change in event.changes:
            room = evolve(room, as_event(change, event.at))
        return room
    if isinstance(event, PresenceUpdated):
        peak = max(people.observers_peak, event.observers)
        return replace(room, people=replace(people, observers=event.observers, observers_peak=peak))
    if isinstance(event, ParticipantWaiting):
        person = Person(
            id=event.participant, name=event.display_name, role=Role.PARTICIPANT, status="waiting"
        )
        return with_person(room, person)
    if isinstance(event, ParticipantJoined):
        old = people.by_id.get(event.participant)
        stays = (old.stays if old else ()) + (Stay(event.at),)
        base = old or Person(
            id=event.participant, name=event.display_name, role=_role(event.role), status="present"
        )
        return with_person(room, replace(base, status="present", stays=stays))
    assert isinstance(event, ParticipantLeft)
    leaving = people.by_id.get(event.participant)
    if leaving is None:
        return room
    room = withdraw(room, leaving.id)  # the temperature is of people present
    return with_person(room, close_stay(replace(leaving, status="left"), event.at))


def _role(value: str) -> Role:
    # Only the two roles that join are stored; anything else reads as a participant.
    return Role.FACILITATOR if value == Role.FACILITATOR else Role.PARTICIPANT


def close_stay(person: Person, at: datetime) -> Person:
    """Ends the open stretch of presence, if any (leave, removal, session end)."""
    if person.stays and person.stays[-1].left is None:
        return replace(person, stays=(*person.stays[:-1], Stay(person.stays[-1].joined, at)))
    return person


def with_person(room: RoomState, person: Person) -> RoomState:
    people = room.people
    old = people.by_id.get(person.id)
    present = people.present + (person.status == "present")
    if old is not None and old.status == "present":
        present -= 1
    staff, participants = people.staff, people.participants
    if person.role is not Role.PARTICIPANT:
        if person.id not in staff:
            staff = staff | {person.id}
    elif old is None:
        participants += 1
    by_id = people.by_id.set(person.id, person)
    return changed(
        room,
        people=changed(
            people, by_id=by_id, present=present, participants=participants, staff=staff
        ),
    )


COMMANDS = (JoinRoom, LeaveRoom, UpdatePresence)  # RecordAttendance: facilitation.room
EVENTS = (
    ParticipantJoined,
    ParticipantWaiting,
    ParticipantLeft,
    PresenceUpdated,
    AttendanceRecorded,
)

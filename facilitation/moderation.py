"""Moderation: mute, unmute, remove (optionally ban), admit from the lobby, lock, unlock,
and the room settings. Every act goes into the moderation log."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, Role, refuse
from facilitation.floor import end_current
from facilitation.guards import member, organiser_or_member, require_live, target
from facilitation.limits import (
    DEFAULT_MAX_PARTICIPANTS,
    MAX_PARTICIPANTS,
    MAX_REASON,
    MAX_TURN_S,
)
from facilitation.moderation_log import log
from facilitation.participants import Stay, close_stay, with_person
from facilitation.queue import lower_everywhere, resort
from facilitation.reactions import withdraw

if TYPE_CHECKING:
    from facilitation.participants import Person
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class Settings:
    queue_policy: str = "fifo"  # fifo | fair
    turn_s: int = 120
    auto_advance: bool = False
    max_turns_per_item: int = 0  # 0 = no cap
    slow_mode_s: int = 0
    statements: bool = True
    questions: bool = True
    lobby: bool = False
    auto_advance_items: bool = False  # at an item's deadline + grace the next one starts
    item_grace_s: int = 30
    questions_premoderated: bool = False  # new questions wait for a facilitator's approval
    # Participants the room admits in all (the shared link cannot tell people apart:
    # this bounds what a script opening identities can do; docs/security.md).
    max_participants: int = DEFAULT_MAX_PARTICIPANTS


@dataclass(frozen=True, kw_only=True)
class MuteParticipant(Command):
    name: ClassVar[str] = "participant.mute"
    participant: str


@dataclass(frozen=True, kw_only=True)
class UnmuteParticipant(Command):
    name: ClassVar[str] = "participant.unmute"
    participant: str


@dataclass(frozen=True, kw_only=True)
class RemoveParticipant(Command):
    name: ClassVar[str] = "participant.remove"
    participant: str
    ban: bool = False
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AdmitParticipant(Command):
    name: ClassVar[str] = "participant.admit"
    participant: str


@dataclass(frozen=True, kw_only=True)
class LockRoom(Command):
    name: ClassVar[str] = "room.lock"


@dataclass(frozen=True, kw_only=True)
class UnlockRoom(Command):
    name: ClassVar[str] = "room.unlock"


@dataclass(frozen=True, kw_only=True)
class ChangeSettings(Command):
    """Fields left None are unchanged."""

    name: ClassVar[str] = "room.settings"
    queue_policy: str | None = None
    turn_s: int | None = None
    auto_advance: bool | None = None
    max_turns_per_item: int | None = None
    slow_mode_s: int | None = None
    statements: bool | None = None
    questions: bool | None = None
    lobby: bool | None = None
    auto_advance_items: bool | None = None
    item_grace_s: int | None = None
    questions_premoderated: bool | None = None
    max_participants: int | None = None


@dataclass(frozen=True, kw_only=True)
class ParticipantMuted(Event):
    name: ClassVar[str] = "participant.muted"
    participant: str
    by: str


@dataclass(frozen=True, kw_only=True)
class ParticipantUnmuted(Event):
    name: ClassVar[str] = "participant.unmuted"
    participant: str
    by: str


@dataclass(frozen=True, kw_only=True)
class ParticipantRemoved(Event):
    name: ClassVar[str] = "participant.removed"
    participant: str
    ban: bool
    reason: str | None
    by: str


@dataclass(frozen=True, kw_only=True)
class ParticipantAdmitted(Event):
    name: ClassVar[str] = "participant.admitted"
    participant: str
    by: str


@dataclass(frozen=True, kw_only=True)
class RoomLocked(Event):
    name: ClassVar[str] = "room.locked"
    by: str


@dataclass(frozen=True, kw_only=True)
class RoomUnlocked(Event):
    name: ClassVar[str] = "room.unlocked"
    by: str


@dataclass(frozen=True, kw_only=True)
class SettingsChanged(Event):
    """The complete settings after the change."""

    name: ClassVar[str] = "room.settings_changed"
    by: str
    queue_policy: str
    turn_s: int
    auto_advance: bool
    max_turns_per_item: int
    slow_mode_s: int
    statements: bool
    questions: bool
    lobby: bool
    # Added later: a log written before them keeps the defaults.
    auto_advance_items: bool = False
    item_grace_s: int = 30
    questions_premoderated: bool = False
    max_participants: int = DEFAULT_MAX_PARTICIPANTS


def _moderated(room: RoomState, participant: str) -> Person:
    person = target(room, participant)
    if person.role != Role.PARTICIPANT:
        raise refuse("target_is_facilitator")
    if person.status == "removed":
        raise refuse("removed", participant)
    return person


def decide(command: Command, room: RoomState) -> list[Event]:
    at = command.at
    by = command.actor.participant
    if isinstance(command, ChangeSettings):
        organiser_or_member(room, command.actor)
        return [_settings(command, room)]
    require_live(room)
    member(room, command.actor)
    if isinstance(command, LockRoom | UnlockRoom):
        if room.locked == isinstance(command, LockRoom):
            raise refuse("already_locked" if room.locked else "not_locked")
        cls = RoomLocked if isinstance(command, LockRoom) else RoomUnlocked
        return [cls(at=at, by=by)]
    assert isinstance(
        command, MuteParticipant | UnmuteParticipant | RemoveParticipant | AdmitParticipant
    )
    person = _moderated(room, command.participant)
    if isinstance(command, AdmitParticipant):
        if person.status != "waiting":
            raise refuse("not_waiting")
        return [ParticipantAdmitted(at=at, participant=person.id, by=by)]
    turn = room.floor.current_turn()
    speaking = turn is not None and turn.participant == person.id
    if isinstance(command, MuteParticipant):
        if person.muted:
            raise refuse("already_muted")
        # A muted speaker loses the floor too: muted people change nothing.
        ending = end_current(room, at, "muted") if speaking else []
        return [*ending, ParticipantMuted(at=at, participant=person.id, by=by)]
    if isinstance(command, UnmuteParticipant):
        if not person.muted:
            raise refuse("not_muted")
        return [ParticipantUnmuted(at=at, participant=person.id, by=by)]
    reason = (command.reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise refuse("invalid_data", "reason")
    ending = end_current(room, at, "removed") if speaking else []
    return [
        *ending,
        ParticipantRemoved(at=at, participant=person.id, ban=command.ban, reason=reason, by=by),
    ]


def _settings(command: ChangeSettings, room: RoomState) -> SettingsChanged:
    if command.queue_policy not in (None, "fifo", "fair"):
        raise refuse("invalid_data", "queue_policy")
    if command.turn_s is not None and not 0 < command.turn_s <= MAX_TURN_S:
        raise refuse("invalid_data", "turn_s")
    for name in ("max_turns_per_item", "slow_mode_s", "item_grace_s"):
        value = getattr(command, name)
        if value is not None and not 0 <= value <= MAX_TURN_S:
            raise refuse("invalid_data", name)
    cap = command.max_participants
    if cap is not None and not 1 <= cap <= MAX_PARTICIPANTS:
        raise refuse("invalid_data", "max_participants")
    old = room.settings
    new = {f.name: getattr(command, f.name) for f in fields(Settings)}
    merged = {k: getattr(old, k) if v is None else v for k, v in new.items()}
    return SettingsChanged(at=command.at, by=command.actor.participant, **merged)


def evolve(room: RoomState, event: Event) -> RoomState:
    if isinstance(event, SettingsChanged):
        values = {f.name: getattr(event, f.name) for f in fields(Settings)}
        before = vars(room.settings)
        changes = {k: [before[k], v] for k, v in values.items() if before[k] != v}
        policy_changed = "queue_policy" in changes
        room = replace(room, settings=Settings(**values))
        room = resort(room) if policy_changed else room
        return log(room, event.at, event.by, "room.settings", None, None, {"changes": changes})
    if isinstance(event, RoomLocked | RoomUnlocked):
        room = replace(room, locked=isinstance(event, RoomLocked))
        action = "room.lock" if room.locked else "room.unlock"
        return log(room, event.at, event.by, action, None)
    assert isinstance(event, _PERSON_EVENTS)
    person = room.people.by_id.get(event.participant)
    if person is None:
        return room
    reason = None
    if isinstance(event, ParticipantAdmitted):
        person = replace(person, status="present", stays=(*person.stays, Stay(event.at)))
        action = "participant.admit"
    elif isinstance(event, ParticipantMuted):
        person = replace(person, muted=True)
        room = lower_everywhere(room, person.id)
        action = "participant.mute"
    elif isinstance(event, ParticipantUnmuted):
        person = replace(person, muted=False)
        action = "participant.unmute"
    else:
        person = close_stay(replace(person, status="removed", banned=event.ban), event.at)
        room = withdraw(lower_everywhere(room, person.id), person.id)
        action, reason = "participant.remove", event.reason
    room = with_person(room, person)
    return log(room, event.at, event.by, action, person.id, reason)


_PERSON_EVENTS = (ParticipantMuted, ParticipantUnmuted, ParticipantRemoved, ParticipantAdmitted)
COMMANDS = (
    MuteParticipant,
    UnmuteParticipant,
    RemoveParticipant,
    AdmitParticipant,
    LockRoom,
    UnlockRoom,
    ChangeSettings,
)
EVENTS = (*_PERSON_EVENTS, RoomLocked, RoomUnlocked, SettingsChanged)

"""Access and the member roll (SPEC §7): who may join as a participant, and proxies.

`open` access admits anyone holding the participant link. `roll` access admits as
participants only the members of the roll, each through their personal link (townhall
maps the link to the member's participant id, so every device of one member is one
person, and a ban or a mute binds the member). The roll, the access mode and the
proxies are set by the organiser; proxies and the access mode only before the start.

A proxy (위임) is `giver -> holder`: the holder's ballot also counts for the giver, and
the giver cannot vote themselves. One proxy per giver; no chains (a holder cannot have
given their own proxy, and a giver cannot hold anyone's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, refuse
from facilitation.guards import require_scheduled
from facilitation.limits import MAX_NAME
from facilitation.pmap import PMap

if TYPE_CHECKING:
    from facilitation.room import RoomState

ACCESS = ("open", "roll")


@dataclass(frozen=True, kw_only=True)
class Roll:
    access: str = "open"  # "open" | "roll"
    members: PMap[str, str] = field(default_factory=PMap)  # participant id -> name
    proxies: Mapping[str, str] = field(default_factory=dict)  # giver -> holder

    def held_by(self, holder: str) -> list[str]:
        """The givers whose proxy ``holder`` holds, sorted."""
        return sorted(g for g, h in self.proxies.items() if h == holder)


@dataclass(frozen=True, kw_only=True)
class SetAccess(Command):
    """Server-issued from the organiser API (create / PATCH before the start)."""

    name: ClassVar[str] = "room.access"
    access: str


@dataclass(frozen=True, kw_only=True)
class AddMembers(Command):
    """Server-issued from the organiser API: ``members`` are (participant id, name)."""

    name: ClassVar[str] = "roll.add"
    members: tuple[tuple[str, str], ...]


@dataclass(frozen=True, kw_only=True)
class RecordProxy(Command):
    name: ClassVar[str] = "proxy.record"
    giver: str
    holder: str


@dataclass(frozen=True, kw_only=True)
class RevokeProxy(Command):
    name: ClassVar[str] = "proxy.revoke"
    giver: str


@dataclass(frozen=True, kw_only=True)
class AccessChanged(Event):
    name: ClassVar[str] = "room.access_changed"
    access: str


@dataclass(frozen=True, kw_only=True)
class MembersAdded(Event):
    """The n-th participant id is the n-th name's."""

    name: ClassVar[str] = "roll.members_added"
    participants: tuple[str, ...]
    names: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ProxyRecorded(Event):
    name: ClassVar[str] = "proxy.recorded"
    giver: str
    holder: str


@dataclass(frozen=True, kw_only=True)
class ProxyRevoked(Event):
    name: ClassVar[str] = "proxy.revoked"
    giver: str


def decide(command: Command, room: RoomState) -> list[Event]:
    roll = room.roll
    if isinstance(command, AddMembers):
        return _add(command, roll)
    require_scheduled(room)
    if isinstance(command, SetAccess):
        if command.access not in ACCESS:
            raise refuse("invalid_data", "access is open or roll")
        if command.access == roll.access:
            return []
        return [AccessChanged(at=command.at, access=command.access)]
    if isinstance(command, RevokeProxy):
        if command.giver not in roll.proxies:
            raise refuse("proxy_not_found", command.giver)
        return [ProxyRevoked(at=command.at, giver=command.giver)]
    assert isinstance(command, RecordProxy)
    giver, holder = command.giver, command.holder
    for who in (giver, holder):
        if who not in roll.members:
            raise refuse("member_not_found", who)
    if giver == holder:
        raise refuse("proxy_self")
    if giver in roll.proxies:
        raise refuse("proxy_exists", giver)
    if holder in roll.proxies or roll.held_by(giver):
        raise refuse("proxy_chain")
    return [ProxyRecorded(at=command.at, giver=giver, holder=holder)]


def _add(command: AddMembers, roll: Roll) -> list[Event]:
    participants: list[str] = []
    names: list[str] = []
    for participant, raw in command.members:
        if participant in roll.members or participant in participants:
            raise refuse("duplicate_id", participant)
        name = raw.strip()
        if not name or len(name) > MAX_NAME:
            raise refuse("invalid_data", "name")
        participants.append(participant)
        names.append(name)
    if not participants:
        return []
    return [MembersAdded(at=command.at, participants=tuple(participants), names=tuple(names))]


def evolve(room: RoomState, event: Event) -> RoomState:
    roll = room.roll
    if isinstance(event, AccessChanged):
        roll = replace(roll, access=event.access)
    elif isinstance(event, MembersAdded):
        members = roll.members
        for participant, name in zip(event.participants, event.names, strict=False):
            members = members.set(participant, name)
        roll = replace(roll, members=members)
    elif isinstance(event, ProxyRecorded):
        roll = replace(roll, proxies={**roll.proxies, event.giver: event.holder})
    else:
        assert isinstance(event, ProxyRevoked)
        proxies = {g: h for g, h in roll.proxies.items() if g != event.giver}
        roll = replace(roll, proxies=proxies)
    return replace(room, roll=roll)


COMMANDS = (SetAccess, AddMembers, RecordProxy, RevokeProxy)
EVENTS = (AccessChanged, MembersAdded, ProxyRecorded, ProxyRevoked)

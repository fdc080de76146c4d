"""Reactions as state: each person has at most one current reaction per agenda item
("" is the session before the first item). Sending another replaces it, `null`
withdraws it, and leaving the room (or being removed) withdraws it from the running
item, so the counts are of people present: the room's temperature is their share.

Counts are kept per item as aggregates (the minutes report them), beside who holds
which reaction on each item (for the rule of one each; never shown)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, refuse
from facilitation.guards import require_live, speaker
from facilitation.pmap import PMap
from facilitation.queue import key

if TYPE_CHECKING:
    from facilitation.room import RoomState

KINDS = ("agree", "disagree", "applause", "unclear")


@dataclass(frozen=True, kw_only=True)
class SendReaction(Command):
    name: ClassVar[str] = "reaction.send"
    kind: str | None  # None withdraws one's reaction


@dataclass(frozen=True, kw_only=True)
class ReactionSent(Event):
    """`participant` is "" in logs from before reactions were state (a click each)."""

    name: ClassVar[str] = "reaction.sent"
    kind: str | None
    item: str | None
    participant: str = ""


def decide(command: Command, room: RoomState) -> list[Event]:
    assert isinstance(command, SendReaction)
    require_live(room)
    person = speaker(room, command.actor)
    if command.kind is not None and command.kind not in KINDS:
        raise refuse("invalid_data", "kind")
    item = room.agenda.current
    if current_of(room, item, person.id) == command.kind:
        return []  # already so: nothing changes
    return [ReactionSent(at=command.at, kind=command.kind, item=item, participant=person.id)]


def current_of(room: RoomState, item: str | None, participant: str) -> str | None:
    return room.reacting.get(key(item), PMap()).get(participant)


def evolve(room: RoomState, event: Event) -> RoomState:
    assert isinstance(event, ReactionSent)
    if not event.participant:  # an old log's click: one more, nobody's state
        return _count(room, event.item, None, event.kind)
    return _react(room, event.item, event.participant, event.kind)


def withdraw(room: RoomState, participant: str) -> RoomState:
    """The person left the room: their reaction on the running item no longer counts."""
    return _react(room, room.agenda.current, participant, None)


def _react(room: RoomState, item: str | None, participant: str, kind: str | None) -> RoomState:
    old = current_of(room, item, participant)
    if old == kind:
        return room
    room = _count(room, item, old, kind)
    k = key(item)
    mine = room.reacting.get(k, PMap())
    mine = mine.set(participant, kind) if kind else mine.delete(participant)
    return replace(room, reacting=room.reacting.set(k, mine))


def _count(room: RoomState, item: str | None, old: str | None, new: str | None) -> RoomState:
    k = key(item)
    counts: dict[str, int] = dict(room.reactions.get(k, {}))
    if old is not None:
        counts[old] = counts.get(old, 0) - 1
        if counts[old] <= 0:
            del counts[old]
    if new is not None:
        counts[new] = counts.get(new, 0) + 1
    totals: Mapping[str, Mapping[str, int]] = {**room.reactions, k: counts}
    return replace(room, reactions=totals)


COMMANDS = (SendReaction,)
EVENTS = (ReactionSent,)

"""Reactions: counted per agenda item ("" is the session before the first item), kept as
aggregates rather than one line per click."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, refuse
from facilitation.guards import require_live, speaker
from facilitation.queue import key

if TYPE_CHECKING:
    from facilitation.room import RoomState

KINDS = ("agree", "disagree", "applause", "unclear")


@dataclass(frozen=True, kw_only=True)
class SendReaction(Command):
    name: ClassVar[str] = "reaction.send"
    kind: str


@dataclass(frozen=True, kw_only=True)
class ReactionSent(Event):
    name: ClassVar[str] = "reaction.sent"
    kind: str
    item: str | None


def decide(command: Command, room: RoomState) -> list[Event]:
    assert isinstance(command, SendReaction)
    require_live(room)
    speaker(room, command.actor)
    if command.kind not in KINDS:
        raise refuse("invalid_data", "kind")
    return [ReactionSent(at=command.at, kind=command.kind, item=room.agenda.current)]


def evolve(room: RoomState, event: Event) -> RoomState:
    assert isinstance(event, ReactionSent)
    k = key(event.item)
    counts: Mapping[str, int] = room.reactions.get(k, {})
    counts = {**counts, event.kind: counts.get(event.kind, 0) + 1}
    return replace(room, reactions={**room.reactions, k: counts})


COMMANDS = (SendReaction,)
EVENTS = (ReactionSent,)

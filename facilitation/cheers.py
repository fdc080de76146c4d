"""Cheering: participants cheer a presenter of the running item (one cheer a second
each); the counts stay hidden from everyone, facilitators included, until a facilitator
reveals the item's cheers. Views show that a cheer came (for the projector's
animation), never a count before the reveal; the minutes record the totals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from facilitation.agenda import get_item
from facilitation.base import Command, Event, refuse
from facilitation.guards import member, require_live, speaker
from facilitation.limits import CHEER_INTERVAL_S
from facilitation.moderation_log import log
from facilitation.pmap import PMap

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class Cheers:
    counts: PMap[str, Mapping[str, int]] = field(default_factory=PMap)  # item: presenter: n
    revealed: frozenset[str] = frozenset()  # items whose counts are shown
    last: PMap[str, datetime] = field(default_factory=PMap)  # each person's last cheer

    def of(self, item: str) -> Mapping[str, int]:
        return self.counts.get(item, {})


@dataclass(frozen=True, kw_only=True)
class SendCheer(Command):
    name: ClassVar[str] = "cheer.send"
    presenter: str


@dataclass(frozen=True, kw_only=True)
class RevealCheers(Command):
    name: ClassVar[str] = "cheer.reveal"
    item: str


@dataclass(frozen=True, kw_only=True)
class CheerSent(Event):
    name: ClassVar[str] = "cheer.sent"
    item: str
    presenter: str
    participant: str


@dataclass(frozen=True, kw_only=True)
class CheersRevealed(Event):
    name: ClassVar[str] = "cheer.revealed"
    item: str
    by: str


def decide(command: Command, room: RoomState) -> list[Event]:
    require_live(room)
    if isinstance(command, SendCheer):
        person = speaker(room, command.actor)
        item = room.agenda.items.get(room.agenda.current or "")
        if item is None or command.presenter not in item.presenters:
            raise refuse("no_presenter", command.presenter)
        last = room.cheers.last.get(person.id)
        if last is not None and command.at < last + timedelta(seconds=CHEER_INTERVAL_S):
            raise refuse("rate_limited", f"one cheer every {CHEER_INTERVAL_S} s")
        return [
            CheerSent(
                at=command.at, item=item.id, presenter=command.presenter, participant=person.id
            )
        ]
    assert isinstance(command, RevealCheers)
    member(room, command.actor)
    item = get_item(room, command.item)
    if item.id in room.cheers.revealed:
        raise refuse("already_revealed")
    return [CheersRevealed(at=command.at, item=item.id, by=command.actor.participant)]


def evolve(room: RoomState, event: Event) -> RoomState:
    cheers = room.cheers
    if isinstance(event, CheerSent):
        counts = dict(cheers.of(event.item))
        counts[event.presenter] = counts.get(event.presenter, 0) + 1
        cheers = replace(
            cheers,
            counts=cheers.counts.set(event.item, counts),
            last=cheers.last.set(event.participant, event.at),
        )
        return replace(room, cheers=cheers)
    assert isinstance(event, CheersRevealed)
    room = replace(room, cheers=replace(cheers, revealed=cheers.revealed | {event.item}))
    detail = {"item": event.item, "counts": dict(cheers.of(event.item))}
    return log(room, event.at, event.by, "cheer.reveal", None, None, detail)


COMMANDS = (SendCheer, RevealCheers)
EVENTS = (CheerSent, CheersRevealed)

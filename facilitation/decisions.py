"""Decisions recorded on an agenda item, with the linked poll's full result copied in
(question, options, distribution, turnout, quorum) and the dissent in words."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, refuse
from facilitation.floor import check_text
from facilitation.guards import member, require_live
from facilitation.polls import get
from facilitation.tally import Tally

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class PollResult:
    poll: str
    question: str
    kind: str
    options: tuple[str, ...]
    secret: bool
    tally: Tally


@dataclass(frozen=True, kw_only=True)
class Decision:
    id: str
    item: str
    text: str
    dissent: str
    at: datetime
    by: str
    result: PollResult | None = None


@dataclass(frozen=True, kw_only=True)
class RecordDecision(Command):
    name: ClassVar[str] = "decision.record"
    decision: str
    item: str
    text: str
    poll: str | None = None
    dissent: str = ""


@dataclass(frozen=True, kw_only=True)
class DecisionRecorded(Event):
    name: ClassVar[str] = "decision.recorded"
    decision: str
    item: str
    text: str
    poll: str | None
    dissent: str
    by: str


def decide(command: Command, room: RoomState) -> list[Event]:
    assert isinstance(command, RecordDecision)
    require_live(room)
    member(room, command.actor)
    if command.decision in room.decisions:
        raise refuse("duplicate_id", command.decision)
    if command.item not in room.agenda.items:
        raise refuse("item_not_found", command.item)
    check_text(command.text)
    if len(command.dissent) > 2000:
        raise refuse("text_too_long", "dissent")
    if command.poll is not None and get(room, command.poll).result is None:
        raise refuse("poll_not_closed")
    return [
        DecisionRecorded(
            at=command.at,
            decision=command.decision,
            item=command.item,
            text=command.text,
            poll=command.poll,
            dissent=command.dissent,
            by=command.actor.participant,
        )
    ]


def evolve(room: RoomState, event: Event) -> RoomState:
    assert isinstance(event, DecisionRecorded)
    poll = room.polls.get(event.poll or "")
    result = None
    if poll is not None and poll.result is not None:
        result = PollResult(
            poll=poll.id,
            question=poll.question,
            kind=poll.kind,
            options=poll.options,
            secret=poll.secret,
            tally=poll.result,
        )
    decision = Decision(
        id=event.decision,
        item=event.item,
        text=event.text,
        dissent=event.dissent,
        at=event.at,
        by=event.by,
        result=result,
    )
    return replace(room, decisions=room.decisions.set(decision.id, decision))


COMMANDS = (RecordDecision,)
EVENTS = (DecisionRecorded,)

"""Statements: short written contributions, attached to the speaker's turn, the running
item, or the session; slow mode; hiding (with a reason, logged as moderation)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, Role, refuse
from facilitation.floor import check_text
from facilitation.guards import member, require_live, speaker
from facilitation.limits import MAX_REASON
from facilitation.moderation_log import log
from facilitation.participants import with_person

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class Statement:
    id: str
    participant: str
    text: str
    at: datetime
    turn: int | None  # set when its author had the floor
    item: str | None
    hidden: bool = False
    hidden_reason: str | None = None
    hidden_by: str | None = None
    hidden_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PostStatement(Command):
    name: ClassVar[str] = "statement.post"
    statement: str
    text: str


@dataclass(frozen=True, kw_only=True)
class HideStatement(Command):
    name: ClassVar[str] = "statement.hide"
    statement: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class StatementPosted(Event):
    name: ClassVar[str] = "statement.posted"
    statement: str
    participant: str
    text: str
    turn: int | None
    item: str | None


@dataclass(frozen=True, kw_only=True)
class StatementHidden(Event):
    name: ClassVar[str] = "statement.hidden"
    statement: str
    reason: str
    by: str


def decide(command: Command, room: RoomState) -> list[Event]:
    require_live(room)
    if isinstance(command, PostStatement):
        return [_post(command, room)]
    assert isinstance(command, HideStatement)
    member(room, command.actor)
    statement = room.statements.get(command.statement)
    if statement is None:
        raise refuse("statement_not_found", command.statement)
    if statement.hidden:
        raise refuse("already_hidden")
    if not 0 < len(command.reason.strip()) <= MAX_REASON:
        raise refuse("invalid_data", "reason")
    return [
        StatementHidden(
            at=command.at,
            statement=statement.id,
            reason=command.reason.strip(),
            by=command.actor.participant,
        )
    ]


def _post(command: PostStatement, room: RoomState) -> StatementPosted:
    person = speaker(room, command.actor)
    if command.statement in room.statements:
        raise refuse("duplicate_id", command.statement)
    check_text(command.text)
    # Facilitators run the room: statements-off and slow mode bind participants only.
    if person.role == Role.PARTICIPANT:
        if not room.settings.statements:
            raise refuse("statements_off")
        slow = timedelta(seconds=room.settings.slow_mode_s)
        if person.last_statement is not None and command.at < person.last_statement + slow:
            raise refuse("rate_limited")
    turn = room.floor.current_turn()
    mine = turn is not None and turn.participant == person.id
    return StatementPosted(
        at=command.at,
        statement=command.statement,
        participant=person.id,
        text=command.text,
        turn=turn.number if turn and mine else None,
        item=room.agenda.current,
    )


def evolve(room: RoomState, event: Event) -> RoomState:
    if isinstance(event, StatementPosted):
        statement = Statement(
            id=event.statement,
            participant=event.participant,
            text=event.text,
            at=event.at,
            turn=event.turn,
            item=event.item,
        )
        person = room.people.by_id.get(event.participant)
        if person is not None:
            room = with_person(room, replace(person, last_statement=event.at))
        return replace(room, statements=room.statements.set(statement.id, statement))
    assert isinstance(event, StatementHidden)
    found = room.statements.get(event.statement)
    if found is None:
        return room
    hidden = replace(
        found, hidden=True, hidden_reason=event.reason, hidden_by=event.by, hidden_at=event.at
    )
    room = log(room, event.at, event.by, "statement.hide", found.participant, event.reason)
    return replace(room, statements=room.statements.set(hidden.id, hidden))


COMMANDS = (PostStatement, HideStatement)
EVENTS = (StatementPosted, StatementHidden)

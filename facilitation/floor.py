"""Who has the floor: turns with a deadline, granting, yielding, overrun, transcript.

Turns are numbered 1, 2, … in the order they start (derived from the log, so no id has to
come from outside); a turn's timer is `TimerExpired("turn", str(number))`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, Role, refuse
from facilitation.guards import member, require_live, speaker, target
from facilitation.limits import MAX_EXTEND_S, MAX_TEXT
from facilitation.moderation_log import log
from facilitation.queue import Queue, current, hand_of, lower_everywhere, under_cap

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True)
class Segment:
    """One piece of transcript: what was said, who typed it (captioner), when."""

    text: str
    by: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Caption:
    """Transcript text appended while nobody held the floor: it belongs to the item
    (or, before the first item, to the session)."""

    n: int  # 1, 2, … in the order appended
    item: str | None
    text: str
    by: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Turn:
    number: int
    participant: str
    item: str | None
    kind: str
    started: datetime
    deadline: datetime
    ended: datetime | None = None
    end_reason: str | None = None  # yield|end|next|timeout|item|muted|removed|session
    overrun: bool = False
    segments: tuple[Segment, ...] = ()

    @property
    def transcript(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.segments)

    @property
    def duration_s(self) -> float | None:
        return None if self.ended is None else (self.ended - self.started).total_seconds()

    @property
    def overrun_s(self) -> float:
        """How far past the deadline the turn ran (0 if it ended in time or still runs)."""
        if self.ended is None:
            return 0.0
        return max(0.0, (self.ended - self.deadline).total_seconds())


@dataclass(frozen=True, kw_only=True)
class Floor:
    turns: tuple[Turn, ...] = ()
    current: int | None = None

    def current_turn(self) -> Turn | None:
        return None if self.current is None else self.turns[self.current - 1]


@dataclass(frozen=True, kw_only=True)
class GrantFloor(Command):
    name: ClassVar[str] = "floor.grant"
    participant: str | None = None


@dataclass(frozen=True, kw_only=True)
class YieldFloor(Command):
    name: ClassVar[str] = "floor.yield"


@dataclass(frozen=True, kw_only=True)
class EndFloor(Command):
    name: ClassVar[str] = "floor.end"


@dataclass(frozen=True, kw_only=True)
class ExtendFloor(Command):
    name: ClassVar[str] = "floor.extend"
    seconds: int


@dataclass(frozen=True, kw_only=True)
class AppendTranscript(Command):
    name: ClassVar[str] = "transcript.append"
    text: str


@dataclass(frozen=True, kw_only=True)
class FloorGranted(Event):
    name: ClassVar[str] = "floor.granted"
    turn: int
    participant: str
    item: str | None
    kind: str
    deadline: datetime
    by: str


@dataclass(frozen=True, kw_only=True)
class FloorEnded(Event):
    name: ClassVar[str] = "floor.ended"
    turn: int
    reason: str
    by: str = ""  # the facilitator who ended it (reason "end"); absent from early logs


@dataclass(frozen=True, kw_only=True)
class FloorExtended(Event):
    name: ClassVar[str] = "floor.extended"
    turn: int
    seconds: int
    deadline: datetime


@dataclass(frozen=True, kw_only=True)
class TurnOverran(Event):
    name: ClassVar[str] = "turn.overran"
    turn: int


@dataclass(frozen=True, kw_only=True)
class TranscriptAppended(Event):
    """Attached to the current turn, or to the item when nobody holds the floor
    (`turn` None)."""

    name: ClassVar[str] = "transcript.appended"
    turn: int | None
    text: str
    by: str = ""  # the facilitator or captioner (absent from early logs)
    item: str | None = None


def end_current(room: RoomState, at: datetime, reason: str) -> list[Event]:
    turn = room.floor.current_turn()
    return [] if turn is None else [FloorEnded(at=at, turn=turn.number, reason=reason)]


def grant_next(room: RoomState, at: datetime, by: str) -> list[Event]:
    """Grants the floor to the first waiting hand whose owner may speak now, if any."""
    for hand in current(room).hands:
        person = room.people.by_id.get(hand.participant)
        if person and person.status == "present" and under_cap(room, hand.participant):
            return [_grant(room, at, hand.participant, hand.kind, by)]
    return []


def _grant(room: RoomState, at: datetime, participant: str, kind: str, by: str) -> FloorGranted:
    return FloorGranted(
        at=at,
        turn=len(room.floor.turns) + 1,
        participant=participant,
        item=room.agenda.current,
        kind=kind,
        deadline=at + timedelta(seconds=room.settings.turn_s),
        by=by,
    )


def decide(command: Command, room: RoomState) -> list[Event]:
    require_live(room)
    turn = room.floor.current_turn()
    if isinstance(command, AppendTranscript):
        return _transcript(command, room)
    if isinstance(command, YieldFloor):
        member(room, command.actor)
        if turn is None or turn.participant != command.actor.participant:
            raise refuse("not_your_turn")
        return [FloorEnded(at=command.at, turn=turn.number, reason="yield")]
    member(room, command.actor)
    if isinstance(command, GrantFloor):
        return _decide_grant(command, room)
    if turn is None:
        raise refuse("no_current_turn")
    if isinstance(command, EndFloor):
        by = command.actor.participant
        return [FloorEnded(at=command.at, turn=turn.number, reason="end", by=by)]
    assert isinstance(command, ExtendFloor)
    if not 0 < command.seconds <= MAX_EXTEND_S:
        raise refuse("invalid_data", "seconds")
    deadline = turn.deadline + timedelta(seconds=command.seconds)
    return [
        FloorExtended(at=command.at, turn=turn.number, seconds=command.seconds, deadline=deadline)
    ]


def _transcript(command: AppendTranscript, room: RoomState) -> list[Event]:
    # A captioner is no person in the room (a bot posts over HTTP): only its role counts.
    if command.actor.role != Role.CAPTIONER:
        member(room, command.actor)
    check_text(command.text)
    turn = room.floor.current_turn()
    return [
        TranscriptAppended(
            at=command.at,
            turn=None if turn is None else turn.number,
            text=command.text,
            by=command.actor.participant,
            item=room.agenda.current,
        )
    ]


def check_text(text: str) -> None:
    if not text.strip():
        raise refuse("text_empty")
    if len(text) > MAX_TEXT:
        raise refuse("text_too_long", f"at most {MAX_TEXT} characters")


def _decide_grant(command: GrantFloor, room: RoomState) -> list[Event]:
    ending = end_current(room, command.at, "next")
    by = command.actor.participant
    if command.participant is None:
        granted = grant_next(room, command.at, by)
        if not granted:
            raise refuse("queue_empty")
        return ending + granted
    person = target(room, command.participant)
    turn = room.floor.current_turn()
    if turn is not None and turn.participant == person.id:
        raise refuse("already_speaking")
    speaker(room, replace(command.actor, participant=person.id))
    if not under_cap(room, person.id):
        raise refuse("turn_cap_reached")
    hand = hand_of(current(room), person.id)
    kind = "speak" if hand is None else hand.kind
    return [*ending, _grant(room, command.at, person.id, kind, by)]


def on_timer(room: RoomState, ref: str, at: datetime) -> list[Event]:
    """The turn deadline: mark the overrun once; with auto_advance pass the floor on."""
    turn = room.floor.current_turn()
    if turn is None or str(turn.number) != ref or turn.overrun or at < turn.deadline:
        return []
    events: list[Event] = [TurnOverran(at=at, turn=turn.number)]
    if room.settings.auto_advance:
        events.append(FloorEnded(at=at, turn=turn.number, reason="timeout"))
        after = room.floor
        ended = replace(after, current=None, turns=(*after.turns[:-1], replace(turn, ended=at)))
        events += grant_next(replace(room, floor=ended), at, "system")
    return events


def evolve(room: RoomState, event: Event) -> RoomState:
    floor = room.floor
    if isinstance(event, FloorGranted):
        turn = Turn(
            number=event.turn,
            participant=event.participant,
            item=event.item,
            kind=event.kind,
            started=event.at,
            deadline=event.deadline,
        )
        if hand_of(room.queues.by_item.get(event.item or "", Queue()), event.participant):
            called = room.queues.called_by
            called = called.set(event.participant, called.get(event.participant, 0) + 1)
            room = replace(room, queues=replace(room.queues, called_by=called))
        room = lower_everywhere(room, event.participant)
        return replace(room, floor=Floor(turns=(*floor.turns, turn), current=event.turn))
    assert isinstance(event, _TURN_EVENTS)
    if isinstance(event, TranscriptAppended) and event.turn is None:
        n = len(room.captions) + 1
        caption = Caption(n=n, item=event.item, text=event.text, by=event.by, at=event.at)
        return replace(room, captions=room.captions.set(n, caption))
    if event.turn is None or not 0 < event.turn <= len(floor.turns):
        return room
    turn = floor.turns[event.turn - 1]
    current_no = floor.current
    if isinstance(event, FloorEnded):
        turn = replace(
            turn,
            ended=event.at,
            end_reason=event.reason,
            overrun=turn.overrun or event.at > turn.deadline,
        )
        current_no = None if current_no == event.turn else current_no
        if event.reason == "end":
            detail = {"turn": turn.number}
            room = log(room, event.at, event.by, "floor.end", turn.participant, None, detail)
    elif isinstance(event, FloorExtended):
        turn = replace(
            turn, deadline=event.deadline, overrun=turn.overrun and event.deadline <= event.at
        )
    elif isinstance(event, TurnOverran):
        turn = replace(turn, overrun=True)
    else:
        turn = replace(turn, segments=(*turn.segments, Segment(event.text, event.by, event.at)))
    turns = (*floor.turns[: event.turn - 1], turn, *floor.turns[event.turn :])
    return replace(room, floor=Floor(turns=turns, current=current_no))


_TURN_EVENTS = (FloorEnded, FloorExtended, TurnOverran, TranscriptAppended)
COMMANDS = (GrantFloor, YieldFloor, EndFloor, ExtendFloor, AppendTranscript)
EVENTS = (FloorGranted, *_TURN_EVENTS)

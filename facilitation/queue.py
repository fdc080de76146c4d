"""The speaking list of each agenda item: hands, their kinds and the ordering policy.

Order is kept explicit (a tuple) because facilitators may move hands; a new hand is
inserted where the policy puts it. The policy key is (kind rank, spoken-already in `fair`,
raise number): points of order first, then replies, then ordinary hands; in `fair`, people
who have not spoken on this item go before those who have; ties by raise order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, Role, refuse
from facilitation.guards import member, require_live, speaker
from facilitation.moderation_log import log
from facilitation.pmap import PMap

if TYPE_CHECKING:
    from facilitation.room import RoomState

HAND_KINDS = ("speak", "point_of_order", "reply")
_RANK = {"point_of_order": 0, "reply": 1, "speak": 2}


@dataclass(frozen=True)
class Hand:
    participant: str
    kind: str
    raised: datetime
    number: int  # raise order across the room; the policy's tie-break


@dataclass(frozen=True, kw_only=True)
class Queue:
    hands: tuple[Hand, ...] = ()
    closed: bool = False
    moved: bool = False  # a facilitator reordered it by hand since the policy last did


@dataclass(frozen=True, kw_only=True)
class Queues:
    """Queues by agenda item id; "" is the session's own list before the first item."""

    by_item: PMap[str, Queue] = field(default_factory=PMap)
    raised: int = 0
    # For the voice-equity report: hands each person raised, and how many of those were
    # called (the floor granted while the hand was up), over the whole session.
    raised_by: PMap[str, int] = field(default_factory=PMap)
    called_by: PMap[str, int] = field(default_factory=PMap)


@dataclass(frozen=True, kw_only=True)
class RaiseHand(Command):
    name: ClassVar[str] = "hand.raise"
    kind: str = "speak"


@dataclass(frozen=True, kw_only=True)
class LowerHand(Command):
    name: ClassVar[str] = "hand.lower"
    participant: str | None = None


@dataclass(frozen=True, kw_only=True)
class MoveHand(Command):
    name: ClassVar[str] = "queue.move"
    participant: str
    position: int


@dataclass(frozen=True, kw_only=True)
class ClearQueue(Command):
    name: ClassVar[str] = "queue.clear"


@dataclass(frozen=True, kw_only=True)
class CloseQueue(Command):
    name: ClassVar[str] = "queue.close"


@dataclass(frozen=True, kw_only=True)
class OpenQueue(Command):
    name: ClassVar[str] = "queue.open"


@dataclass(frozen=True, kw_only=True)
class HandRaised(Event):
    name: ClassVar[str] = "hand.raised"
    participant: str
    kind: str
    item: str | None


@dataclass(frozen=True, kw_only=True)
class HandLowered(Event):
    name: ClassVar[str] = "hand.lowered"
    participant: str
    item: str | None
    by: str


@dataclass(frozen=True, kw_only=True)
class HandMoved(Event):
    name: ClassVar[str] = "hand.moved"
    participant: str
    item: str | None
    position: int
    by: str = ""  # absent from early logs


@dataclass(frozen=True, kw_only=True)
class QueueCleared(Event):
    name: ClassVar[str] = "queue.cleared"
    item: str | None
    by: str = ""  # absent from early logs


@dataclass(frozen=True, kw_only=True)
class QueueClosed(Event):
    name: ClassVar[str] = "queue.closed"
    item: str | None


@dataclass(frozen=True, kw_only=True)
class QueueOpened(Event):
    name: ClassVar[str] = "queue.opened"
    item: str | None


def key(item: str | None) -> str:
    return item or ""


def current(room: RoomState) -> Queue:
    return room.queues.by_item.get(key(room.agenda.current), Queue())


def spoken(room: RoomState, item: str | None) -> set[str]:
    return {t.participant for t in room.floor.turns if t.item == item}


def turns_of(room: RoomState, participant: str, item: str | None) -> int:
    return sum(1 for t in room.floor.turns if t.item == item and t.participant == participant)


def policy_key(hand: Hand, fair: bool, has_spoken: set[str]) -> tuple[int, bool, int]:
    return (_RANK.get(hand.kind, 2), fair and hand.participant in has_spoken, hand.number)


def under_cap(room: RoomState, participant: str) -> bool:
    cap = room.settings.max_turns_per_item
    return cap == 0 or turns_of(room, participant, room.agenda.current) < cap


def hand_of(queue: Queue, participant: str) -> Hand | None:
    return next((h for h in queue.hands if h.participant == participant), None)


def decide(command: Command, room: RoomState) -> list[Event]:
    require_live(room)
    item = room.agenda.current
    queue = current(room)
    if isinstance(command, RaiseHand):
        return _raise(command, room, queue)
    if isinstance(command, LowerHand):
        member(room, command.actor)
        who = command.participant or command.actor.participant
        if who != command.actor.participant and command.actor.role != Role.FACILITATOR:
            raise refuse("forbidden", "only facilitators lower others' hands")
        if hand_of(queue, who) is None:
            raise refuse("no_hand")
        return [
            HandLowered(at=command.at, participant=who, item=item, by=command.actor.participant)
        ]
    member(room, command.actor)
    if isinstance(command, MoveHand):
        if hand_of(queue, command.participant) is None:
            raise refuse("no_hand")
        if command.position < 0:
            raise refuse("invalid_data", "position")
        position = min(command.position, len(queue.hands) - 1)
        return [
            HandMoved(
                at=command.at,
                participant=command.participant,
                item=item,
                position=position,
                by=command.actor.participant,
            )
        ]
    if isinstance(command, ClearQueue):
        if not queue.hands:
            raise refuse("queue_empty")
        return [QueueCleared(at=command.at, item=item, by=command.actor.participant)]
    if isinstance(command, CloseQueue):
        if queue.closed:
            raise refuse("queue_already_closed")
        return [QueueClosed(at=command.at, item=item)]
    assert isinstance(command, OpenQueue)
    if not queue.closed:
        raise refuse("queue_already_open")
    return [QueueOpened(at=command.at, item=item)]


def _raise(command: RaiseHand, room: RoomState, queue: Queue) -> list[Event]:
    person = speaker(room, command.actor)
    if command.kind not in HAND_KINDS:
        raise refuse("invalid_data", "kind")
    if queue.closed:
        raise refuse("queue_closed")
    if hand_of(queue, person.id) is not None:
        raise refuse("hand_already_raised")
    turn = room.floor.current_turn()
    if turn is not None and turn.participant == person.id:
        raise refuse("already_speaking")
    if command.kind == "reply" and turn is None:
        raise refuse("no_current_turn")
    if not under_cap(room, person.id):
        raise refuse("turn_cap_reached")
    return [
        HandRaised(
            at=command.at, participant=person.id, kind=command.kind, item=room.agenda.current
        )
    ]


def evolve(room: RoomState, event: Event) -> RoomState:
    assert isinstance(event, _ITEM_EVENTS)
    k = key(event.item)
    queue = room.queues.by_item.get(k, Queue())
    if isinstance(event, HandRaised):
        hand = Hand(event.participant, event.kind, event.at, room.queues.raised + 1)
        fair = room.settings.queue_policy == "fair"
        has_spoken = spoken(room, event.item)
        mine = policy_key(hand, fair, has_spoken)
        hands = queue.hands
        at = next(
            (i for i, h in enumerate(hands) if policy_key(h, fair, has_spoken) > mine), len(hands)
        )
        queue = replace(queue, hands=(*hands[:at], hand, *hands[at:]))
        queues = room.queues
        raised_by = queues.raised_by.set(
            hand.participant, queues.raised_by.get(hand.participant, 0) + 1
        )
        room = replace(room, queues=replace(queues, raised=hand.number, raised_by=raised_by))
    elif isinstance(event, HandLowered):
        queue = without(queue, event.participant)
        if event.by != event.participant:
            room = log(room, event.at, event.by, "hand.lower", event.participant)
    elif isinstance(event, HandMoved):
        moving = hand_of(queue, event.participant)
        if moving is None:
            return room
        rest = without(queue, event.participant).hands
        hands = (*rest[: event.position], moving, *rest[event.position :])
        queue = replace(queue, hands=hands, moved=True)
        moved = {"position": event.position}
        room = log(room, event.at, event.by, "queue.move", event.participant, None, moved)
    elif isinstance(event, QueueCleared):
        cleared = {"hands": [h.participant for h in queue.hands]}
        room = log(room, event.at, event.by, "queue.clear", None, None, cleared)
        queue = replace(queue, hands=())
    else:
        queue = replace(queue, closed=isinstance(event, QueueClosed))
    return with_queue(room, k, queue)


def without(queue: Queue, participant: str) -> Queue:
    return replace(queue, hands=tuple(h for h in queue.hands if h.participant != participant))


def with_queue(room: RoomState, k: str, queue: Queue) -> RoomState:
    return replace(room, queues=replace(room.queues, by_item=room.queues.by_item.set(k, queue)))


def resort(room: RoomState) -> RoomState:
    """Puts every queue back in policy order (after the policy itself changed)."""
    fair = room.settings.queue_policy == "fair"
    by_item: dict[str, Queue] = {}
    for k, queue in room.queues.by_item.items():
        has_spoken = spoken(room, k or None)
        hands = tuple(sorted(queue.hands, key=lambda h: policy_key(h, fair, has_spoken)))
        by_item[k] = replace(queue, hands=hands, moved=False)
    return replace(room, queues=replace(room.queues, by_item=PMap(by_item)))


def lower_everywhere(room: RoomState, participant: str) -> RoomState:
    by_item = PMap((k, without(q, participant)) for k, q in room.queues.by_item.items())
    return replace(room, queues=replace(room.queues, by_item=by_item))


_ITEM_EVENTS = (HandRaised, HandLowered, HandMoved, QueueCleared, QueueClosed, QueueOpened)
COMMANDS = (RaiseHand, LowerHand, MoveHand, ClearQueue, CloseQueue, OpenQueue)
EVENTS = _ITEM_EVENTS

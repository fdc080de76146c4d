"""Running the agenda: one item at a time, started, paused, resumed, extended, completed.

The running item's deadline is absolute (clients render the countdown); while paused the
item keeps its remaining seconds instead. At the deadline the timer marks it overrun.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from facilitation.agenda import Item, get_item, with_item
from facilitation.base import Command, Event, refuse
from facilitation.floor import end_current
from facilitation.guards import member, require_live
from facilitation.limits import MAX_EXTEND_S

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class StartAgendaItem(Command):
    name: ClassVar[str] = "agenda.start"
    item: str


@dataclass(frozen=True, kw_only=True)
class PauseAgendaItem(Command):
    name: ClassVar[str] = "agenda.pause"


@dataclass(frozen=True, kw_only=True)
class ResumeAgendaItem(Command):
    name: ClassVar[str] = "agenda.resume"


@dataclass(frozen=True, kw_only=True)
class ExtendAgendaItem(Command):
    name: ClassVar[str] = "agenda.extend"
    seconds: int


@dataclass(frozen=True, kw_only=True)
class CompleteAgendaItem(Command):
    name: ClassVar[str] = "agenda.complete"
    item: str | None = None


@dataclass(frozen=True, kw_only=True)
class AgendaItemStarted(Event):
    name: ClassVar[str] = "agenda.started"
    item: str
    deadline: datetime


@dataclass(frozen=True, kw_only=True)
class AgendaItemPaused(Event):
    name: ClassVar[str] = "agenda.paused"
    item: str
    remaining_s: float


@dataclass(frozen=True, kw_only=True)
class AgendaItemResumed(Event):
    name: ClassVar[str] = "agenda.resumed"
    item: str
    deadline: datetime


@dataclass(frozen=True, kw_only=True)
class AgendaItemExtended(Event):
    name: ClassVar[str] = "agenda.extended"
    item: str
    seconds: int


@dataclass(frozen=True, kw_only=True)
class AgendaItemCompleted(Event):
    name: ClassVar[str] = "agenda.completed"
    item: str


@dataclass(frozen=True, kw_only=True)
class AgendaItemOverran(Event):
    name: ClassVar[str] = "agenda.overran"
    item: str


def decide(command: Command, room: RoomState) -> list[Event]:
    require_live(room)
    member(room, command.actor)
    at = command.at
    running = room.agenda.current
    if isinstance(command, StartAgendaItem):
        item = get_item(room, command.item)
        if item.status != "pending":
            raise refuse("item_not_pending")
        ending = [] if running is None else complete(room, running, at)
        deadline = at + timedelta(seconds=item.duration_s)
        return [*ending, AgendaItemStarted(at=at, item=item.id, deadline=deadline)]
    if isinstance(command, CompleteAgendaItem):
        item = get_item(room, command.item or running or "")
        if item.status == "done":
            raise refuse("item_done")
        if item.status == "pending":
            return [AgendaItemCompleted(at=at, item=item.id)]  # skipped, never started
        return complete(room, item.id, at)
    if running is None:
        raise refuse("no_current_item")
    item = room.agenda.items[running]
    if isinstance(command, PauseAgendaItem):
        if item.deadline is None:
            raise refuse("item_not_running")
        remaining = (item.deadline - at).total_seconds()
        return [AgendaItemPaused(at=at, item=item.id, remaining_s=remaining)]
    if isinstance(command, ResumeAgendaItem):
        if item.remaining_s is None:
            raise refuse("item_not_paused")
        deadline = at + timedelta(seconds=item.remaining_s)
        return [AgendaItemResumed(at=at, item=item.id, deadline=deadline)]
    assert isinstance(command, ExtendAgendaItem)
    if not 0 < command.seconds <= MAX_EXTEND_S:
        raise refuse("invalid_data", "seconds")
    return [AgendaItemExtended(at=at, item=item.id, seconds=command.seconds)]


def complete(room: RoomState, item: str, at: datetime) -> list[Event]:
    """Completing the running item also ends the turn in progress on it."""
    return [*end_current(room, at, "item"), AgendaItemCompleted(at=at, item=item)]


def on_timer(room: RoomState, ref: str, at: datetime) -> list[Event]:
    item = room.agenda.items.get(ref)
    if item is None or item.deadline is None or item.overrun or at < item.deadline:
        return []
    return [AgendaItemOverran(at=at, item=item.id)]


def advance_at(room: RoomState) -> datetime | None:
    """When the running item gives way to the next (`auto_advance_items`): its deadline
    plus the grace period; None when it does not (off, paused, nothing running)."""
    item = room.agenda.items.get(room.agenda.current or "")
    if not room.settings.auto_advance_items or item is None or item.deadline is None:
        return None
    return item.deadline + timedelta(seconds=room.settings.item_grace_s)


def next_pending(room: RoomState) -> str | None:
    agenda = room.agenda
    return next((i for i in agenda.order if agenda.items[i].status == "pending"), None)


def on_advance(room: RoomState, ref: str, at: datetime) -> list[Event]:
    """The agenda runs itself: at the deadline + grace the running item completes (its
    overrun marked, its turn ended) and the next pending item starts, if any."""
    due = advance_at(room)
    if due is None or room.agenda.current != ref or at < due:
        return []
    item = room.agenda.items[ref]
    events: list[Event] = [] if item.overrun else [AgendaItemOverran(at=at, item=ref)]
    events += complete(room, ref, at)
    following = next_pending(room)
    if following is not None:
        duration = room.agenda.items[following].duration_s
        deadline = at + timedelta(seconds=duration)
        events.append(AgendaItemStarted(at=at, item=following, deadline=deadline))
    return events


def evolve(room: RoomState, event: Event) -> RoomState:
    agenda = room.agenda
    assert isinstance(event, EVENTS)
    found = agenda.items.get(event.item)
    if found is None:
        return room
    if isinstance(event, AgendaItemStarted):
        item = replace(found, status="running", started=event.at, deadline=event.deadline)
        agenda = replace(agenda, current=item.id)
    elif isinstance(event, AgendaItemPaused):
        item = replace(
            found, status="paused", deadline=None, remaining_s=event.remaining_s, paused_at=event.at
        )
    elif isinstance(event, AgendaItemResumed):
        item = replace(_unpause(found, event.at), status="running", deadline=event.deadline)
    elif isinstance(event, AgendaItemExtended):
        item = _extend(found, event.seconds, event.at)
    elif isinstance(event, AgendaItemCompleted):
        item = replace(_unpause(found, event.at), status="done", ended=event.at, deadline=None)
        agenda = replace(agenda, current=None if agenda.current == item.id else agenda.current)
    else:
        item = replace(found, overrun=True)
    return with_item(room, agenda, item)


def _unpause(item: Item, at: datetime) -> Item:
    if item.paused_at is None:
        return item
    paused = item.paused_s + (at - item.paused_at).total_seconds()
    return replace(item, paused_s=paused, paused_at=None, remaining_s=None)


def _extend(item: Item, seconds: int, at: datetime) -> Item:
    extended = item.extended_s + seconds
    if item.deadline is not None:
        deadline = item.deadline + timedelta(seconds=seconds)
        return replace(
            item, extended_s=extended, deadline=deadline, overrun=item.overrun and deadline <= at
        )
    remaining = (item.remaining_s or 0.0) + seconds
    return replace(
        item, extended_s=extended, remaining_s=remaining, overrun=item.overrun and remaining <= 0
    )


def running_end(room: RoomState, now: datetime) -> datetime:
    """When the running item is expected to end, seen at `now`: its deadline, or now if
    it runs over (at most its deadline + grace when the agenda runs itself); now + the
    remaining time when paused; now when nothing runs."""
    active = room.agenda.items.get(room.agenda.current or "")
    if active is None:
        return now
    if active.deadline is None:
        return now + timedelta(seconds=max(0.0, active.remaining_s or 0.0))
    end = max(now, active.deadline)
    due = advance_at(room)
    return end if due is None else min(end, due)


def plan_offsets(room: RoomState) -> dict[str, float]:
    """Each pending item's planned start, in seconds after the running item ends (the
    planned durations of the pending items before it, in agenda order)."""
    agenda = room.agenda
    offsets: dict[str, float] = {}
    total = 0.0
    for i in agenda.order:
        if agenda.items[i].status == "pending":
            offsets[i] = total
            total += agenda.items[i].duration_s
    return offsets


def planned_starts(room: RoomState) -> dict[str, datetime]:
    """Each pending item's planned start, re-planned from the running item's overrun,
    seen from the time of the last event."""
    if room.clock is None:
        return {}
    base = running_end(room, room.clock)
    return {i: base + timedelta(seconds=s) for i, s in plan_offsets(room).items()}


def estimated_end(room: RoomState) -> datetime | None:
    """When the agenda ends if the running item keeps its deadline and every pending
    item takes its planned time, seen from the time of the last event."""
    now = room.clock
    if now is None:
        return None
    agenda = room.agenda
    pending = sum(
        agenda.items[i].duration_s for i in agenda.order if agenda.items[i].status == "pending"
    )
    return running_end(room, now) + timedelta(seconds=pending)


COMMANDS = (
    StartAgendaItem,
    PauseAgendaItem,
    ResumeAgendaItem,
    ExtendAgendaItem,
    CompleteAgendaItem,
)
EVENTS = (
    AgendaItemStarted,
    AgendaItemPaused,
    AgendaItemResumed,
    AgendaItemExtended,
    AgendaItemCompleted,
    AgendaItemOverran,
)

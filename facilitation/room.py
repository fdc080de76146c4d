"""The room: every feature's decider composed, `fold`, and the deadlines for the clock.

A command is dispatched to the feature that owns it; its events are applied by the
feature that owns them. Timers are commands too (`TimerExpired`), applied by whoever
holds the clock; each feature checks the deadline is really due and not yet handled, so
a timer fired late or twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from facilitation import (
    agenda,
    agenda_timing,
    cheers,
    decisions,
    floor,
    moderation,
    participants,
    polls,
    proposals,
    questions,
    queue,
    reactions,
    roll,
    session,
    statements,
)
from facilitation.agenda import Agenda
from facilitation.base import SYSTEM, Actor, Command, DomainError, Event, changed, refuse
from facilitation.cheers import Cheers
from facilitation.decisions import Decision
from facilitation.floor import Caption, Floor
from facilitation.moderation import Settings
from facilitation.moderation_log import ModerationEntry
from facilitation.participants import (
    AttendanceChange,
    AttendanceRecorded,
    People,
    RecordAttendance,
    as_change,
)
from facilitation.pmap import PMap
from facilitation.polls import Poll
from facilitation.proposals import Proposal
from facilitation.questions import Question
from facilitation.queue import Queues
from facilitation.redaction import WITHDRAWING
from facilitation.roles import can
from facilitation.roll import Roll
from facilitation.session import Session
from facilitation.statements import Statement


@dataclass(frozen=True, kw_only=True)
class RoomState:
    room: str
    session: Session = field(default_factory=Session)
    settings: Settings = field(default_factory=Settings)
    locked: bool = False
    roll: Roll = field(default_factory=Roll)
    people: People = field(default_factory=People)
    agenda: Agenda = field(default_factory=Agenda)
    queues: Queues = field(default_factory=Queues)
    floor: Floor = field(default_factory=Floor)
    polls: PMap[str, Poll] = field(default_factory=PMap)
    statements: PMap[str, Statement] = field(default_factory=PMap)
    questions: PMap[str, Question] = field(default_factory=PMap)
    proposals: PMap[str, Proposal] = field(default_factory=PMap)
    reactions: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # counts
    reacting: PMap[str, PMap[str, str]] = field(default_factory=PMap)  # item: who: kind
    decisions: PMap[str, Decision] = field(default_factory=PMap)
    cheers: Cheers = field(default_factory=Cheers)
    captions: PMap[int, Caption] = field(default_factory=PMap)  # when nobody had the floor
    moderation: tuple[ModerationEntry, ...] = ()
    clock: datetime | None = None  # `at` of the last event: views compute from it
    seq: int = 0  # events folded in: the log's seq when folded from the start
    withdrawn: int = 0  # seq of the last event that withdrew text (facilitation.redaction)
    # The record's head (facilitation.record): kept by whoever folds the log's records
    # (townhall), since it hashes the log's own time strings; evolve leaves it alone.
    head: str = "0" * 64  # facilitation.record.GENESIS


@dataclass(frozen=True, kw_only=True)
class TimerExpired(Command):
    """Server-issued when a deadline of `next_deadlines` passes; never from the wire."""

    name: ClassVar[str] = "timer.expire"
    actor: Actor = SYSTEM
    kind: str  # "agenda" | "advance" | "turn" | "poll"
    ref: str


@dataclass(frozen=True)
class Deadline:
    kind: str
    ref: str
    at: datetime


def initial_state(
    room: str,
    *,
    title: str = "",
    description: str = "",
    language: str = "en",
    settings: Settings | None = None,
) -> RoomState:
    return RoomState(
        room=room,
        session=Session(title=title, description=description, language=language),
        settings=settings or Settings(),
    )


Decider = Callable[[Command, RoomState], list[Event]]
Evolver = Callable[[RoomState, Event], RoomState]
_FEATURES = (
    participants,
    queue,
    floor,
    agenda,
    agenda_timing,
    polls,
    proposals,
    statements,
    questions,
    reactions,
    decisions,
    cheers,
    moderation,
    roll,
    session,
)
_DECIDERS: dict[type[Command], Decider] = {
    cls: feature.decide for feature in _FEATURES for cls in feature.COMMANDS
}
_EVOLVERS: dict[type[Event], Evolver] = {
    cls: feature.evolve for feature in _FEATURES for cls in feature.EVENTS
}
COMMANDS: tuple[type[Command], ...] = (*_DECIDERS, TimerExpired, RecordAttendance)
EVENTS: tuple[type[Event], ...] = tuple(_EVOLVERS)
_SERVER_AFTER_END = (participants.LeaveRoom, participants.UpdatePresence, session.Ping)
_TIMERS = {
    "agenda": agenda_timing.on_timer,
    "advance": agenda_timing.on_advance,
    "turn": floor.on_timer,
    "poll": polls.on_timer,
}


def decide(command: Command, state: RoomState) -> list[Event]:
    if isinstance(command, TimerExpired):
        if state.session.status != "live" or command.kind not in _TIMERS:
            return []
        return _TIMERS[command.kind](state, command.ref, command.at)
    if not can(command.actor.role, command.name):
        raise refuse("forbidden")
    if isinstance(command, RecordAttendance):
        return _attendance(command, state)
    if state.session.status == "ended":
        if isinstance(command, _SERVER_AFTER_END):
            return []
        raise refuse("session_ended")
    return _DECIDERS[type(command)](command, state)


def _attendance(command: RecordAttendance, state: RoomState) -> list[Event]:
    return decide_attendance(command, state)[0]


def decide_attendance(
    command: RecordAttendance, state: RoomState
) -> tuple[list[Event], list[DomainError | None]]:
    """Each entry decided as the single command it stands for, on the state after the
    ones before it; their join, wait and leave events become one ``attendance.recorded``,
    and a refused entry records nothing. Also returns each entry's refusal (or None), for
    a server that gathered the entries from hellos and answers each one."""
    changes: list[AttendanceChange] = []
    refusals: list[DomainError | None] = []
    for entry in command.entries:
        try:
            made = decide(entry.command(command.at), state)
        except DomainError as exc:
            refusals.append(exc)
            continue
        refusals.append(None)
        for event in made:
            changes.append(as_change(event, state))
            state = evolve(state, event)
    if not changes:
        return [], refusals
    return [AttendanceRecorded(at=command.at, changes=tuple(changes))], refusals


def evolve(state: RoomState, event: Event) -> RoomState:
    after = _EVOLVERS[type(event)](state, event)
    seq = state.seq + 1
    if event.name in WITHDRAWING:
        return changed(after, clock=event.at, seq=seq, withdrawn=seq)
    return changed(after, clock=event.at, seq=seq)


def fold(events: Iterable[Event], state: RoomState | None = None) -> RoomState:
    current = state if state is not None else initial_state("")
    for event in events:
        current = evolve(current, event)
    return current


def next_deadlines(state: RoomState) -> list[Deadline]:
    """Deadlines still to fire, soonest first (none once the session is not live)."""
    if state.session.status != "live":
        return []
    found: list[Deadline] = []
    item = state.agenda.items.get(state.agenda.current or "")
    if item is not None and item.deadline is not None and not item.overrun:
        found.append(Deadline("agenda", item.id, item.deadline))
    advance = agenda_timing.advance_at(state)
    if item is not None and advance is not None:
        found.append(Deadline("advance", item.id, advance))
    turn = state.floor.current_turn()
    if turn is not None and not turn.overrun:
        found.append(Deadline("turn", str(turn.number), turn.deadline))
    found += [
        Deadline("poll", p.id, p.closes)
        for p in state.polls.values()
        if p.status == "open" and p.closes is not None
    ]
    return sorted(found, key=lambda d: (d.at, d.kind, d.ref))

"""Given/when/then for the deciders, fmodel style: one line per test, no fixtures.

given(*LIVE).when(RaiseHand(actor=P1, at=t(5))).then(HandRaised(...))
given(*LIVE, QueueClosed(...)).when(RaiseHand(...)).raises("queue_closed")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from facilitation.agenda import AgendaItemAdded
from facilitation.agenda_timing import AgendaItemStarted
from facilitation.base import ORGANISER, Actor, Command, DomainError, Event, Role
from facilitation.participants import ParticipantJoined
from facilitation.room import RoomState, decide, fold, initial_state
from facilitation.session import SessionStarted

T0 = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)

FAC = Actor("f1", Role.FACILITATOR)
FAC2 = Actor("f2", Role.FACILITATOR)
P1 = Actor("p1", Role.PARTICIPANT)
P2 = Actor("p2", Role.PARTICIPANT)
P3 = Actor("p3", Role.PARTICIPANT)
OBS = Actor("o1", Role.OBSERVER)
ORG = ORGANISER


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def joined(who: Actor, seconds: float = 0) -> ParticipantJoined:
    return ParticipantJoined(
        at=t(seconds),
        participant=who.participant,
        display_name=who.participant.upper(),
        role=who.role,
    )


PEOPLE: tuple[Event, ...] = (joined(FAC), joined(FAC2), joined(P1), joined(P2), joined(P3))
LIVE: tuple[Event, ...] = (*PEOPLE, SessionStarted(at=t(1)))
ITEM_ADDED = AgendaItemAdded(at=t(1), item="i1", title="Budget", duration_s=600, description="")
ITEM2_ADDED = AgendaItemAdded(at=t(1), item="i2", title="Parks", duration_s=300, description="")
ON_ITEM: tuple[Event, ...] = (
    *LIVE,
    ITEM_ADDED,
    ITEM2_ADDED,
    AgendaItemStarted(at=t(2), item="i1", deadline=t(602)),
)


@dataclass(frozen=True)
class When:
    state: RoomState
    command: Command

    def then(self, *expected: Event) -> RoomState:
        events = decide(self.command, self.state)
        assert events == list(expected)
        return fold(events, self.state)

    def raises(self, code: str) -> DomainError:
        with pytest.raises(DomainError) as caught:
            decide(self.command, self.state)
        assert caught.value.code == code
        return caught.value


@dataclass(frozen=True)
class Given:
    state: RoomState

    def when(self, command: Command) -> When:
        return When(self.state, command)


def given(*events: Event) -> Given:
    return Given(fold(events, initial_state("r")))


def state_of(*events: Event) -> RoomState:
    return fold(events, initial_state("r"))

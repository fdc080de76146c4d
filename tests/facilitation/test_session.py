from __future__ import annotations

from facilitation.agenda_timing import AgendaItemCompleted
from facilitation.base import DomainError
from facilitation.errors import ERRORS
from facilitation.floor import FloorEnded, FloorGranted
from facilitation.participants import LeaveRoom, UpdatePresence
from facilitation.polls import PollClosed, PollCreated, PollOpened
from facilitation.queue import RaiseHand
from facilitation.room import TimerExpired, next_deadlines
from facilitation.session import (
    ConfigureRoom,
    EndSession,
    Ping,
    RoomConfigured,
    SessionEnded,
    SessionStarted,
    StartSession,
)
from tests.facilitation.dsl import (
    FAC,
    LIVE,
    OBS,
    ON_ITEM,
    ORG,
    P1,
    PEOPLE,
    given,
    state_of,
    t,
)

GRANT = FloorGranted(
    at=t(3), turn=1, participant="p1", item="i1", kind="speak", deadline=t(123), by="f1"
)
POLL = PollCreated(
    at=t(2),
    poll="q1",
    question="Q",
    kind="single",
    options=("A", "B"),
    max_choices=1,
    secret=True,
    results="live",
    duration_s=None,
    quorum=0,
    item=None,
)
ENDED = (*LIVE, SessionEnded(at=t(9)))


def test_session_start() -> None:
    state = given(*PEOPLE).when(StartSession(actor=FAC, at=t(1))).then(SessionStarted(at=t(1)))
    assert (state.session.status, state.session.started) == ("live", t(1))


def test_session_start_by_organiser() -> None:
    given().when(StartSession(actor=ORG, at=t(1))).then(SessionStarted(at=t(1)))


def test_session_start_twice() -> None:
    given(*LIVE).when(StartSession(actor=FAC, at=t(2))).raises("session_not_scheduled")


def test_session_start_forbidden_for_participant() -> None:
    given(*PEOPLE).when(StartSession(actor=P1, at=t(1))).raises("forbidden")


def test_session_end_closes_everything_open() -> None:
    state = (
        given(*ON_ITEM, GRANT, POLL, PollOpened(at=t(4), poll="q1", eligible=("p1",), closes=None))
        .when(EndSession(actor=FAC, at=t(50)))
        .then(
            FloorEnded(at=t(50), turn=1, reason="item"),
            AgendaItemCompleted(at=t(50), item="i1"),
            PollClosed(at=t(50), poll="q1"),
            SessionEnded(at=t(50)),
        )
    )
    assert state.session.status == "ended"
    assert all(p.stays[-1].left == t(50) for p in state.people.by_id.values())


def test_session_end_without_item_ends_turn() -> None:
    grant = FloorGranted(
        at=t(3), turn=1, participant="p1", item=None, kind="speak", deadline=t(123), by="f1"
    )
    given(*LIVE, grant).when(EndSession(actor=ORG, at=t(50))).then(
        FloorEnded(at=t(50), turn=1, reason="session"), SessionEnded(at=t(50))
    )


def test_session_end_not_live() -> None:
    given(*PEOPLE).when(EndSession(actor=FAC, at=t(50))).raises("session_not_live")


def test_session_end_forbidden_for_participant() -> None:
    given(*LIVE).when(EndSession(actor=P1, at=t(50))).raises("forbidden")


def test_session_ended_allows_nothing_but_reads() -> None:
    given(*ENDED).when(RaiseHand(actor=P1, at=t(10))).raises("session_ended")
    given(*ENDED).when(EndSession(actor=FAC, at=t(10))).raises("session_ended")
    given(*ENDED).when(LeaveRoom(actor=P1, at=t(10))).then()
    given(*ENDED).when(UpdatePresence(at=t(10), observers=3)).then()
    given(*ENDED).when(Ping(actor=OBS, at=t(10))).then()
    given(*ENDED).when(TimerExpired(at=t(999), kind="agenda", ref="i1")).then()


def test_timer_of_unknown_kind_is_ignored() -> None:
    given(*ON_ITEM).when(TimerExpired(at=t(999), kind="alarm", ref="i1")).then()


def test_room_configure_before_start() -> None:
    state = (
        given()
        .when(ConfigureRoom(actor=ORG, at=t(0), title=" Town ", language="ko"))
        .then(RoomConfigured(at=t(0), title="Town", description="", language="ko"))
    )
    assert (state.session.title, state.session.language) == ("Town", "ko")


def test_room_configure_after_start() -> None:
    given(*LIVE).when(ConfigureRoom(actor=ORG, at=t(5), title="T")).raises("session_not_scheduled")


def test_room_configure_invalid() -> None:
    given().when(ConfigureRoom(actor=ORG, at=t(0), title=" ")).raises("invalid_data")
    given().when(ConfigureRoom(actor=ORG, at=t(0), title="T", description="d" * 2001)).raises(
        "invalid_data"
    )
    given().when(ConfigureRoom(actor=ORG, at=t(0), title="T", language="")).raises("invalid_data")


def test_room_configure_forbidden_for_facilitator() -> None:
    given(*PEOPLE).when(ConfigureRoom(actor=FAC, at=t(0), title="T")).raises("forbidden")


def test_ping_by_anyone_changes_nothing() -> None:
    given().when(Ping(actor=OBS, at=t(0))).then()
    given(*LIVE).when(Ping(actor=P1, at=t(2))).then()


def test_next_deadlines() -> None:
    assert next_deadlines(state_of(*PEOPLE)) == []
    poll = PollOpened(at=t(4), poll="q1", eligible=("p1",), closes=t(64))
    found = next_deadlines(state_of(*ON_ITEM, GRANT, POLL, poll))
    assert [(d.kind, d.ref, d.at) for d in found] == [
        ("poll", "q1", t(64)),
        ("turn", "1", t(123)),
        ("agenda", "i1", t(602)),
    ]


def test_every_error_code_has_a_message() -> None:
    for code, message in ERRORS.items():
        error = DomainError(code, "detail")
        assert error.code == code
        assert error.message == f"{message} (detail)"


def test_next_deadlines_skip_paused_items_and_overrun_turns() -> None:
    from facilitation.agenda_timing import AgendaItemPaused
    from facilitation.floor import TurnOverran

    paused = AgendaItemPaused(at=t(5), item="i1", remaining_s=100.0)
    assert next_deadlines(state_of(*ON_ITEM, GRANT, paused, TurnOverran(at=t(124), turn=1))) == []

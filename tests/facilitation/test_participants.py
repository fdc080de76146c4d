from __future__ import annotations

from datetime import datetime

from facilitation.base import Actor, Role
from facilitation.moderation import ParticipantRemoved, RoomLocked, SettingsChanged
from facilitation.participants import (
    AttendanceChange,
    AttendanceEntry,
    AttendanceRecorded,
    JoinRoom,
    LeaveRoom,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantWaiting,
    PresenceUpdated,
    RecordAttendance,
    UpdatePresence,
)
from facilitation.queue import RaiseHand
from facilitation.room import decide, decide_attendance, initial_state
from facilitation.session import SessionEnded
from tests.facilitation.dsl import FAC, LIVE, OBS, P1, given, state_of, t

NEW = Actor("p9", Role.PARTICIPANT)
LOBBY = SettingsChanged(
    at=t(1),
    by="f1",
    queue_policy="fifo",
    turn_s=120,
    auto_advance=False,
    max_turns_per_item=0,
    slow_mode_s=0,
    statements=True,
    questions=True,
    lobby=True,
)
LEFT = ParticipantLeft(at=t(5), participant="p1")


def test_participant_join_records_attendance() -> None:
    state = (
        given()
        .when(JoinRoom(actor=NEW, at=t(3), display_name=" 김민준 "))
        .then(
            ParticipantJoined(at=t(3), participant="p9", display_name="김민준", role="participant")
        )
    )
    person = state.people.by_id["p9"]
    assert (person.name, person.status, person.stays[0].joined) == ("김민준", "present", t(3))


def test_participant_join_again_while_present_is_noop() -> None:
    given(*LIVE).when(JoinRoom(actor=P1, at=t(3), display_name="x")).then()


def test_participant_join_returning_keeps_name_and_skips_lock() -> None:
    state = (
        given(*LIVE, LEFT, RoomLocked(at=t(6), by="f1"))
        .when(JoinRoom(actor=P1, at=t(9), display_name="Other"))
        .then(ParticipantJoined(at=t(9), participant="p1", display_name="P1", role="participant"))
    )
    stays = state.people.by_id["p1"].stays
    assert [(s.joined, s.left) for s in stays] == [(t(0), t(5)), (t(9), None)]


def test_participant_join_locked_room() -> None:
    given(*LIVE, RoomLocked(at=t(6), by="f1")).when(
        JoinRoom(actor=NEW, at=t(9), display_name="N")
    ).raises("room_locked")


def test_participant_join_facilitator_ignores_lock_and_lobby() -> None:
    boss = Actor("f9", Role.FACILITATOR)
    given(*LIVE, LOBBY, RoomLocked(at=t(6), by="f1")).when(
        JoinRoom(actor=boss, at=t(9), display_name="Boss")
    ).then(ParticipantJoined(at=t(9), participant="f9", display_name="Boss", role="facilitator"))


def test_participant_join_lobby_waits() -> None:
    state = (
        given(*LIVE, LOBBY)
        .when(JoinRoom(actor=NEW, at=t(9), display_name="N"))
        .then(ParticipantWaiting(at=t(9), participant="p9", display_name="N"))
    )
    assert state.people.by_id["p9"].status == "waiting"
    given(*LIVE, LOBBY, ParticipantWaiting(at=t(9), participant="p9", display_name="N")).when(
        RaiseHand(actor=NEW, at=t(10))
    ).raises("not_admitted")


def test_participant_join_removed_or_banned() -> None:
    removed = ParticipantRemoved(at=t(5), participant="p1", ban=False, reason=None, by="f1")
    banned = ParticipantRemoved(at=t(5), participant="p1", ban=True, reason=None, by="f1")
    given(*LIVE, removed).when(JoinRoom(actor=P1, at=t(9), display_name="x")).raises("removed")
    given(*LIVE, banned).when(JoinRoom(actor=P1, at=t(9), display_name="x")).raises("banned")
    given(*LIVE, removed).when(RaiseHand(actor=P1, at=t(9))).raises("removed")


def test_participant_join_invalid_name() -> None:
    given().when(JoinRoom(actor=NEW, at=t(3), display_name=" ")).raises("invalid_data")
    given().when(JoinRoom(actor=NEW, at=t(3), display_name="x" * 81)).raises("invalid_data")


def test_participant_join_forbidden_for_observer() -> None:
    given().when(JoinRoom(actor=OBS, at=t(3), display_name="x")).raises("forbidden")


def test_participant_leave_closes_stay() -> None:
    state = given(*LIVE).when(LeaveRoom(actor=P1, at=t(5))).then(LEFT)
    assert state.people.by_id["p1"].stays[-1].left == t(5)
    given(*LIVE, LEFT).when(RaiseHand(actor=P1, at=t(9))).raises("not_present")


def test_a_late_leave_closes_the_stay_open_when_the_connection_ended() -> None:
    # Recorded once the log was reachable again (at t(9)), for a disconnect at t(5).
    late = LeaveRoom(actor=P1, at=t(9), left_at=t(5))
    given(*LIVE).when(late).then(ParticipantLeft(at=t(9), participant="p1"))


def test_a_late_leave_after_they_came_back_records_nothing() -> None:
    back = ParticipantJoined(at=t(7), participant="p1", display_name="P1", role="participant")
    given(*LIVE, LEFT, back).when(LeaveRoom(actor=P1, at=t(9), left_at=t(6))).then()


def test_participant_leave_twice_or_unknown_is_noop() -> None:
    given(*LIVE, LEFT).when(LeaveRoom(actor=P1, at=t(6))).then()
    given(*LIVE).when(LeaveRoom(actor=NEW, at=t(6))).then()


def test_leaving_the_lobby_and_coming_back_does_not_skip_it() -> None:
    waited = ParticipantWaiting(at=t(3), participant="p9", display_name="N")
    gone = ParticipantLeft(at=t(4), participant="p9")
    given(*LIVE, LOBBY, waited, gone).when(JoinRoom(actor=NEW, at=t(5), display_name="Other")).then(
        ParticipantWaiting(at=t(5), participant="p9", display_name="N")
    )
    given(*LIVE, LOBBY, waited, gone, RoomLocked(at=t(4), by="f1")).when(
        JoinRoom(actor=NEW, at=t(5), display_name="N")
    ).raises("room_locked")


def test_participant_leave_from_lobby() -> None:
    state = (
        given(*LIVE, LOBBY, ParticipantWaiting(at=t(3), participant="p9", display_name="N"))
        .when(LeaveRoom(actor=NEW, at=t(6)))
        .then(ParticipantLeft(at=t(6), participant="p9"))
    )
    assert state.people.by_id["p9"].stays == ()


def test_participant_leave_forbidden_for_observer() -> None:
    given(*LIVE).when(LeaveRoom(actor=OBS, at=t(6))).raises("forbidden")


def test_presence_update_tracks_peak() -> None:
    state = (
        given()
        .when(UpdatePresence(at=t(1), observers=40))
        .then(PresenceUpdated(at=t(1), observers=40))
    )
    state = state_of(PresenceUpdated(at=t(1), observers=40), PresenceUpdated(at=t(2), observers=12))
    assert (state.people.observers, state.people.observers_peak) == (12, 40)


def test_presence_update_unchanged_is_noop() -> None:
    given().when(UpdatePresence(at=t(1), observers=0)).then()


def test_presence_update_negative() -> None:
    given().when(UpdatePresence(at=t(1), observers=-1)).raises("invalid_data")


def test_presence_update_forbidden_for_participant() -> None:
    given().when(UpdatePresence(actor=P1, at=t(1), observers=3)).raises("forbidden")


def test_presence_update_by_facilitator() -> None:
    given(*LIVE).when(UpdatePresence(actor=FAC, at=t(1), observers=3)).then(
        PresenceUpdated(at=t(1), observers=3)
    )


def test_participant_left_for_unknown_is_noop() -> None:
    assert state_of(ParticipantLeft(at=t(1), participant="zz")).people == initial_state("r").people


def test_participant_join_full_room() -> None:
    # LIVE has three participants; a cap of three turns a fourth away, not the returning.
    capped = SettingsChanged(at=t(2), by="f1", queue_policy="fifo", turn_s=120,
                             auto_advance=False, max_turns_per_item=0, slow_mode_s=0,
                             statements=True, questions=True, lobby=False,
                             max_participants=3)  # fmt: skip
    given(*LIVE, capped).when(JoinRoom(actor=NEW, at=t(9), display_name="N")).raises("room_full")
    chair = Actor("f9", Role.FACILITATOR)
    given(*LIVE, capped).when(JoinRoom(actor=chair, at=t(9), display_name="F")).then(
        ParticipantJoined(at=t(9), participant="f9", display_name="F", role="facilitator")
    )


# --- attendance.record: the arrivals and departures of one tick, as one event ----------


def arrive(who: Actor, name: str = "") -> AttendanceEntry:
    return AttendanceEntry(actor=who, kind="join", display_name=name or who.participant.upper())


def depart(who: Actor, left_at: datetime | None = None) -> AttendanceEntry:
    return AttendanceEntry(actor=who, kind="leave", left_at=left_at)


def present(who: Actor, name: str = "") -> AttendanceChange:
    return AttendanceChange(
        participant=who.participant,
        status="present",
        display_name=name or who.participant.upper(),
        role=str(who.role),
    )


def test_attendance_record_joins_waits_and_leaves_in_order_as_one_event() -> None:
    p8 = Actor("p8", Role.PARTICIPANT)
    state = (
        given(*LIVE)
        .when(RecordAttendance(at=t(9), entries=(arrive(NEW, " Ana "), depart(P1), arrive(p8))))
        .then(
            AttendanceRecorded(
                at=t(9),
                changes=(
                    present(NEW, "Ana"),
                    AttendanceChange(participant="p1", status="left", role="participant"),
                    present(p8),
                ),
            )
        )
    )
    assert state.people.by_id["p9"].stays[0].joined == t(9)
    assert state.people.by_id["p1"].stays[-1].left == t(9)
    assert state.people.present == 6  # f1, f2, p2, p3 and the two new ones


def test_attendance_record_is_the_fold_of_the_single_commands() -> None:
    # A leave and a come-back within one tick end present, with two stays.
    entries = (depart(P1, t(4)), arrive(P1), arrive(NEW), depart(NEW))
    state = (
        given(*LIVE)
        .when(RecordAttendance(at=t(9), entries=entries))
        .then(
            AttendanceRecorded(
                at=t(9),
                changes=(
                    AttendanceChange(participant="p1", status="left", role="participant"),
                    present(P1),
                    present(NEW),
                    AttendanceChange(participant="p9", status="left", role="participant"),
                ),
            )
        )
    )
    singles = state_of(
        *LIVE,
        ParticipantLeft(at=t(9), participant="p1"),
        ParticipantJoined(at=t(9), participant="p1", display_name="P1", role="participant"),
        ParticipantJoined(at=t(9), participant="p9", display_name="P9", role="participant"),
        ParticipantLeft(at=t(9), participant="p9"),
    )
    assert state.people == singles.people


def test_attendance_record_lobby_and_refusals() -> None:
    banned = ParticipantRemoved(at=t(5), participant="p1", ban=True, reason=None, by="f1")
    entries = (arrive(NEW, "N"), arrive(P1), arrive(OBS), depart(P1))
    given(*LIVE, LOBBY, banned).when(RecordAttendance(at=t(9), entries=entries)).then(
        AttendanceRecorded(
            at=t(9),
            changes=(
                AttendanceChange(
                    participant="p9", status="waiting", display_name="N", role="participant"
                ),
            ),
        )
    )


def test_attendance_record_says_which_entries_were_refused() -> None:
    """decide_attendance: the same event, and each entry's refusal for the server that
    gathered the entries from hellos (each hello is answered on its own)."""
    banned = ParticipantRemoved(at=t(5), participant="p1", ban=True, reason=None, by="f1")
    entries = (arrive(NEW, "N"), arrive(P1), arrive(OBS), depart(P1))
    state = state_of(*LIVE, banned)
    command = RecordAttendance(at=t(9), entries=entries)
    events, refusals = decide_attendance(command, state)
    assert events == decide(command, state)
    assert [r.code if r is not None else None for r in refusals] == [
        None,
        "banned",
        "forbidden",
        None,  # a leave of someone already gone records nothing, and is no refusal
    ]


def test_attendance_record_with_nothing_to_record_is_noop() -> None:
    given(*LIVE).when(RecordAttendance(at=t(9), entries=(arrive(P1), depart(NEW)))).then()
    given(*LIVE).when(RecordAttendance(at=t(9), entries=())).then()


def test_attendance_record_after_the_end_records_no_join() -> None:
    ended = SessionEnded(at=t(8))
    given(*LIVE, ended).when(RecordAttendance(at=t(9), entries=(arrive(NEW), depart(P1)))).then()


def test_attendance_record_forbidden_for_participant() -> None:
    given(*LIVE).when(RecordAttendance(actor=P1, at=t(9), entries=(arrive(NEW),))).raises(
        "forbidden"
    )


def test_attendance_recorded_keeps_the_present_count_and_the_staff() -> None:
    state = state_of(*LIVE)
    assert (state.people.present, state.people.staff) == (5, frozenset({"f1", "f2"}))
    state = state_of(*LIVE, LEFT, ParticipantLeft(at=t(6), participant="f2"))
    assert (state.people.present, state.people.staff) == (3, frozenset({"f1", "f2"}))
    # The max_participants cap counts every participant record, whatever its status.
    assert state.people.participants == 3

from __future__ import annotations

from facilitation.floor import (
    AppendTranscript,
    EndFloor,
    ExtendFloor,
    FloorEnded,
    FloorExtended,
    FloorGranted,
    GrantFloor,
    Segment,
    TranscriptAppended,
    TurnOverran,
    YieldFloor,
)
from facilitation.moderation import ParticipantMuted, SettingsChanged
from facilitation.participants import ParticipantLeft
from facilitation.queue import HandRaised
from facilitation.room import TimerExpired
from tests.facilitation.dsl import FAC, FAC2, LIVE, OBS, ON_ITEM, P1, P2, given, state_of, t


def raised(who: str, seconds: float, kind: str = "speak") -> HandRaised:
    return HandRaised(at=t(seconds), participant=who, kind=kind, item="i1")


def granted(
    turn: int, who: str, seconds: float, kind: str = "speak", by: str = "f1"
) -> FloorGranted:
    return FloorGranted(
        at=t(seconds),
        turn=turn,
        participant=who,
        item="i1",
        kind=kind,
        deadline=t(seconds + 120),
        by=by,
    )


def settings(auto: bool = False, cap: int = 0) -> SettingsChanged:
    return SettingsChanged(
        at=t(1),
        by="f1",
        queue_policy="fifo",
        turn_s=120,
        auto_advance=auto,
        max_turns_per_item=cap,
        slow_mode_s=0,
        statements=True,
        questions=True,
        lobby=False,
    )


SPEAKING = (*ON_ITEM, granted(1, "p1", 10))


def test_floor_grant_to_next_hand() -> None:
    state = (
        given(*ON_ITEM, raised("p1", 3), raised("p2", 4, "point_of_order"))
        .when(GrantFloor(actor=FAC, at=t(10)))
        .then(granted(1, "p2", 10, "point_of_order"))
    )
    assert state.floor.current == 1
    assert [h.participant for h in state.queues.by_item["i1"].hands] == ["p1"]


def test_floor_grant_ends_current_turn_first() -> None:
    state = (
        given(*SPEAKING, raised("p2", 11))
        .when(GrantFloor(actor=FAC, at=t(20)))
        .then(FloorEnded(at=t(20), turn=1, reason="next"), granted(2, "p2", 20))
    )
    assert state.floor.turns[0].duration_s == 10.0


def test_floor_grant_named_participant_without_hand() -> None:
    given(*ON_ITEM).when(GrantFloor(actor=FAC, at=t(10), participant="p1")).then(
        granted(1, "p1", 10)
    )


def test_floor_grant_named_takes_kind_of_their_hand() -> None:
    given(*ON_ITEM, raised("p1", 3, "point_of_order")).when(
        GrantFloor(actor=FAC, at=t(10), participant="p1")
    ).then(granted(1, "p1", 10, "point_of_order"))


def test_floor_grant_skips_absent_and_capped_hands() -> None:
    events = (
        *ON_ITEM,
        settings(cap=1),
        granted(1, "p2", 2),
        FloorEnded(at=t(3), turn=1, reason="end"),
        raised("p1", 3),
        ParticipantLeft(at=t(4), participant="p1"),
    )
    state = state_of(*events)
    capped = state.queues.by_item["i1"]
    assert [h.participant for h in capped.hands] == ["p1"]
    given(*events).when(GrantFloor(actor=FAC, at=t(10))).raises("queue_empty")


def test_floor_grant_empty_queue() -> None:
    given(*ON_ITEM).when(GrantFloor(actor=FAC, at=t(10))).raises("queue_empty")


def test_floor_grant_to_current_speaker() -> None:
    given(*SPEAKING).when(GrantFloor(actor=FAC, at=t(20), participant="p1")).raises(
        "already_speaking"
    )


def test_floor_grant_to_unknown_participant() -> None:
    given(*ON_ITEM).when(GrantFloor(actor=FAC, at=t(20), participant="zz")).raises("not_present")


def test_floor_grant_to_muted_participant() -> None:
    given(*ON_ITEM, ParticipantMuted(at=t(3), participant="p1", by="f1")).when(
        GrantFloor(actor=FAC, at=t(20), participant="p1")
    ).raises("muted")


def test_floor_grant_named_over_cap() -> None:
    given(
        *ON_ITEM, settings(cap=1), granted(1, "p1", 2), FloorEnded(at=t(3), turn=1, reason="end")
    ).when(GrantFloor(actor=FAC, at=t(20), participant="p1")).raises("turn_cap_reached")


def test_floor_grant_forbidden_for_participant() -> None:
    given(*ON_ITEM, raised("p1", 3)).when(GrantFloor(actor=P1, at=t(10))).raises("forbidden")


def test_floor_grant_before_first_item() -> None:
    state = (
        given(*LIVE)
        .when(GrantFloor(actor=FAC, at=t(10), participant="p1"))
        .then(
            FloorGranted(
                at=t(10),
                turn=1,
                participant="p1",
                item=None,
                kind="speak",
                deadline=t(130),
                by="f1",
            )
        )
    )
    assert state.floor.turns[0].item is None


def test_floor_yield_by_speaker() -> None:
    state = (
        given(*SPEAKING)
        .when(YieldFloor(actor=P1, at=t(40)))
        .then(FloorEnded(at=t(40), turn=1, reason="yield"))
    )
    turn = state.floor.turns[0]
    assert (turn.end_reason, turn.duration_s, turn.overrun, turn.overrun_s) == (
        "yield",
        30.0,
        False,
        0.0,
    )
    assert state.floor.current is None


def test_floor_yield_not_speaker() -> None:
    given(*SPEAKING).when(YieldFloor(actor=P2, at=t(40))).raises("not_your_turn")


def test_floor_yield_nobody_speaking() -> None:
    given(*ON_ITEM).when(YieldFloor(actor=P2, at=t(40))).raises("not_your_turn")


def test_floor_yield_forbidden_for_observer() -> None:
    given(*SPEAKING).when(YieldFloor(actor=OBS, at=t(40))).raises("forbidden")


def test_floor_end_records_overrun() -> None:
    state = (
        given(*SPEAKING)
        .when(EndFloor(actor=FAC, at=t(150)))
        .then(FloorEnded(at=t(150), turn=1, reason="end", by="f1"))
    )
    turn = state.floor.turns[0]
    assert (turn.overrun, turn.overrun_s, turn.duration_s) == (True, 20.0, 140.0)
    entry = state.moderation[-1]
    assert (entry.action, entry.actor, entry.target, entry.detail) == (
        "floor.end",
        "f1",
        turn.participant,
        {"turn": 1},
    )


def test_floor_end_nobody_speaking() -> None:
    given(*ON_ITEM).when(EndFloor(actor=FAC, at=t(40))).raises("no_current_turn")


def test_floor_end_forbidden_for_participant() -> None:
    given(*SPEAKING).when(EndFloor(actor=P1, at=t(40))).raises("forbidden")


def test_floor_extend_moves_deadline() -> None:
    state = (
        given(*SPEAKING)
        .when(ExtendFloor(actor=FAC, at=t(40), seconds=30))
        .then(FloorExtended(at=t(40), turn=1, seconds=30, deadline=t(160)))
    )
    assert state.floor.turns[0].deadline == t(160)


def test_floor_extend_after_overrun_rearms() -> None:
    state = (
        given(*SPEAKING, TurnOverran(at=t(130), turn=1))
        .when(ExtendFloor(actor=FAC, at=t(140), seconds=60))
        .then(FloorExtended(at=t(140), turn=1, seconds=60, deadline=t(190)))
    )
    assert not state.floor.turns[0].overrun


def test_floor_extend_invalid_seconds() -> None:
    given(*SPEAKING).when(ExtendFloor(actor=FAC, at=t(40), seconds=0)).raises("invalid_data")


def test_floor_extend_nobody_speaking() -> None:
    given(*ON_ITEM).when(ExtendFloor(actor=FAC, at=t(40), seconds=5)).raises("no_current_turn")


def test_floor_extend_forbidden_for_participant() -> None:
    given(*SPEAKING).when(ExtendFloor(actor=P1, at=t(40), seconds=5)).raises("forbidden")


def test_transcript_append_to_current_turn() -> None:
    state = (
        given(*SPEAKING)
        .when(AppendTranscript(actor=FAC, at=t(40), text="Hello"))
        .then(TranscriptAppended(at=t(40), turn=1, text="Hello", by="f1", item="i1"))
    )
    assert state.floor.turns[0].transcript == ("Hello",)
    assert state.floor.turns[0].segments == (Segment("Hello", "f1", t(40)),)


def test_transcript_append_nobody_speaking_goes_to_the_item() -> None:
    state = (
        given(*ON_ITEM)
        .when(AppendTranscript(actor=FAC, at=t(40), text="Welcome"))
        .then(TranscriptAppended(at=t(40), turn=None, text="Welcome", by="f1", item="i1"))
    )
    assert [(c.n, c.item, c.text) for c in state.captions.values()] == [(1, "i1", "Welcome")]


def test_transcript_append_too_long() -> None:
    given(*SPEAKING).when(AppendTranscript(actor=FAC, at=t(40), text="x" * 2001)).raises(
        "text_too_long"
    )


def test_transcript_append_empty() -> None:
    given(*SPEAKING).when(AppendTranscript(actor=FAC, at=t(40), text="  ")).raises("text_empty")


def test_transcript_append_forbidden_for_participant() -> None:
    given(*SPEAKING).when(AppendTranscript(actor=P1, at=t(40), text="x")).raises("forbidden")


def test_turn_timer_marks_overrun_once() -> None:
    timer = TimerExpired(at=t(130), kind="turn", ref="1")
    state = given(*SPEAKING).when(timer).then(TurnOverran(at=t(130), turn=1))
    assert state.floor.turns[0].overrun
    given(*SPEAKING, TurnOverran(at=t(130), turn=1)).when(timer).then()


def test_turn_timer_early_or_stale_is_harmless() -> None:
    given(*SPEAKING).when(TimerExpired(at=t(129), kind="turn", ref="1")).then()
    given(*SPEAKING).when(TimerExpired(at=t(200), kind="turn", ref="2")).then()
    given(*ON_ITEM).when(TimerExpired(at=t(200), kind="turn", ref="1")).then()


def test_turn_timer_auto_advance_passes_floor() -> None:
    events = (*ON_ITEM, settings(auto=True), granted(1, "p1", 10), raised("p2", 11))
    state = (
        given(*events)
        .when(TimerExpired(at=t(130), kind="turn", ref="1"))
        .then(
            TurnOverran(at=t(130), turn=1),
            FloorEnded(at=t(130), turn=1, reason="timeout"),
            granted(2, "p2", 130, by="system"),
        )
    )
    assert state.floor.current == 2


def test_turn_timer_auto_advance_with_empty_queue() -> None:
    events = (*ON_ITEM, settings(auto=True), granted(1, "p1", 10))
    given(*events).when(TimerExpired(at=t(130), kind="turn", ref="1")).then(
        TurnOverran(at=t(130), turn=1), FloorEnded(at=t(130), turn=1, reason="timeout")
    )


def test_floor_events_for_unknown_turn_change_nothing() -> None:
    state = state_of(*ON_ITEM)
    assert state_of(*ON_ITEM, FloorEnded(at=t(3), turn=7, reason="end")).floor == state.floor


def test_floor_ending_an_old_turn_keeps_current() -> None:
    state = state_of(
        *SPEAKING, granted(2, "p2", 20), TranscriptAppended(at=t(21), turn=1, text="late")
    )
    assert state.floor.current == 2
    assert state.floor.turns[0].transcript == ("late",)
    assert (
        state_of(
            *SPEAKING, granted(2, "p2", 20), FloorEnded(at=t(22), turn=1, reason="end")
        ).floor.current
        == 2
    )


def test_floor_grant_by_second_facilitator() -> None:
    given(*ON_ITEM).when(GrantFloor(actor=FAC2, at=t(10), participant="p1")).then(
        granted(1, "p1", 10, by="f2")
    )

from __future__ import annotations

from facilitation.floor import FloorEnded, FloorGranted
from facilitation.moderation import ParticipantMuted, SettingsChanged
from facilitation.queue import (
    ClearQueue,
    CloseQueue,
    HandLowered,
    HandMoved,
    HandRaised,
    LowerHand,
    MoveHand,
    OpenQueue,
    QueueCleared,
    QueueClosed,
    QueueOpened,
    RaiseHand,
)
from tests.facilitation.dsl import (
    FAC,
    LIVE,
    OBS,
    ON_ITEM,
    P1,
    P2,
    P3,
    PEOPLE,
    given,
    state_of,
    t,
)


def raised(who: str, seconds: float, kind: str = "speak", item: str | None = "i1") -> HandRaised:
    return HandRaised(at=t(seconds), participant=who, kind=kind, item=item)


def granted(turn: int, who: str, seconds: float, item: str | None = "i1") -> FloorGranted:
    return FloorGranted(
        at=t(seconds),
        turn=turn,
        participant=who,
        item=item,
        kind="speak",
        deadline=t(seconds + 120),
        by="f1",
    )


def order(*events: object) -> list[str]:
    state = state_of(*events)  # type: ignore[arg-type]
    return [h.participant for h in state.queues.by_item["i1"].hands]


FAIR = SettingsChanged(
    at=t(1),
    by="f1",
    queue_policy="fair",
    turn_s=120,
    auto_advance=False,
    max_turns_per_item=0,
    slow_mode_s=0,
    statements=True,
    questions=True,
    lobby=False,
)
CAP1 = SettingsChanged(
    at=t(1),
    by="f1",
    queue_policy="fifo",
    turn_s=120,
    auto_advance=False,
    max_turns_per_item=1,
    slow_mode_s=0,
    statements=True,
    questions=True,
    lobby=False,
)


def test_hand_raise_joins_queue() -> None:
    state = given(*ON_ITEM).when(RaiseHand(actor=P1, at=t(5))).then(raised("p1", 5))
    assert [h.participant for h in state.queues.by_item["i1"].hands] == ["p1"]


def test_hand_raise_before_first_item_uses_session_queue() -> None:
    state = given(*LIVE).when(RaiseHand(actor=P1, at=t(5))).then(raised("p1", 5, item=None))
    assert state.queues.by_item[""].hands[0].participant == "p1"


def test_hand_raise_point_of_order_goes_first() -> None:
    assert order(*ON_ITEM, raised("p1", 5), raised("p2", 6, "point_of_order")) == ["p2", "p1"]


def test_hand_raise_reply_goes_after_points_of_order() -> None:
    events = (
        *ON_ITEM,
        granted(1, "f2", 3),
        raised("p1", 5),
        raised("p2", 6, "point_of_order"),
        raised("p3", 7, "reply"),
    )
    assert order(*events) == ["p2", "p3", "p1"]


def test_hand_raise_fifo_ignores_who_spoke() -> None:
    events = (
        *ON_ITEM,
        granted(1, "p1", 3),
        FloorEnded(at=t(4), turn=1, reason="end"),
        raised("p1", 5),
        raised("p2", 6),
    )
    assert order(*events) == ["p1", "p2"]


def test_hand_raise_fair_puts_new_speakers_first() -> None:
    events = (
        *ON_ITEM,
        FAIR,
        granted(1, "p1", 3),
        FloorEnded(at=t(4), turn=1, reason="end"),
        raised("p1", 5),
        raised("p2", 6),
        raised("p3", 7),
    )
    assert order(*events) == ["p2", "p3", "p1"]


def test_hand_raise_policy_change_resorts_queue() -> None:
    events = (
        *ON_ITEM,
        granted(1, "p1", 3),
        FloorEnded(at=t(4), turn=1, reason="end"),
        raised("p1", 5),
        raised("p2", 6),
        HandMoved(at=t(7), participant="p1", item="i1", position=0),
    )
    assert order(*events) == ["p1", "p2"]
    state = state_of(*events, FAIR)
    assert [h.participant for h in state.queues.by_item["i1"].hands] == ["p2", "p1"]
    assert not state.queues.by_item["i1"].moved


def test_hand_raise_queue_closed() -> None:
    given(*ON_ITEM, QueueClosed(at=t(3), item="i1")).when(RaiseHand(actor=P1, at=t(5))).raises(
        "queue_closed"
    )


def test_hand_raise_twice() -> None:
    given(*ON_ITEM, raised("p1", 3)).when(RaiseHand(actor=P1, at=t(5))).raises(
        "hand_already_raised"
    )


def test_hand_raise_while_speaking() -> None:
    given(*ON_ITEM, granted(1, "p1", 3)).when(RaiseHand(actor=P1, at=t(5))).raises(
        "already_speaking"
    )


def test_hand_raise_reply_needs_a_speaker() -> None:
    given(*ON_ITEM).when(RaiseHand(actor=P1, at=t(5), kind="reply")).raises("no_current_turn")


def test_hand_raise_unknown_kind() -> None:
    given(*ON_ITEM).when(RaiseHand(actor=P1, at=t(5), kind="shout")).raises("invalid_data")


def test_hand_raise_turn_cap() -> None:
    given(*ON_ITEM, CAP1, granted(1, "p1", 3), FloorEnded(at=t(4), turn=1, reason="end")).when(
        RaiseHand(actor=P1, at=t(5))
    ).raises("turn_cap_reached")


def test_hand_raise_muted() -> None:
    given(*ON_ITEM, ParticipantMuted(at=t(3), participant="p1", by="f1")).when(
        RaiseHand(actor=P1, at=t(5))
    ).raises("muted")


def test_hand_raise_before_session() -> None:
    given(*PEOPLE).when(RaiseHand(actor=P1, at=t(5))).raises("session_not_live")


def test_hand_raise_forbidden_for_observer() -> None:
    given(*ON_ITEM).when(RaiseHand(actor=OBS, at=t(5))).raises("forbidden")


def test_hand_lower_own() -> None:
    state = (
        given(*ON_ITEM, raised("p1", 3))
        .when(LowerHand(actor=P1, at=t(5)))
        .then(HandLowered(at=t(5), participant="p1", item="i1", by="p1"))
    )
    assert state.queues.by_item["i1"].hands == ()
    assert state.moderation == (), "lowering one's own hand is no moderation act"


def test_hand_lower_others_by_facilitator() -> None:
    state = (
        given(*ON_ITEM, raised("p1", 3))
        .when(LowerHand(actor=FAC, at=t(5), participant="p1"))
        .then(HandLowered(at=t(5), participant="p1", item="i1", by="f1"))
    )
    entry = state.moderation[-1]
    assert (entry.action, entry.actor, entry.target) == ("hand.lower", "f1", "p1")


def test_hand_lower_others_by_participant_forbidden() -> None:
    given(*ON_ITEM, raised("p1", 3)).when(LowerHand(actor=P2, at=t(5), participant="p1")).raises(
        "forbidden"
    )


def test_hand_lower_without_hand() -> None:
    given(*ON_ITEM).when(LowerHand(actor=P1, at=t(5))).raises("no_hand")


def test_hand_lower_forbidden_for_observer() -> None:
    given(*ON_ITEM).when(LowerHand(actor=OBS, at=t(5), participant="p1")).raises("forbidden")


def test_queue_move_to_front() -> None:
    state = (
        given(*ON_ITEM, raised("p1", 3), raised("p2", 4))
        .when(MoveHand(actor=FAC, at=t(5), participant="p2", position=0))
        .then(HandMoved(at=t(5), participant="p2", item="i1", position=0, by="f1"))
    )
    assert [h.participant for h in state.queues.by_item["i1"].hands] == ["p2", "p1"]
    assert state.queues.by_item["i1"].moved
    entry = state.moderation[-1]
    assert (entry.action, entry.target, entry.detail) == ("queue.move", "p2", {"position": 0})


def test_queue_move_past_end_clamps() -> None:
    given(*ON_ITEM, raised("p1", 3), raised("p2", 4)).when(
        MoveHand(actor=FAC, at=t(5), participant="p1", position=9)
    ).then(HandMoved(at=t(5), participant="p1", item="i1", position=1, by="f1"))


def test_queue_move_negative_position() -> None:
    given(*ON_ITEM, raised("p1", 3)).when(
        MoveHand(actor=FAC, at=t(5), participant="p1", position=-1)
    ).raises("invalid_data")


def test_queue_move_without_hand() -> None:
    given(*ON_ITEM).when(MoveHand(actor=FAC, at=t(5), participant="p1", position=0)).raises(
        "no_hand"
    )


def test_queue_move_forbidden_for_participant() -> None:
    given(*ON_ITEM, raised("p1", 3)).when(
        MoveHand(actor=P1, at=t(5), participant="p1", position=0)
    ).raises("forbidden")


def test_queue_clear_lowers_all_hands() -> None:
    state = (
        given(*ON_ITEM, raised("p1", 3), raised("p2", 4))
        .when(ClearQueue(actor=FAC, at=t(5)))
        .then(QueueCleared(at=t(5), item="i1", by="f1"))
    )
    assert state.queues.by_item["i1"].hands == ()
    entry = state.moderation[-1]
    assert (entry.action, entry.detail) == ("queue.clear", {"hands": ["p1", "p2"]})


def test_queue_clear_empty() -> None:
    given(*ON_ITEM).when(ClearQueue(actor=FAC, at=t(5))).raises("queue_empty")


def test_queue_clear_forbidden_for_participant() -> None:
    given(*ON_ITEM, raised("p1", 3)).when(ClearQueue(actor=P3, at=t(5))).raises("forbidden")


def test_queue_close_and_open() -> None:
    state = (
        given(*ON_ITEM).when(CloseQueue(actor=FAC, at=t(5))).then(QueueClosed(at=t(5), item="i1"))
    )
    assert state.queues.by_item["i1"].closed
    given(*ON_ITEM, QueueClosed(at=t(5), item="i1")).when(OpenQueue(actor=FAC, at=t(6))).then(
        QueueOpened(at=t(6), item="i1")
    )


def test_queue_close_twice() -> None:
    given(*ON_ITEM, QueueClosed(at=t(5), item="i1")).when(CloseQueue(actor=FAC, at=t(6))).raises(
        "queue_already_closed"
    )


def test_queue_open_when_open() -> None:
    given(*ON_ITEM).when(OpenQueue(actor=FAC, at=t(6))).raises("queue_already_open")


def test_queue_close_forbidden_for_participant() -> None:
    given(*ON_ITEM).when(CloseQueue(actor=P1, at=t(6))).raises("forbidden")


def test_queue_open_forbidden_for_observer() -> None:
    given(*ON_ITEM, QueueClosed(at=t(5), item="i1")).when(OpenQueue(actor=OBS, at=t(6))).raises(
        "forbidden"
    )


def test_queue_is_per_item() -> None:
    state = state_of(*ON_ITEM, raised("p1", 3), raised("p2", 4, item="i2"))
    assert [h.participant for h in state.queues.by_item["i2"].hands] == ["p2"]

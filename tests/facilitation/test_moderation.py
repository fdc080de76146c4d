from __future__ import annotations

from facilitation.base import Actor, Role
from facilitation.floor import FloorEnded, FloorGranted
from facilitation.moderation import (
    AdmitParticipant,
    ChangeSettings,
    LockRoom,
    MuteParticipant,
    ParticipantAdmitted,
    ParticipantMuted,
    ParticipantRemoved,
    ParticipantUnmuted,
    RemoveParticipant,
    RoomLocked,
    RoomUnlocked,
    SettingsChanged,
    UnlockRoom,
    UnmuteParticipant,
)
from facilitation.participants import ParticipantWaiting
from facilitation.queue import HandRaised, RaiseHand
from tests.facilitation.dsl import (
    FAC,
    LIVE,
    OBS,
    ON_ITEM,
    ORG,
    P1,
    P2,
    PEOPLE,
    given,
    state_of,
    t,
)

MUTED = ParticipantMuted(at=t(3), participant="p1", by="f1")
HAND = HandRaised(at=t(2), participant="p1", kind="speak", item="i1")
NEWBIE = Actor("p9", Role.PARTICIPANT)
WAITING = ParticipantWaiting(at=t(2), participant="p9", display_name="Nine")


def changed(**over: object) -> SettingsChanged:
    fields: dict[str, object] = {
        "queue_policy": "fifo",
        "turn_s": 120,
        "auto_advance": False,
        "max_turns_per_item": 0,
        "slow_mode_s": 0,
        "statements": True,
        "questions": True,
        "lobby": False,
    }
    fields.update(over)
    return SettingsChanged(at=t(5), by="f1", **fields)  # type: ignore[arg-type]


def test_participant_mute_lowers_hand_and_logs() -> None:
    state = (
        given(*ON_ITEM, HAND)
        .when(MuteParticipant(actor=FAC, at=t(3), participant="p1"))
        .then(MUTED)
    )
    assert state.people.by_id["p1"].muted
    assert state.queues.by_item["i1"].hands == ()
    assert (state.moderation[-1].action, state.moderation[-1].target) == ("participant.mute", "p1")


def test_participant_mute_twice() -> None:
    given(*ON_ITEM, MUTED).when(MuteParticipant(actor=FAC, at=t(4), participant="p1")).raises(
        "already_muted"
    )


def test_participant_mute_facilitator_refused() -> None:
    given(*ON_ITEM).when(MuteParticipant(actor=FAC, at=t(4), participant="f2")).raises(
        "target_is_facilitator"
    )


def test_participant_mute_unknown() -> None:
    given(*ON_ITEM).when(MuteParticipant(actor=FAC, at=t(4), participant="zz")).raises(
        "not_present"
    )


def test_participant_mute_forbidden_for_participant() -> None:
    given(*ON_ITEM).when(MuteParticipant(actor=P2, at=t(4), participant="p1")).raises("forbidden")


def test_participant_unmute() -> None:
    state = (
        given(*ON_ITEM, MUTED)
        .when(UnmuteParticipant(actor=FAC, at=t(4), participant="p1"))
        .then(ParticipantUnmuted(at=t(4), participant="p1", by="f1"))
    )
    assert not state.people.by_id["p1"].muted
    given(*ON_ITEM, MUTED, ParticipantUnmuted(at=t(4), participant="p1", by="f1")).when(
        RaiseHand(actor=P1, at=t(5))
    ).then(HandRaised(at=t(5), participant="p1", kind="speak", item="i1"))


def test_participant_unmute_not_muted() -> None:
    given(*ON_ITEM).when(UnmuteParticipant(actor=FAC, at=t(4), participant="p1")).raises(
        "not_muted"
    )


def test_participant_unmute_forbidden_for_observer() -> None:
    given(*ON_ITEM, MUTED).when(UnmuteParticipant(actor=OBS, at=t(4), participant="p1")).raises(
        "forbidden"
    )


def test_participant_remove_ends_their_turn() -> None:
    grant = FloorGranted(
        at=t(3), turn=1, participant="p1", item="i1", kind="speak", deadline=t(123), by="f1"
    )
    state = (
        given(*ON_ITEM, grant)
        .when(RemoveParticipant(actor=FAC, at=t(9), participant="p1", ban=True, reason=" spam "))
        .then(
            FloorEnded(at=t(9), turn=1, reason="removed"),
            ParticipantRemoved(at=t(9), participant="p1", ban=True, reason="spam", by="f1"),
        )
    )
    person = state.people.by_id["p1"]
    assert (person.status, person.banned, person.stays[-1].left) == ("removed", True, t(9))
    assert state.moderation[-1].reason == "spam"


def test_participant_remove_lowers_hand() -> None:
    state = (
        given(*ON_ITEM, HAND)
        .when(RemoveParticipant(actor=FAC, at=t(9), participant="p1"))
        .then(ParticipantRemoved(at=t(9), participant="p1", ban=False, reason=None, by="f1"))
    )
    assert state.queues.by_item["i1"].hands == ()


def test_participant_remove_twice() -> None:
    given(
        *ON_ITEM, ParticipantRemoved(at=t(9), participant="p1", ban=False, reason=None, by="f1")
    ).when(RemoveParticipant(actor=FAC, at=t(10), participant="p1")).raises("removed")


def test_participant_remove_reason_too_long() -> None:
    given(*ON_ITEM).when(
        RemoveParticipant(actor=FAC, at=t(10), participant="p1", reason="x" * 501)
    ).raises("invalid_data")


def test_participant_remove_forbidden_for_participant() -> None:
    given(*ON_ITEM).when(RemoveParticipant(actor=P2, at=t(10), participant="p1")).raises(
        "forbidden"
    )


def test_participant_admit_from_lobby() -> None:
    state = (
        given(*LIVE, WAITING)
        .when(AdmitParticipant(actor=FAC, at=t(5), participant="p9"))
        .then(ParticipantAdmitted(at=t(5), participant="p9", by="f1"))
    )
    person = state.people.by_id["p9"]
    assert (person.status, person.stays[0].joined) == ("present", t(5))


def test_participant_admit_not_waiting() -> None:
    given(*LIVE).when(AdmitParticipant(actor=FAC, at=t(5), participant="p1")).raises("not_waiting")


def test_participant_admit_forbidden_for_participant() -> None:
    given(*LIVE, WAITING).when(AdmitParticipant(actor=P1, at=t(5), participant="p9")).raises(
        "forbidden"
    )


def test_room_lock_and_unlock() -> None:
    state = given(*LIVE).when(LockRoom(actor=FAC, at=t(5))).then(RoomLocked(at=t(5), by="f1"))
    assert state.locked
    assert state.moderation[-1].action == "room.lock"
    state = (
        given(*LIVE, RoomLocked(at=t(5), by="f1"))
        .when(UnlockRoom(actor=FAC, at=t(6)))
        .then(RoomUnlocked(at=t(6), by="f1"))
    )
    assert not state.locked
    assert state.moderation[-1].action == "room.unlock"


def test_room_lock_twice() -> None:
    given(*LIVE, RoomLocked(at=t(5), by="f1")).when(LockRoom(actor=FAC, at=t(6))).raises(
        "already_locked"
    )


def test_room_unlock_not_locked() -> None:
    given(*LIVE).when(UnlockRoom(actor=FAC, at=t(6))).raises("not_locked")


def test_room_lock_forbidden_for_participant() -> None:
    given(*LIVE).when(LockRoom(actor=P1, at=t(6))).raises("forbidden")


def test_room_unlock_forbidden_for_observer() -> None:
    given(*LIVE, RoomLocked(at=t(5), by="f1")).when(UnlockRoom(actor=OBS, at=t(6))).raises(
        "forbidden"
    )


def test_room_settings_changes_only_given_fields() -> None:
    state = (
        given(*LIVE)
        .when(ChangeSettings(actor=FAC, at=t(5), slow_mode_s=30, lobby=True, max_turns_per_item=2))
        .then(changed(slow_mode_s=30, lobby=True, max_turns_per_item=2))
    )
    assert state.settings.slow_mode_s == 30
    entry = state.moderation[-1]
    assert entry.action == "room.settings"
    assert entry.detail == {
        "changes": {"slow_mode_s": [0, 30], "lobby": [False, True], "max_turns_per_item": [0, 2]}
    }


def test_room_settings_for_formats() -> None:
    state = (
        given(*LIVE)
        .when(
            ChangeSettings(
                actor=FAC,
                at=t(5),
                auto_advance_items=True,
                item_grace_s=10,
                questions_premoderated=True,
            )
        )
        .then(changed(auto_advance_items=True, item_grace_s=10, questions_premoderated=True))
    )
    assert state.settings.auto_advance_items
    assert state.moderation[-1].detail == {
        "changes": {
            "auto_advance_items": [False, True],
            "item_grace_s": [30, 10],
            "questions_premoderated": [False, True],
        }
    }


def test_room_settings_by_organiser_before_start() -> None:
    given(*PEOPLE).when(ChangeSettings(actor=ORG, at=t(5), queue_policy="fair")).then(
        SettingsChanged(
            at=t(5),
            by="organiser",
            queue_policy="fair",
            turn_s=120,
            auto_advance=False,
            max_turns_per_item=0,
            slow_mode_s=0,
            statements=True,
            questions=True,
            lobby=False,
        )
    )


def test_room_settings_invalid_values() -> None:
    for bad in (
        {"queue_policy": "random"},
        {"turn_s": 0},
        {"slow_mode_s": -1},
        {"max_turns_per_item": 99999},
        {"item_grace_s": -1},
        {"max_participants": 0},
        {"max_participants": 100_001},
    ):
        given(*LIVE).when(ChangeSettings(actor=FAC, at=t(5), **bad)).raises("invalid_data")


def test_room_settings_forbidden_for_participant() -> None:
    given(*LIVE).when(ChangeSettings(actor=P1, at=t(5), turn_s=60)).raises("forbidden")


def test_moderation_events_for_unknown_people_change_nothing() -> None:
    state = state_of(*LIVE, ParticipantMuted(at=t(3), participant="zz", by="f1"))
    assert "zz" not in state.people.by_id
    assert state.moderation == ()


def test_waiting_participant_changes_nothing() -> None:
    given(*LIVE, WAITING).when(RaiseHand(actor=NEWBIE, at=t(5))).raises("not_admitted")


def test_participant_mute_ends_their_turn() -> None:
    grant = FloorGranted(
        at=t(2), turn=1, participant="p1", item="i1", kind="speak", deadline=t(122), by="f1"
    )
    state = (
        given(*ON_ITEM, grant)
        .when(MuteParticipant(actor=FAC, at=t(3), participant="p1"))
        .then(FloorEnded(at=t(3), turn=1, reason="muted"), MUTED)
    )
    assert state.floor.current is None

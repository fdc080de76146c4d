from __future__ import annotations

from facilitation.base import Actor, Role
from facilitation.participants import JoinRoom, ParticipantJoined
from facilitation.roll import (
    AccessChanged,
    AddMembers,
    MembersAdded,
    ProxyRecorded,
    ProxyRevoked,
    RecordProxy,
    RevokeProxy,
    SetAccess,
)
from facilitation.session import SessionEnded, SessionStarted
from facilitation.views import Viewer, snapshot
from tests.facilitation.dsl import FAC, LIVE, ORG, P1, given, joined, state_of, t

M1 = Actor("m1", Role.PARTICIPANT)
M2 = Actor("m2", Role.PARTICIPANT)
M3 = Actor("m3", Role.PARTICIPANT)
ROLL_ADDED = MembersAdded(at=t(0), participants=("m1", "m2", "m3"), names=("Kim", "Lee", "Park"))
ROLL = (AccessChanged(at=t(0), access="roll"), ROLL_ADDED)


def add(*members: tuple[str, str], actor: Actor = ORG) -> AddMembers:
    return AddMembers(actor=actor, at=t(1), members=members)


def proxy(giver: str, holder: str, actor: Actor = ORG) -> RecordProxy:
    return RecordProxy(actor=actor, at=t(1), giver=giver, holder=holder)


# -- room.access ---------------------------------------------------------------------


def test_room_access_by_the_organiser_switches_to_roll() -> None:
    state = (
        given()
        .when(SetAccess(actor=ORG, at=t(1), access="roll"))
        .then(AccessChanged(at=t(1), access="roll"))
    )
    assert state.roll.access == "roll"


def test_room_access_unchanged_records_nothing() -> None:
    given().when(SetAccess(actor=ORG, at=t(1), access="open")).then()


def test_room_access_refuses_an_unknown_mode() -> None:
    given().when(SetAccess(actor=ORG, at=t(1), access="closed")).raises("invalid_data")


def test_room_access_only_before_the_start() -> None:
    given(*LIVE).when(SetAccess(actor=ORG, at=t(2), access="roll")).raises("session_not_scheduled")


def test_room_access_forbidden_to_facilitators() -> None:
    given().when(SetAccess(actor=FAC, at=t(1), access="roll")).raises("forbidden")


# -- roll.add ------------------------------------------------------------------------


def test_roll_add_by_the_organiser_keeps_roll_order_and_trims_names() -> None:
    state = (
        given()
        .when(add(("m2", " Lee "), ("m1", "Kim")))
        .then(MembersAdded(at=t(1), participants=("m2", "m1"), names=("Lee", "Kim")))
    )
    assert list(state.roll.members.items()) == [("m2", "Lee"), ("m1", "Kim")]


def test_roll_add_also_while_live() -> None:
    given(*ROLL, *LIVE).when(add(("m4", "Choi"))).then(
        MembersAdded(at=t(1), participants=("m4",), names=("Choi",))
    )


def test_roll_add_of_nobody_records_nothing() -> None:
    given().when(add()).then()


def test_roll_add_refuses_a_known_or_repeated_member() -> None:
    given(*ROLL).when(add(("m1", "Again"))).raises("duplicate_id")
    given().when(add(("m9", "A"), ("m9", "B"))).raises("duplicate_id")


def test_roll_add_refuses_a_blank_or_long_name() -> None:
    given().when(add(("m9", "  "))).raises("invalid_data")
    given().when(add(("m9", "x" * 81))).raises("invalid_data")


def test_roll_add_refused_after_the_session() -> None:
    given(*ROLL, *LIVE, SessionEnded(at=t(9))).when(add(("m4", "Choi"))).raises("session_ended")


def test_roll_add_forbidden_to_facilitators_and_participants() -> None:
    given().when(add(("m9", "A"), actor=FAC)).raises("forbidden")
    given().when(add(("m9", "A"), actor=P1)).raises("forbidden")


# -- proxy.record / proxy.revoke -----------------------------------------------------


def test_proxy_record_by_the_organiser() -> None:
    state = (
        given(*ROLL).when(proxy("m2", "m1")).then(ProxyRecorded(at=t(1), giver="m2", holder="m1"))
    )
    assert state.roll.proxies == {"m2": "m1"}
    assert state.roll.held_by("m1") == ["m2"]


def test_proxy_record_one_holder_may_hold_several() -> None:
    state = state_of(*ROLL, ProxyRecorded(at=t(1), giver="m2", holder="m1"))
    given(*ROLL, ProxyRecorded(at=t(1), giver="m2", holder="m1")).when(proxy("m3", "m1")).then(
        ProxyRecorded(at=t(1), giver="m3", holder="m1")
    )
    assert state.roll.held_by("m1") == ["m2"]


def test_proxy_record_refused_twice_for_one_giver() -> None:
    given(*ROLL, ProxyRecorded(at=t(1), giver="m2", holder="m1")).when(proxy("m2", "m3")).raises(
        "proxy_exists"
    )
    given(*ROLL, ProxyRecorded(at=t(1), giver="m2", holder="m1")).when(proxy("m2", "m1")).raises(
        "proxy_exists"
    )


def test_proxy_record_refuses_chains_both_ways() -> None:
    gave = ProxyRecorded(at=t(1), giver="m2", holder="m1")
    # m3 -> m2, but m2 gave their own: a chain m3 -> m2 -> m1.
    given(*ROLL, gave).when(proxy("m3", "m2")).raises("proxy_chain")
    # m1 holds m2's proxy: m1 cannot give theirs on.
    given(*ROLL, gave).when(proxy("m1", "m3")).raises("proxy_chain")


def test_proxy_record_refuses_self_and_strangers() -> None:
    given(*ROLL).when(proxy("m1", "m1")).raises("proxy_self")
    given(*ROLL).when(proxy("x9", "m1")).raises("member_not_found")
    given(*ROLL).when(proxy("m1", "x9")).raises("member_not_found")


def test_proxy_record_only_before_the_start() -> None:
    given(*ROLL, *LIVE).when(proxy("m2", "m1")).raises("session_not_scheduled")


def test_proxy_record_forbidden_to_facilitators() -> None:
    given(*ROLL).when(proxy("m2", "m1", actor=FAC)).raises("forbidden")


def test_proxy_revoke_by_the_organiser() -> None:
    gave = ProxyRecorded(at=t(1), giver="m2", holder="m1")
    state = (
        given(*ROLL, gave)
        .when(RevokeProxy(actor=ORG, at=t(2), giver="m2"))
        .then(ProxyRevoked(at=t(2), giver="m2"))
    )
    assert state.roll.proxies == {}


def test_proxy_revoke_of_no_proxy_is_refused() -> None:
    given(*ROLL).when(RevokeProxy(actor=ORG, at=t(2), giver="m2")).raises("proxy_not_found")


def test_proxy_revoke_forbidden_to_participants() -> None:
    given(*ROLL).when(RevokeProxy(actor=P1, at=t(2), giver="m2")).raises("forbidden")


# -- joining in roll mode ------------------------------------------------------------


def join(actor: Actor, name: str = "Someone") -> JoinRoom:
    return JoinRoom(actor=actor, at=t(3), display_name=name)


def test_roll_mode_admits_members_only() -> None:
    given(*ROLL, SessionStarted(at=t(1))).when(join(P1)).raises("roll_only")
    given(*ROLL, SessionStarted(at=t(1))).when(join(M1, "Kim")).then(
        ParticipantJoined(at=t(3), participant="m1", display_name="Kim", role=Role.PARTICIPANT)
    )


def test_roll_mode_refuses_a_returning_non_member_too() -> None:
    # Joined while the room was still open, then the organiser switched to roll.
    given(joined(P1), AccessChanged(at=t(1), access="roll")).when(join(P1)).raises("roll_only")


def test_roll_mode_still_admits_facilitators() -> None:
    given(*ROLL).when(join(FAC, "F")).then(
        ParticipantJoined(at=t(3), participant="f1", display_name="F", role=Role.FACILITATOR)
    )


# -- what each viewer sees -----------------------------------------------------------


def test_roll_is_shown_to_facilitators_only() -> None:
    state = state_of(*ROLL, ProxyRecorded(at=t(1), giver="m2", holder="m1"), joined(M1))
    staff = snapshot(state, Viewer("f1", Role.FACILITATOR))
    assert staff["access"] == "roll"
    assert staff["roll"]["members"][:2] == [
        {"participant": "m1", "name": "Kim", "proxy": None},
        {"participant": "m2", "name": "Lee", "proxy": "m1"},
    ]
    public = snapshot(state, Viewer("m1", Role.PARTICIPANT))
    assert public["access"] == "roll"
    assert public["roll"] is None
    you = public["you"]
    assert (you["member"], you["proxy_holder"], you["proxies_held"]) == (True, None, ["m2"])
    assert you["proxy_names"] == {"m2": "Lee"}
    giver = snapshot(state_of(*ROLL, ProxyRecorded(at=t(1), giver="m2", holder="m1"),
                              joined(M2)), Viewer("m2", Role.PARTICIPANT))["you"]  # fmt: skip
    assert (giver["proxy_holder"], giver["proxy_names"]) == ("m1", {"m1": "Kim"})

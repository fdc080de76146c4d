"""Joins and leaves next to each other in a batch become one ``attendance.recorded``
(TownhallDomain.together / decide_together, issue 16), each hello still refused on its
own when it must be."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from facilitation.base import Actor, Role
from facilitation.room import RoomState
from realtime.application import Principal, Refused
from townhall.domain import AUDIENCE_FOR, JOIN, LEAVE, Member, TownhallDomain

AT = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)
domain = TownhallDomain()


def person(pid: str, name: str, role: Role = Role.PARTICIPANT) -> Principal:
    member = Member(actor=Actor(pid, role), name=name, ballot_secret=None)
    you = {"participant": pid, "role": str(role), "name": name}
    return Principal("r", pid, AUDIENCE_FOR[role], True, you, None, member)


def fold(state: RoomState, events: list[Any]) -> RoomState:
    for event in events:
        state = domain.apply(state, event)
    return state


def test_a_crowd_becomes_one_event_and_each_refusal_stays_its_own() -> None:
    chair = person("f1", "Dana", Role.FACILITATOR)
    state = domain.initial("r")
    events, _ = domain.decide(state, chair, JOIN, {}, AT, "x")
    state = fold(state, events)
    state = replace(state, settings=replace(state.settings, max_participants=3))
    crowd = [person(f"p{n}", f"Person {n}") for n in range(5)]
    commands: list[tuple[Principal, str, dict[str, Any]]] = [
        (crowd[0], JOIN, {}),
        (person("p9", "dana"), JOIN, {}),  # a staff member's name
        (crowd[1], JOIN, {}),
        (crowd[0], LEAVE, {"left_at": "2026-12-07T20:00:00.000Z"}),
        (crowd[2], JOIN, {}),
        (crowd[3], JOIN, {}),  # the fourth participant of a room of 3
        (chair, LEAVE, {}),
    ]
    assert all(domain.together(p, t) for p, t, _ in commands)
    events, refusals = domain.decide_together(state, commands, AT, "y")
    codes = [r.code if isinstance(r, Refused) else None for r in refusals]
    assert codes == [None, "name_reserved", None, None, None, "room_full", None]
    (event,) = events
    wire = domain.dump(event)
    assert wire.name == "attendance.recorded"
    assert [(c["participant"], c["status"]) for c in wire.data["changes"]] == [
        ("p0", "present"),
        ("p1", "present"),
        ("p0", "left"),
        ("p2", "present"),
        ("f1", "left"),
    ]
    after = fold(state, events)
    status = {p.id: p.status for p in after.people.by_id.values()}
    assert status == {"f1": "left", "p0": "left", "p1": "present", "p2": "present"}
    assert after.people.present == 2
    # Nothing to record (a second connection of someone present): no event at all.
    again, refusals = domain.decide_together(
        after, [(crowd[1], JOIN, {}), (crowd[2], JOIN, {})], AT, "z"
    )
    assert (again, refusals) == ([], [None, None])


def test_only_member_joins_and_leaves_go_together() -> None:
    someone = person("p1", "Ann")
    assert domain.together(someone, JOIN)
    assert domain.together(someone, LEAVE)
    assert not domain.together(someone, "statement.post")
    server = Principal("r", "server", "system", True, {}, None)
    assert not domain.together(server, JOIN)

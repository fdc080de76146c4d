"""Welcomes share what they can (townhall.snapshots): a welcome built with the worker's
memo says exactly what one built from scratch says, for every kind of viewer, at every
step of a meeting, and the shared parts are built once per change, not once per welcome."""

from __future__ import annotations

import json
from typing import Any

from facilitation import views
from facilitation.base import Actor, Event, Role
from facilitation.participants import ParticipantWaiting
from facilitation.queue import HandRaised
from facilitation.room import evolve
from facilitation.statements import StatementHidden, StatementPosted
from realtime.wire import Welcome, encode
from tests.facilitation.dsl import FAC, OBS, ON_ITEM, P1, P2, joined, t
from townhall.domain import TownhallDomain
from townhall.snapshots import SnapshotMemo

LATE = Actor("late", Role.PARTICIPANT)  # joins after the others, named by nothing
LOBBY = Actor("lobby", Role.PARTICIPANT)
VIEWERS = [
    views.Viewer(P1.participant, Role.PARTICIPANT),
    views.Viewer(P2.participant, Role.PARTICIPANT),
    views.Viewer(LATE.participant, Role.PARTICIPANT),
    views.Viewer(LOBBY.participant, Role.PARTICIPANT),
    views.Viewer("nobody", Role.PARTICIPANT),
    views.Viewer(None, Role.OBSERVER),
    views.Viewer(FAC.participant, Role.FACILITATOR),
]


def _steps() -> list[Event]:
    steps: list[Event] = [*ON_ITEM]
    for i in range(6):
        steps.append(joined(Actor(f"c{i}", Role.PARTICIPANT), 3 + i))
    for i in range(4):
        steps.append(
            StatementPosted(
                at=t(20 + i), statement=f"s{i}", participant=f"c{i}", text=f"Point {i}",
                turn=None, item="i1",
            )
        )  # fmt: skip
    steps.append(HandRaised(at=t(30), participant=P2.participant, kind="speak", item="i1"))
    steps.append(ParticipantWaiting(at=t(31), participant=LOBBY.participant, display_name="L"))
    steps.append(joined(LATE, 32))
    steps.append(StatementHidden(at=t(33), statement="s1", reason="off topic", by="f1"))
    steps.append(joined(Actor("c9", Role.PARTICIPANT), 34))
    return steps


def _wire(snapshot: dict[str, Any]) -> Any:
    welcome = Welcome(you={}, resume_token=None, snapshot=snapshot, epoch="e", seq=1)
    return json.loads(encode(welcome))["snapshot"]


def test_a_remembered_welcome_says_what_a_fresh_one_says() -> None:
    domain = TownhallDomain()
    state = domain.initial("r")
    for event in _steps():
        state = evolve(state, event)
        for viewer in VIEWERS:
            remembered = views.snapshot(state, viewer, domain.memo.value, domain.memo.encoded)
            assert _wire(remembered) == _wire(views.snapshot(state, viewer))


def test_the_shared_parts_are_built_once_per_change() -> None:
    memo = SnapshotMemo()
    state = TownhallDomain().initial("r")
    for event in _steps():
        state = evolve(state, event)
    public = [v for v in VIEWERS if v.role is Role.PARTICIPANT]
    for viewer in public:
        views.snapshot(state, viewer, memo.value, memo.encoded)
    built = memo.built
    assert built == 4  # named people, turns, statements, moderation: once for all five
    for viewer in public:
        views.snapshot(state, viewer, memo.value, memo.encoded)
    assert memo.built == built
    # A join changes the people (so who is named) but not the statements.
    state = evolve(state, joined(Actor("c10", Role.PARTICIPANT), 40))
    views.snapshot(state, public[0], memo.value, memo.encoded)
    assert memo.built == built + 1


def test_the_memo_keeps_one_value_per_name_and_at_most_its_size() -> None:
    memo = SnapshotMemo(size=2)
    parts = [object() for _ in range(5)]
    for n, part in enumerate(parts):
        assert memo.value("r1/x", (part,), lambda n=n: n) == n  # type: ignore[misc]
    assert len(memo._kept) == 1  # a new version replaces the old one: nothing piles up
    assert memo.value("r1/x", (parts[-1],), lambda: -1) == 4  # still kept
    assert memo.value("r1/x", (parts[0],), lambda: 0) == 0  # replaced, built again
    assert memo.value("r1/x", (parts[0], parts[1]), lambda: 9) == 9  # other sources
    memo.value("r2/x", (parts[0],), lambda: 2)
    memo.value("r3/x", (parts[0],), lambda: 3)
    assert set(memo._kept) == {"r2/x", "r3/x"}  # at most two names: the oldest went


def test_observers_facilitators_and_the_organiser_view_need_no_memo() -> None:
    state = TownhallDomain().initial("r")
    for event in _steps():
        state = evolve(state, event)
    staff = views.snapshot(state, views.Viewer(FAC.participant, Role.FACILITATOR))
    assert [s["text"] for s in staff["statements"]][1] == "Point 1"  # hidden, still shown
    public = views.snapshot(state, views.Viewer(OBS.participant, Role.OBSERVER))
    assert [s["text"] for s in public["statements"]][1] is None

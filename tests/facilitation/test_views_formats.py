"""Views of Parti's formats: battles, dot polls, proposals, the public moderation log."""

from __future__ import annotations

import json
from dataclasses import replace

from facilitation.base import Role
from facilitation.polls import PollClosed, VoteCounted
from facilitation.proposals import (
    ProposalHidden,
    ProposalMerged,
    ProposalSubmitted,
    ProposalSupported,
    ProposalUnsupported,
)
from facilitation.views import Viewer, project, snapshot
from tests.facilitation.dsl import ON_ITEM, state_of, t
from tests.facilitation.test_views import ALICE, BOB, PUBLIC, STAFF, opened, poll, secret_vote

BATTLE = replace(poll("b1"), kind="battle")
DOT = replace(poll("d1"), kind="dot", options=("A", "B", "C"), votes_per_person=3, max_per_option=2)


def test_snapshot_battle_shows_opening_moves_switches_timeline() -> None:
    state = state_of(
        *ON_ITEM,
        BATTLE,
        opened("b1"),
        secret_vote("b1", "p1", 0),
        secret_vote("b1", "p2", 0),
        replace(secret_vote("b1", "p1", 1), at=t(30)),
    )
    shown = snapshot(state, PUBLIC)["polls"][0]
    assert shown["battle"] == {
        "opening": [2, 0],
        "moves": [[0, 1], [0, 0]],
        "switches": [[0, 1], [0, 0]],
        "timeline": [
            {"at": "2026-11-25T15:00:04.000Z", "counts": [2, 0]},
            {"at": "2026-11-25T15:00:30.000Z", "counts": [1, 1]},
        ],
    }
    assert shown["tally"]["counts"] == [1, 1]


def test_snapshot_battle_before_any_vote() -> None:
    shown = snapshot(state_of(*ON_ITEM, BATTLE, opened("b1")), PUBLIC)["polls"][0]
    assert shown["battle"] == {
        "opening": [0, 0],
        "moves": [[0, 0], [0, 0]],
        "switches": [[0, 0], [0, 0]],
        "timeline": [],
    }


def test_project_battle_vote_carries_movement_close_carries_switches() -> None:
    before = (*ON_ITEM, BATTLE, opened("b1"), secret_vote("b1", "p1", 0))
    vote = replace(secret_vote("b1", "p1", 1), at=t(9))
    shown = project(vote, state_of(*before, vote), "public")
    assert shown is not None
    assert shown["battle"] == {"opening": [1, 0], "moves": [[0, 1], [0, 0]]}
    close = PollClosed(at=t(10), poll="b1")
    closed = project(close, state_of(*before, vote, close), "public")
    assert closed is not None
    assert closed["battle"]["switches"] == [[0, 1], [0, 0]]
    assert "timeline" in closed["battle"]


def test_snapshot_dot_poll_shows_voters_per_option() -> None:
    vote = VoteCounted(at=t(4), poll="d1", ballot="k", participant=None, choice=(2, 0, 1))
    shown = snapshot(state_of(*ON_ITEM, DOT, opened("d1"), vote), PUBLIC)["polls"][0]
    assert (shown["votes_per_person"], shown["max_per_option"]) == (3, 2)
    assert shown["tally"]["counts"] == [2, 0, 1]
    assert shown["tally"]["voters"] == [1, 0, 1]
    assert "battle" not in shown


PROPOSALS = (
    *ON_ITEM,
    ProposalSubmitted(at=t(3), proposal="x1", participant="p1", text="Free buses", item="i1"),
    ProposalSubmitted(at=t(4), proposal="x2", participant="p2", text="Rude text", item="i1"),
    ProposalSubmitted(at=t(5), proposal="x3", participant="p3", text="Bike lanes", item="i1"),
    ProposalSupported(at=t(6), proposal="x3", participant="p1"),
    ProposalSupported(at=t(6), proposal="x3", participant="p2"),
    ProposalSupported(at=t(6), proposal="x1", participant="p2"),
    ProposalHidden(at=t(7), proposal="x2", reason="insulting", by="f1"),
)


def test_snapshot_proposals_by_support_hidden_text_only_for_staff() -> None:
    state = state_of(*PROPOSALS)
    public = snapshot(state, BOB)["proposals"]
    assert [(x["id"], x["support"], x["supported"]) for x in public] == [
        ("x3", 2, True),
        ("x1", 1, True),
        ("x2", 0, False),
    ]
    assert public[2]["text"] is None
    assert public[2]["hidden_reason"] == "insulting"
    assert snapshot(state, STAFF)["proposals"][2]["text"] == "Rude text"
    assert "Rude text" not in json.dumps(snapshot(state, ALICE))


def test_project_proposal_support_carries_the_count() -> None:
    unsupport = ProposalUnsupported(at=t(8), proposal="x3", participant="p1")
    shown = project(unsupport, state_of(*PROPOSALS, unsupport), "public")
    assert shown == {"proposal": "x3", "participant": "p1", "support": 1}
    merge = ProposalMerged(at=t(9), proposal="x1", into="x3", by="f1")
    shown = project(merge, state_of(*PROPOSALS, merge), "public")
    assert shown is not None
    assert shown["support"] == 2  # x1's author p1 and supporter p2 already back x3
    gone = ProposalSupported(at=t(9), proposal="zz", participant="p1")
    assert project(gone, state_of(*PROPOSALS, gone), "public") == {
        "proposal": "zz",
        "participant": "p1",
        "support": 0,
    }


def test_snapshot_moderation_log_is_public_with_detail() -> None:
    merge = ProposalMerged(at=t(9), proposal="x1", into="x3", by="f1")
    log = snapshot(state_of(*PROPOSALS, merge), Viewer(None, Role.OBSERVER))["moderation"]
    assert log[-2:] == [
        {
            "at": "2026-11-25T15:00:07.000Z",
            "actor": "f1",
            "action": "proposal.hide",
            "target": "p2",
            "reason": "insulting",
            "detail": {"proposal": "x2"},
        },
        {
            "at": "2026-11-25T15:00:09.000Z",
            "actor": "f1",
            "action": "proposal.merge",
            "target": None,
            "reason": None,
            "detail": {"proposal": "x1", "into": "x3"},
        },
    ]


def test_snapshot_temperature_is_a_share_of_people_present() -> None:
    from facilitation.participants import ParticipantLeft
    from facilitation.reactions import ReactionSent

    reacted = (
        *ON_ITEM,
        ReactionSent(at=t(5), kind="agree", item="i1", participant="p1"),
        ReactionSent(at=t(5), kind="agree", item="i1", participant="p2"),
        ReactionSent(at=t(5), kind="unclear", item="i1", participant="p3"),
    )
    view = snapshot(state_of(*reacted), ALICE)
    assert view["temperature"] == {
        "item": "i1",
        "present": 5,
        "counts": {"agree": 2, "unclear": 1},
        "shares": {"agree": 0.4, "unclear": 0.2},
    }
    assert view["you"]["reaction"] == "agree"
    left = ParticipantLeft(at=t(6), participant="p3")
    shown = project(left, state_of(*reacted, left), "public")
    assert shown is not None
    assert shown["temperature"]["counts"] == {"agree": 2}
    assert shown["temperature"]["present"] == 4
    empty = snapshot(state_of(), PUBLIC)["temperature"]
    assert empty == {"item": None, "present": 0, "counts": {}, "shares": {}}

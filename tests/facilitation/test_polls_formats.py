"""Parti's kinds of vote: battle, dot, final ("confirmed") ballots, before / after pairs."""

from __future__ import annotations

from dataclasses import replace

from facilitation.base import Actor
from facilitation.polls import (
    TIMELINE_STEP_S,
    CreatePoll,
    PollClosed,
    PollCreated,
    SharePoint,
    VoteCounted,
)
from facilitation.room import RoomState
from facilitation.tally import Choice, count
from tests.facilitation.dsl import FAC, LIVE, P1, P2, P3, given, state_of, t
from tests.facilitation.test_polls import counted, created, opened, vote

BATTLE = (*LIVE, created(kind="battle", options=("Pro", "Con")), opened())
DOT = (
    *LIVE,
    replace(created(kind="dot", options=("A", "B", "C")), votes_per_person=3, max_per_option=2),
    opened(),
)


def create(**fields: object) -> CreatePoll:
    base: dict[str, object] = {"question": "Which?", "kind": "battle", "options": ("Pro", "Con")}
    base.update(fields)
    return CreatePoll(actor=FAC, at=t(2), poll="q1", **base)  # type: ignore[arg-type]


def at(choice: Choice, who: str, seconds: float) -> VoteCounted:
    event = counted(_actor(who), choice)
    return replace(event, at=t(seconds))


def _actor(who: str) -> Actor:
    return {"p1": P1, "p2": P2, "p3": P3, "f1": FAC}[who]


def test_poll_create_battle() -> None:
    given(*LIVE).when(create()).then(created(kind="battle", options=("Pro", "Con")))
    given(*LIVE).when(create(options=("Pro", "Con", "Undecided"))).then(
        created(kind="battle", options=("Pro", "Con", "Undecided"))
    )


def test_poll_create_battle_is_live_and_changeable() -> None:
    given(*LIVE).when(create(results="on_close")).raises("invalid_poll")
    given(*LIVE).when(create(final=True)).raises("invalid_poll")
    given(*LIVE).when(create(options=("Pro",))).raises("invalid_poll")


def test_poll_vote_battle_records_first_positions_moves_and_timeline() -> None:
    state = state_of(
        *BATTLE,
        at(0, "p1", 5),
        at(1, "p2", 6),
        at(0, "p3", 7),
        at(1, "p1", 20),  # p1 switches Pro -> Con
        at(0, "p1", 21),  # and back
        at(1, "p3", 22),  # p3 switches Pro -> Con
    )
    poll = state.polls["q1"]
    assert poll.first_totals == (2, 1), "opening shares: each voter's first position"
    assert poll.tally().counts == (1, 2)
    assert poll.moves == ((0, 2), (1, 0))
    assert poll.switches() == ((0, 1), (0, 0)), "net: p3 moved Pro -> Con; p1 came back"
    # One point per timeline step: the last counts within each 5 s after opening (t(3)).
    assert TIMELINE_STEP_S == 5
    assert poll.timeline == (
        SharePoint(t(7), (2, 1)),
        SharePoint(t(22), (1, 2)),
    )


def test_poll_vote_battle_same_position_again_moves_nothing() -> None:
    poll = state_of(*BATTLE, at(0, "p1", 5), at(0, "p1", 9)).polls["q1"]
    assert poll.moves == ((0, 0), (0, 0))
    assert poll.timeline == (SharePoint(t(5), (1, 0)), SharePoint(t(9), (1, 0)))


def test_poll_vote_battle_choice_is_one_position() -> None:
    given(*BATTLE).when(vote(P1, 1)).then(counted(P1, 1))
    given(*BATTLE).when(vote(P1, (0,))).raises("invalid_choice")
    given(*BATTLE).when(vote(P1, 2)).raises("invalid_choice")


def test_poll_battle_ballot_no_valid_log_holds_changes_only_the_count() -> None:
    poll = state_of(*BATTLE, at(7, "p1", 5)).polls["q1"]
    assert poll.first_totals == ()
    assert poll.timeline == ()


def test_poll_create_dot() -> None:
    given(*LIVE).when(
        create(kind="dot", options=("A", "B", "C"), votes_per_person=3, max_per_option=2)
    ).then(replace(created(kind="dot"), votes_per_person=3, max_per_option=2))
    # Without a cap per option, every dot may go to one option.
    given(*LIVE).when(create(kind="dot", options=("A", "B", "C"), votes_per_person=3)).then(
        replace(created(kind="dot"), votes_per_person=3, max_per_option=3)
    )


def test_poll_create_dot_bad_input() -> None:
    dot: dict[str, object] = {"kind": "dot", "options": ("A", "B")}
    for bad in (
        {},
        {"votes_per_person": 0},
        {"votes_per_person": 101},
        {"votes_per_person": 3, "max_per_option": 4},
        {"votes_per_person": 3, "max_per_option": 0},
    ):
        given(*LIVE).when(create(**dot, **bad)).raises("invalid_poll")
    given(*LIVE).when(create(kind="single", votes_per_person=3)).raises("invalid_poll")
    given(*LIVE).when(create(kind="single", max_per_option=3)).raises("invalid_poll")


def test_poll_vote_dot_spreads_votes() -> None:
    # The wire's {"0": 2, "2": 1} arrives as (2, -1, 1): a left-out option has no dots.
    given(*DOT).when(vote(P1, (2, -1, 1))).then(counted(P1, (2, 0, 1)))
    given(*DOT).when(vote(P1, (0, 1))).then(counted(P1, (0, 1, 0)))
    state = state_of(*DOT, counted(P1, (2, 0, 1)), counted(P2, (0, 1, 1)), counted(P3, (1, 0, 0)))
    tally = state.polls["q1"].tally()
    assert tally.counts == (3, 1, 2)
    assert tally.voters == (2, 1, 2)
    assert tally.winner == 0
    ballots = state.polls["q1"].ballots.values()
    assert count("dot", 3, ballots, 0) == tally, "running totals equal a recount"


def test_poll_vote_dot_change_replaces_the_spread() -> None:
    state = state_of(*DOT, counted(P1, (2, 0, 1)), counted(P1, (0, 0, 1)))
    assert state.polls["q1"].tally().counts == (0, 0, 1)
    assert state.polls["q1"].tally().voters == (0, 0, 1)


def test_poll_vote_dot_invalid_spreads() -> None:
    bad_spreads: list[Choice] = [(2, 2, 0), (3, 0, 0), (0, 0, 0), (1, 0, 0, 1), (-2, 1, 0), 1]
    for bad in bad_spreads:
        given(*DOT).when(vote(P1, bad)).raises("invalid_choice")


def test_poll_create_final() -> None:
    given(*LIVE).when(
        create(kind="single", options=("A", "B", "C"), final=True, results="on_close")
    ).then(replace(created(results="on_close"), final=True))


def test_poll_vote_final_cannot_change() -> None:
    final = replace(created(results="on_close"), final=True)
    given(*LIVE, final, opened()).when(vote(P1, 1)).then(counted(P1, 1))
    given(*LIVE, final, opened(), counted(P1, 1)).when(vote(P1, 2)).raises("already_voted")
    given(*LIVE, final, opened(), counted(P1, 1)).when(vote(P1, 1)).raises("already_voted")


def test_poll_create_repeat_of_asks_again() -> None:
    before = created(kind="battle", options=("Pro", "Con"))
    closed = PollClosed(at=t(3), poll="q1")
    after = CreatePoll(
        actor=FAC,
        at=t(9),
        poll="q2",
        question="Again?",
        kind="battle",
        options=("Pro", "Con"),
        repeat_of="q1",
    )
    state: RoomState = (
        given(*LIVE, before, closed)
        .when(after)
        .then(
            PollCreated(
                at=t(9),
                poll="q2",
                question="Again?",
                kind="battle",
                options=("Pro", "Con"),
                max_choices=1,
                secret=True,
                results="live",
                duration_s=None,
                quorum=0,
                item=None,
                repeat_of="q1",
            )
        )
    )
    assert state.polls["q2"].repeat_of == "q1"
    given(*LIVE, before).when(replace(after, options=("Con", "Pro"))).raises("invalid_poll")
    given(*LIVE, before).when(replace(after, kind="single")).raises("invalid_poll")
    given(*LIVE).when(after).raises("poll_not_found")

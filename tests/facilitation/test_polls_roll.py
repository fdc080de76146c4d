"""Polls in roll mode: the eligible list (present / roll), quorum as a share, proxies."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from facilitation.base import Actor, Event, Role
from facilitation.participants import ParticipantLeft
from facilitation.polls import (
    CastVote,
    ClosePoll,
    CreatePoll,
    OpenPoll,
    PollClosed,
    PollCreated,
    PollOpened,
    VoteCounted,
    ballot_key,
)
from facilitation.roll import AccessChanged, MembersAdded, ProxyRecorded
from facilitation.room import decide, fold
from facilitation.session import SessionStarted
from facilitation.tally import Choice
from facilitation.views import Viewer, project, snapshot
from tests.facilitation.dsl import FAC, P1, given, joined, state_of, t

SECRET = b"s3cret"
M1, M2, M3, M4 = (Actor(f"m{n}", Role.PARTICIPANT) for n in range(1, 5))
ROLL = (
    AccessChanged(at=t(0), access="roll"),
    MembersAdded(
        at=t(0), participants=("m1", "m2", "m3", "m4"), names=("Kim", "Lee", "Park", "Choi")
    ),
)
# m2 gave their proxy to m1; m3 gave theirs to m4.
PROXIES = (
    ProxyRecorded(at=t(0), giver="m2", holder="m1"),
    ProxyRecorded(at=t(0), giver="m3", holder="m4"),
)
# Present at opening: the facilitator, m1 and m2 (m3 and m4 stayed home).
ROOM = (*ROLL, *PROXIES, joined(FAC), joined(M1), joined(M2), SessionStarted(at=t(1)))


def create(
    eligible: str = "present",
    quorum_share: float | None = None,
    quorum: int | None = None,
    secret: bool = True,
    kind: str = "single",
) -> CreatePoll:
    return CreatePoll(
        actor=FAC,
        at=t(2),
        poll="q1",
        question="Adopt the budget?",
        kind=kind,
        options=("A", "B", "C"),
        secret=secret,
        eligible=eligible,
        quorum_share=quorum_share,
        quorum=quorum,
    )


def created(
    eligible: str = "present",
    quorum_share: float | None = None,
    secret: bool = True,
    kind: str = "single",
) -> PollCreated:
    return PollCreated(
        at=t(2),
        poll="q1",
        question="Adopt the budget?",
        kind=kind,
        options=("A", "B", "C"),
        max_choices=3 if kind == "ranked" else 1,
        secret=secret,
        results="live",
        duration_s=None,
        quorum=0,
        item=None,
        eligible=eligible,
        quorum_share=quorum_share,
    )


def vote(actor: Actor, choice: Choice, seconds: float = 5) -> CastVote:
    return CastVote(
        actor=actor, at=t(seconds), poll="q1", ballot=ballot_key(SECRET, "q1", actor.participant),
        choice=choice,
    )  # fmt: skip


def opening(*events: Event, eligible: str = "present", **kw: Any) -> PollOpened:
    """The poll.opened event deciding ``poll.open`` after ``events`` gives."""
    state = state_of(*ROOM, *events, created(eligible=eligible, **kw))
    (event,) = decide(OpenPoll(actor=FAC, at=t(3), poll="q1"), state)
    assert isinstance(event, PollOpened)
    return event


# -- poll.create ---------------------------------------------------------------------


def test_poll_create_with_eligible_and_quorum_share() -> None:
    given(*ROOM).when(create(eligible="roll", quorum_share=0.5)).then(
        created(eligible="roll", quorum_share=0.5)
    )


def test_poll_create_refuses_a_bad_electorate() -> None:
    given(*ROOM).when(create(eligible="everyone")).raises("invalid_poll")
    # The whole roll as the electorate needs roll access.
    given(joined(FAC), SessionStarted(at=t(1))).when(create(eligible="roll")).raises("invalid_poll")


def test_poll_create_refuses_a_bad_quorum_share() -> None:
    for share in (-0.1, 1.5, 0.12345):
        given(*ROOM).when(create(quorum_share=share)).raises("invalid_poll")
    given(*ROOM).when(create(quorum_share=0.5, quorum=3)).raises("invalid_poll")
    # A zero quorum with a share is no conflict.
    given(*ROOM).when(create(quorum_share=0.5, quorum=0)).then(created(quorum_share=0.5))


def test_poll_create_forbidden_to_participants_in_roll_mode() -> None:
    given(*ROOM).when(replace(create(), actor=M1)).raises("forbidden")


# -- poll.open: who is eligible ------------------------------------------------------


def test_poll_open_present_counts_members_here_and_those_they_represent() -> None:
    event = opening()
    # m1 and m2 are here; m2's proxy is held by m1 (present) so nothing changes for them;
    # m3's holder m4 is away: m3 is not represented. The facilitator is no member.
    assert event.eligible == ("m1", "m2")
    assert (event.givers, event.holders) == (("m2",), ("m1",))


def test_poll_open_present_includes_an_absent_giver_whose_holder_is_here() -> None:
    left = ParticipantLeft(at=t(1), participant="m2")
    event = opening(left)
    assert event.eligible == ("m1", "m2")


def test_poll_open_present_excludes_a_member_who_left() -> None:
    event = opening(ParticipantLeft(at=t(1), participant="m1"))
    # m1 left: m2 is here but gave their proxy to the absent m1.
    assert event.eligible == ("m2",)
    assert (event.givers, event.holders) == (("m2",), ("m1",))


def test_poll_open_roll_makes_every_member_eligible() -> None:
    event = opening(eligible="roll")
    assert event.eligible == ("m1", "m2", "m3", "m4")
    assert (event.givers, event.holders) == (("m2", "m3"), ("m1", "m4"))


def test_poll_open_in_open_mode_is_everyone_present() -> None:
    state = (
        given(joined(FAC), joined(P1), SessionStarted(at=t(1)), created())
        .when(OpenPoll(actor=FAC, at=t(3), poll="q1"))
        .then(PollOpened(at=t(3), poll="q1", eligible=("f1", "p1"), closes=None))
    )
    assert state.polls["q1"].proxies == {}


def test_poll_open_forbidden_to_members() -> None:
    given(*ROOM, created()).when(OpenPoll(actor=M1, at=t(3), poll="q1")).raises("forbidden")


# -- quorum_share --------------------------------------------------------------------


def quorum(share: float, eligible: int) -> tuple[int, bool, bool]:
    """(ballots needed, met with needed-1 ballots, met with needed ballots)."""
    names = tuple(f"x{n}" for n in range(eligible))
    base = state_of(*ROOM, created(quorum_share=share))
    state = fold([PollOpened(at=t(3), poll="q1", eligible=names, closes=None)], base)
    poll = state.polls["q1"]
    needed = poll.needed
    votes = [
        VoteCounted(at=t(4), poll="q1", ballot=name, participant=None, choice=0)
        for name in names[:needed]
    ]
    short = fold(votes[:-1], state).polls["q1"].tally().quorum_met if votes else True
    enough = fold(votes, state).polls["q1"].tally().quorum_met
    return needed, short, enough


def test_quorum_share_rounds_up_exactly() -> None:
    assert quorum(0.5, 4) == (2, False, True)
    assert quorum(0.5, 5) == (3, False, True)  # 2.5 -> 3
    assert quorum(0.1, 30) == (3, False, True)  # not 4 (0.1 * 30 in floats is 3.0000000004)
    assert quorum(0.6667, 3) == (3, False, True)  # 2.0001 -> 3


def test_quorum_share_edges() -> None:
    assert quorum(0, 10) == (0, True, True)  # no quorum
    assert quorum(1, 3) == (3, False, True)  # everyone
    assert quorum(0.5, 0) == (0, True, True)  # nobody eligible: nothing to reach
    assert quorum(0.0001, 1) == (1, False, True)  # any share of one person is that person


def test_quorum_share_counts_proxy_ballots() -> None:
    state = state_of(*ROOM, created(quorum_share=0.75, eligible="roll"), opening(eligible="roll"))
    assert state.polls["q1"].needed == 3  # 0.75 of 4 members
    # m1 votes for m2 as well, m4 for m3 as well: four ballots from two voters.
    votes = [
        VoteCounted(at=t(5), poll="q1", ballot=v, participant=None, choice=0, proxies=1)
        for v in ("k1", "k4")
    ]
    assert not fold(votes[:1], state).polls["q1"].tally().quorum_met
    assert fold(votes, state).polls["q1"].tally().quorum_met


# -- poll.vote with proxies ----------------------------------------------------------


def opened_roll() -> tuple[Event, ...]:
    return (*ROOM, created(eligible="roll"), opening(eligible="roll"))


def test_poll_vote_by_a_holder_counts_for_the_giver_too() -> None:
    state = given(*opened_roll()).when(vote(M1, 1)).then(
        VoteCounted(
            at=t(5), poll="q1", ballot=ballot_key(SECRET, "q1", "m1"), participant=None,
            choice=1, proxies=1,
        )
    )  # fmt: skip
    tally = state.polls["q1"].tally()
    assert (tally.turnout, tally.in_person, tally.by_proxy) == (2, 1, 1)
    assert tally.counts == (0, 2, 0)


def test_poll_vote_by_a_giver_is_refused() -> None:
    given(*opened_roll()).when(vote(M2, 0)).raises("proxy_given")


def test_poll_vote_changed_by_a_holder_moves_both_ballots() -> None:
    first = VoteCounted(
        at=t(5), poll="q1", ballot=ballot_key(SECRET, "q1", "m1"), participant=None, choice=1,
        proxies=1,
    )  # fmt: skip
    again = replace(first, choice=2)
    state = state_of(*opened_roll(), first, again)
    tally = state.polls["q1"].tally()
    assert tally.counts == (0, 0, 2)
    assert (tally.turnout, tally.by_proxy) == (2, 1)


def test_poll_vote_proxies_counted_once_each_in_a_ranked_poll() -> None:
    events = (*ROOM, created(eligible="roll", kind="ranked"), opening(eligible="roll"))
    state = given(*events).when(vote(M1, (2, 0))).then(
        VoteCounted(
            at=t(5), poll="q1", ballot=ballot_key(SECRET, "q1", "m1"), participant=None,
            choice=(2, 0), proxies=1,
        )
    )  # fmt: skip
    other = VoteCounted(at=t(6), poll="q1", ballot="k", participant=None, choice=(0,))
    tally = fold([other], state).polls["q1"].tally()
    assert (tally.turnout, tally.by_proxy) == (3, 1)
    assert tally.rounds[0].counts == (1, 0, 2)
    assert tally.winner == 2


def test_poll_vote_named_records_the_proxies_for_the_minutes() -> None:
    events = (*ROOM, created(eligible="roll", secret=False), opening(eligible="roll", secret=False))
    state = (
        given(*events)
        .when(vote(M1, 0))
        .then(VoteCounted(at=t(5), poll="q1", ballot="m1", participant="m1", choice=0, proxies=1))
    )
    assert state.polls["q1"].proxied == {"m1": 1}


def test_poll_vote_forbidden_to_observers() -> None:
    given(*opened_roll()).when(vote(Actor("o1", Role.OBSERVER), 0)).raises("forbidden")


def test_poll_close_keeps_in_person_and_proxy_counts() -> None:
    counted = VoteCounted(
        at=t(5), poll="q1", ballot=ballot_key(SECRET, "q1", "m1"), participant=None, choice=0,
        proxies=1,
    )  # fmt: skip
    state = (
        given(*opened_roll(), counted)
        .when(ClosePoll(actor=FAC, at=t(9), poll="q1"))
        .then(PollClosed(at=t(9), poll="q1"))
    )
    result = state.polls["q1"].result
    assert result is not None
    assert (result.turnout, result.in_person, result.by_proxy) == (2, 1, 1)
    staff = snapshot(state, Viewer("f1", Role.FACILITATOR))
    poll = staff["polls"][0]
    assert (poll["eligible"], poll["proxies"], poll["turnout"], poll["electorate"]) == (
        4, 2, 2, "roll"
    )  # fmt: skip
    assert poll["tally"]["in_person"] == 1
    assert poll["tally"]["by_proxy"] == 1
    shown = project(counted, state, "public")
    assert shown is not None
    assert shown["turnout"] == 2

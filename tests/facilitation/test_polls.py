from __future__ import annotations

from facilitation.base import Actor, Role
from facilitation.moderation import ParticipantMuted
from facilitation.polls import (
    CastVote,
    ClosePoll,
    CreatePoll,
    OpenPoll,
    PollClosed,
    PollCreated,
    PollOpened,
    PollPublished,
    PublishPoll,
    VoteCounted,
    ballot_key,
)
from facilitation.room import TimerExpired
from facilitation.tally import Choice
from tests.facilitation.dsl import FAC, LIVE, OBS, ON_ITEM, P1, P2, P3, PEOPLE, given, joined, t

SECRET = b"s3cret"
EVERYONE = ("f1", "f2", "p1", "p2", "p3")


def created(
    poll: str = "q1",
    kind: str = "single",
    options: tuple[str, ...] = ("A", "B", "C"),
    secret: bool = True,
    results: str = "live",
    max_choices: int = 1,
    duration_s: int | None = None,
    quorum: int = 0,
) -> PollCreated:
    return PollCreated(
        at=t(2),
        poll=poll,
        question="Which?",
        kind=kind,
        options=options,
        max_choices=max_choices,
        secret=secret,
        results=results,
        duration_s=duration_s,
        quorum=quorum,
        item=None,
    )


def opened(poll: str = "q1", closes: int | None = None) -> PollOpened:
    return PollOpened(
        at=t(3), poll=poll, eligible=EVERYONE, closes=None if closes is None else t(closes)
    )


def vote(actor: Actor, choice: Choice, poll: str = "q1", seconds: float = 5) -> CastVote:
    return CastVote(
        actor=actor,
        at=t(seconds),
        poll=poll,
        ballot=ballot_key(SECRET, poll, actor.participant),
        choice=choice,
    )


def counted(actor: Actor, choice: Choice, poll: str = "q1", secret: bool = True) -> VoteCounted:
    ballot = ballot_key(SECRET, poll, actor.participant) if secret else actor.participant
    return VoteCounted(
        at=t(5),
        poll=poll,
        ballot=ballot,
        participant=None if secret else actor.participant,
        choice=choice,
    )


OPEN = (*LIVE, created(), opened())


def test_poll_create_draft() -> None:
    state = (
        given(*LIVE)
        .when(
            CreatePoll(
                actor=FAC,
                at=t(2),
                poll="q1",
                question=" Which? ",
                kind="single",
                options=("A", "B", "C"),
            )
        )
        .then(created())
    )
    assert state.polls["q1"].status == "draft"


def test_poll_create_yes_no_abstain_fills_options() -> None:
    given(*LIVE).when(
        CreatePoll(actor=FAC, at=t(2), poll="q1", question="Which?", kind="yes_no_abstain")
    ).then(created(kind="yes_no_abstain", options=("yes", "no", "abstain")))


def test_poll_create_multiple_defaults_max_choices() -> None:
    given(*LIVE).when(
        CreatePoll(
            actor=FAC,
            at=t(2),
            poll="q1",
            question="Which?",
            kind="multiple",
            options=("A", "B", "C"),
            quorum=3,
            duration_s=60,
            results="on_close",
            secret=False,
        )
    ).then(
        created(
            kind="multiple",
            max_choices=3,
            quorum=3,
            duration_s=60,
            results="on_close",
            secret=False,
        )
    )


def test_poll_create_ranked_allows_full_ranking() -> None:
    given(*LIVE).when(
        CreatePoll(
            actor=FAC, at=t(2), poll="q1", question="Which?", kind="ranked", options=("A", "B", "C")
        )
    ).then(created(kind="ranked", max_choices=3))


def test_poll_create_duplicate_id() -> None:
    given(*LIVE, created()).when(
        CreatePoll(actor=FAC, at=t(2), poll="q1", question="Q", kind="single", options=("A", "B"))
    ).raises("duplicate_id")


def test_poll_create_invalid_definitions() -> None:
    bad: list[dict[str, object]] = [
        {"kind": "dice"},
        {"options": ("A",)},
        {"options": ("A", "A")},
        {"options": ("A", " ")},
        {"question": ""},
        {"kind": "multiple", "max_choices": 4},
        {"results": "never"},
        {"duration_s": 0},
        {"duration_s": 24 * 3600 + 1},  # past MAX_DURATION_S: 10**12 used to fail at opening
        {"quorum": -1},
    ]
    for change in bad:
        fields: dict[str, object] = {"question": "Q", "kind": "single", "options": ("A", "B", "C")}
        fields.update(change)
        given(*LIVE).when(CreatePoll(actor=FAC, at=t(2), poll="q1", **fields)).raises(  # type: ignore[arg-type]
            "invalid_poll"
        )


def test_poll_create_forbidden_for_participant() -> None:
    given(*LIVE).when(
        CreatePoll(actor=P1, at=t(2), poll="q1", question="Q", kind="single", options=("A", "B"))
    ).raises("forbidden")


def test_poll_open_freezes_eligible_list() -> None:
    state = given(*LIVE, created()).when(OpenPoll(actor=FAC, at=t(3), poll="q1")).then(opened())
    late = joined(Actor("p9", Role.PARTICIPANT), 4)
    given(*LIVE, created(), opened(), late).when(vote(Actor("p9", Role.PARTICIPANT), 0)).raises(
        "not_eligible"
    )
    assert state.polls["q1"].eligible == frozenset(EVERYONE)


def test_poll_open_with_closing_timer() -> None:
    given(*LIVE, created(duration_s=60)).when(OpenPoll(actor=FAC, at=t(3), poll="q1")).then(
        opened(closes=63)
    )


def test_poll_open_twice() -> None:
    given(*OPEN).when(OpenPoll(actor=FAC, at=t(3), poll="q1")).raises("poll_not_draft")


def test_poll_open_unknown() -> None:
    given(*LIVE).when(OpenPoll(actor=FAC, at=t(3), poll="zz")).raises("poll_not_found")


def test_poll_open_forbidden_for_participant() -> None:
    given(*LIVE, created()).when(OpenPoll(actor=P1, at=t(3), poll="q1")).raises("forbidden")


def test_poll_vote_secret_carries_no_participant() -> None:
    state = given(*OPEN).when(vote(P1, 1)).then(counted(P1, 1))
    assert "p1" not in state.polls["q1"].ballots
    assert state.polls["q1"].tally().counts == (0, 1, 0)


def test_poll_vote_named_carries_participant() -> None:
    given(*LIVE, created(secret=False), opened()).when(vote(P1, 2)).then(
        counted(P1, 2, secret=False)
    )


def test_poll_vote_change_replaces_ballot() -> None:
    state = given(*OPEN, counted(P1, 0)).when(vote(P1, 2)).then(counted(P1, 2))
    assert state.polls["q1"].tally().counts == (0, 0, 1)
    assert state.polls["q1"].tally().turnout == 1


def test_poll_vote_choices_per_kind() -> None:
    ok: list[tuple[str, Choice]] = [
        ("multiple", (0, 2)),
        ("ranked", (2, 0)),
        ("score", (5, 0, 3)),
        ("yes_no_abstain", 2),
    ]
    for kind, choice in ok:
        opts = ("yes", "no", "abstain") if kind == "yes_no_abstain" else ("A", "B", "C")
        given(*LIVE, created(kind=kind, options=opts, max_choices=2), opened()).when(
            vote(P1, choice)
        ).then(counted(P1, choice))


def test_poll_vote_invalid_choices() -> None:
    bad: list[tuple[str, Choice]] = [
        ("single", 3),
        ("single", (0,)),
        ("multiple", 1),
        ("multiple", (0, 1, 2)),
        ("multiple", ()),
        ("multiple", (0, 0)),
        ("ranked", (0, 5)),
        ("score", (6, 0, 0)),
        ("score", (1, 1)),
        ("score", (-1, 0, 0)),
    ]
    for kind, choice in bad:
        given(*LIVE, created(kind=kind, max_choices=2), opened()).when(vote(P1, choice)).raises(
            "invalid_choice"
        )


def test_poll_vote_not_open() -> None:
    given(*LIVE, created()).when(vote(P1, 0)).raises("poll_not_open")


def test_poll_vote_unknown_poll() -> None:
    given(*LIVE).when(vote(P1, 0)).raises("poll_not_found")


def test_poll_vote_muted() -> None:
    given(*OPEN, ParticipantMuted(at=t(4), participant="p1", by="f1")).when(vote(P1, 0)).raises(
        "muted"
    )


def test_poll_vote_forbidden_for_observer() -> None:
    given(*OPEN).when(vote(OBS, 0)).raises("forbidden")


def test_poll_close_freezes_result() -> None:
    state = (
        given(*OPEN, counted(P1, 0), counted(P2, 0))
        .when(ClosePoll(actor=FAC, at=t(9), poll="q1"))
        .then(PollClosed(at=t(9), poll="q1"))
    )
    result = state.polls["q1"].result
    assert result is not None
    assert (result.counts, result.winner, result.turnout) == ((2, 0, 0), 0, 2)


def test_poll_close_not_open() -> None:
    given(*LIVE, created()).when(ClosePoll(actor=FAC, at=t(9), poll="q1")).raises("poll_not_open")


def test_poll_close_forbidden_for_participant() -> None:
    given(*OPEN).when(ClosePoll(actor=P1, at=t(9), poll="q1")).raises("forbidden")


def test_poll_publish_closed() -> None:
    state = (
        given(*LIVE, created(results="on_close"), opened(), PollClosed(at=t(9), poll="q1"))
        .when(PublishPoll(actor=FAC, at=t(10), poll="q1"))
        .then(PollPublished(at=t(10), poll="q1"))
    )
    assert state.polls["q1"].results_public()
    assert state.polls["q1"].published == t(10)


def test_poll_publish_open_poll() -> None:
    given(*OPEN).when(PublishPoll(actor=FAC, at=t(10), poll="q1")).raises("poll_not_closed")


def test_poll_publish_twice() -> None:
    given(*OPEN, PollClosed(at=t(9), poll="q1"), PollPublished(at=t(10), poll="q1")).when(
        PublishPoll(actor=FAC, at=t(11), poll="q1")
    ).raises("poll_already_published")


def test_poll_publish_forbidden_for_participant() -> None:
    given(*OPEN, PollClosed(at=t(9), poll="q1")).when(
        PublishPoll(actor=P1, at=t(10), poll="q1")
    ).raises("forbidden")


def test_poll_visibility() -> None:
    live = given(*OPEN).state.polls["q1"]
    assert live.results_public()
    hidden = given(*LIVE, created(results="on_close"), opened()).state.polls["q1"]
    assert not hidden.results_public()
    assert not given(*LIVE, created()).state.polls["q1"].results_public()


def test_poll_timer_closes_once() -> None:
    events = (*LIVE, created(duration_s=60), opened(closes=63))
    timer = TimerExpired(at=t(63), kind="poll", ref="q1")
    given(*events).when(timer).then(PollClosed(at=t(63), poll="q1"))
    given(*events, PollClosed(at=t(63), poll="q1")).when(timer).then()
    given(*events).when(TimerExpired(at=t(62), kind="poll", ref="q1")).then()
    given(*OPEN).when(TimerExpired(at=t(99), kind="poll", ref="q1")).then()
    given(*OPEN).when(TimerExpired(at=t(99), kind="poll", ref="zz")).then()


def test_poll_created_on_running_item() -> None:
    state = (
        given(*ON_ITEM)
        .when(
            CreatePoll(
                actor=FAC, at=t(2), poll="q1", question="Q", kind="single", options=("A", "B")
            )
        )
        .then(
            PollCreated(
                at=t(2),
                poll="q1",
                question="Q",
                kind="single",
                options=("A", "B"),
                max_choices=1,
                secret=True,
                results="live",
                duration_s=None,
                quorum=0,
                item="i1",
            )
        )
    )
    assert state.polls["q1"].item == "i1"


def test_poll_vote_before_session() -> None:
    given(*PEOPLE).when(vote(P1, 0)).raises("session_not_live")


def test_poll_create_before_session_as_draft() -> None:
    given(*PEOPLE).when(
        CreatePoll(
            actor=FAC, at=t(2), poll="q1", question="Which?", kind="single", options=("A", "B", "C")
        )
    ).then(created())
    given(*PEOPLE, created()).when(OpenPoll(actor=FAC, at=t(3), poll="q1")).raises(
        "session_not_live"
    )


def test_poll_close_ranked_counts_instant_runoff() -> None:
    ranked = created(kind="ranked", max_choices=3)
    # Round 1: A 1, B 2, C 1; A and C tie for fewest, C (listed last) goes; B wins round 2.
    votes = [counted(P1, (0, 1)), counted(P2, (1, 0)), counted(FAC, (2, 1)), counted(P3, (1,))]
    state = (
        given(*LIVE, ranked, opened(), *votes)
        .when(ClosePoll(actor=FAC, at=t(9), poll="q1"))
        .then(PollClosed(at=t(9), poll="q1"))
    )
    result = state.polls["q1"].result
    assert result is not None
    assert (result.winner, len(result.rounds), result.counts) == (1, 2, (1, 2, 1))
    assert result.rounds[0].eliminated == 2

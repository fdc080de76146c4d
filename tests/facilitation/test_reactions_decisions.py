from __future__ import annotations

from dataclasses import replace

from facilitation.base import Role
from facilitation.decisions import DecisionRecorded, RecordDecision
from facilitation.moderation import ParticipantMuted, ParticipantRemoved
from facilitation.participants import ParticipantLeft
from facilitation.polls import PollClosed, PollCreated, PollOpened, PollPublished, VoteCounted
from facilitation.reactions import ReactionSent, SendReaction
from facilitation.views import Viewer, project, snapshot
from tests.facilitation.dsl import FAC, LIVE, OBS, ON_ITEM, P1, P2, PEOPLE, given, state_of, t

POLL = (
    PollCreated(
        at=t(2),
        poll="q1",
        question="Q",
        kind="single",
        options=("A", "B"),
        max_choices=1,
        secret=False,
        results="live",
        duration_s=None,
        quorum=2,
        item="i1",
    ),
    PollOpened(at=t(3), poll="q1", eligible=("p1", "p2"), closes=None),
    VoteCounted(at=t(4), poll="q1", ballot="p1", participant="p1", choice=1),
)


def test_reaction_send_counts_per_item() -> None:
    state = (
        given(*ON_ITEM)
        .when(SendReaction(actor=P1, at=t(5), kind="agree"))
        .then(ReactionSent(at=t(5), kind="agree", item="i1", participant="p1"))
    )
    assert state.reactions == {"i1": {"agree": 1}}
    # Logs from before reactions were state hold clicks without a person: each counts.
    state = state_of(
        *ON_ITEM,
        ReactionSent(at=t(5), kind="agree", item="i1"),
        ReactionSent(at=t(6), kind="agree", item="i1"),
        ReactionSent(at=t(7), kind="unclear", item=None),
    )
    assert state.reactions == {"i1": {"agree": 2}, "": {"unclear": 1}}


def test_reaction_send_again_replaces_and_null_withdraws() -> None:
    agreed = ReactionSent(at=t(5), kind="agree", item="i1", participant="p1")
    state = (
        given(*ON_ITEM, agreed)
        .when(SendReaction(actor=P1, at=t(6), kind="applause"))
        .then(ReactionSent(at=t(6), kind="applause", item="i1", participant="p1"))
    )
    assert state.reactions["i1"] == {"applause": 1}, "one current reaction, not a click count"
    state = (
        given(*ON_ITEM, agreed)
        .when(SendReaction(actor=P1, at=t(6), kind=None))
        .then(ReactionSent(at=t(6), kind=None, item="i1", participant="p1"))
    )
    assert state.reactions["i1"] == {}
    # The same reaction again, or withdrawing none, changes nothing.
    given(*ON_ITEM, agreed).when(SendReaction(actor=P1, at=t(7), kind="agree")).then()
    given(*ON_ITEM).when(SendReaction(actor=P1, at=t(7), kind=None)).then()


def test_reaction_send_one_per_person_per_item() -> None:
    state = state_of(
        *ON_ITEM,
        ReactionSent(at=t(5), kind="agree", item="i1", participant="p1"),
        ReactionSent(at=t(5), kind="agree", item="i1", participant="p2"),
        ReactionSent(at=t(6), kind="agree", item="i1", participant="p1"),
        ReactionSent(at=t(6), kind="agree", item="i2", participant="p1"),
        ReactionSent(at=t(7), kind="applause", item="i1", participant="p2"),
    )
    assert state.reactions == {"i1": {"agree": 1, "applause": 1}, "i2": {"agree": 1}}


def test_reaction_leaving_or_removal_withdraws_it_from_the_running_item() -> None:
    state = state_of(
        *ON_ITEM,
        ReactionSent(at=t(5), kind="agree", item="i1", participant="p1"),
        ReactionSent(at=t(5), kind="unclear", item="i1", participant="p2"),
        ParticipantLeft(at=t(6), participant="p1"),
        ParticipantRemoved(at=t(7), participant="p2", ban=False, reason=None, by="f1"),
        ParticipantLeft(at=t(8), participant="p3"),  # had none
    )
    assert state.reactions["i1"] == {}


def test_reaction_send_unknown_kind() -> None:
    given(*ON_ITEM).when(SendReaction(actor=P1, at=t(5), kind="boo")).raises("invalid_data")


def test_reaction_send_muted() -> None:
    given(*ON_ITEM, ParticipantMuted(at=t(3), participant="p1", by="f1")).when(
        SendReaction(actor=P1, at=t(5), kind="agree")
    ).raises("muted")


def test_reaction_send_before_session() -> None:
    given(*PEOPLE).when(SendReaction(actor=P1, at=t(5), kind="agree")).raises("session_not_live")


def test_reaction_send_forbidden_for_observer() -> None:
    given(*ON_ITEM).when(SendReaction(actor=OBS, at=t(5), kind="agree")).raises("forbidden")


def test_decision_record_copies_poll_result() -> None:
    state = (
        given(*ON_ITEM, *POLL, PollClosed(at=t(5), poll="q1"))
        .when(
            RecordDecision(
                actor=FAC,
                at=t(6),
                decision="d1",
                item="i1",
                text="Do B",
                poll="q1",
                dissent="Some prefer A",
            )
        )
        .then(
            DecisionRecorded(
                at=t(6),
                decision="d1",
                item="i1",
                text="Do B",
                poll="q1",
                dissent="Some prefer A",
                by="f1",
            )
        )
    )
    result = state.decisions["d1"].result
    assert result is not None
    assert (result.options, result.tally.counts, result.tally.quorum_met) == (
        ("A", "B"),
        (0, 1),
        False,
    )


def test_decision_record_without_poll() -> None:
    state = (
        given(*ON_ITEM)
        .when(RecordDecision(actor=FAC, at=t(6), decision="d1", item="i1", text="Adjourn"))
        .then(
            DecisionRecorded(
                at=t(6), decision="d1", item="i1", text="Adjourn", poll=None, dissent="", by="f1"
            )
        )
    )
    assert state.decisions["d1"].result is None


def test_decision_record_open_poll() -> None:
    given(*ON_ITEM, *POLL).when(
        RecordDecision(actor=FAC, at=t(6), decision="d1", item="i1", text="x", poll="q1")
    ).raises("poll_not_closed")


def test_decision_record_unknown_poll() -> None:
    given(*ON_ITEM).when(
        RecordDecision(actor=FAC, at=t(6), decision="d1", item="i1", text="x", poll="zz")
    ).raises("poll_not_found")


def test_decision_record_unknown_item() -> None:
    given(*ON_ITEM).when(
        RecordDecision(actor=FAC, at=t(6), decision="d1", item="zz", text="x")
    ).raises("item_not_found")


def test_decision_record_duplicate_id() -> None:
    recorded = DecisionRecorded(
        at=t(6), decision="d1", item="i1", text="x", poll=None, dissent="", by="f1"
    )
    given(*ON_ITEM, recorded).when(
        RecordDecision(actor=FAC, at=t(7), decision="d1", item="i1", text="y")
    ).raises("duplicate_id")


def test_decision_record_long_dissent() -> None:
    given(*ON_ITEM).when(
        RecordDecision(actor=FAC, at=t(6), decision="d1", item="i1", text="x", dissent="x" * 2001)
    ).raises("text_too_long")


def test_decision_record_forbidden_for_participant() -> None:
    given(*ON_ITEM).when(
        RecordDecision(actor=P2, at=t(6), decision="d1", item="i1", text="x")
    ).raises("forbidden")


def test_decision_record_before_session() -> None:
    given(*LIVE).when(
        RecordDecision(actor=FAC, at=t(6), decision="d1", item="i1", text="x")
    ).raises("item_not_found")


def test_decision_on_an_unpublished_on_close_poll_keeps_its_tally_from_the_public() -> None:
    created = replace(POLL[0], results="on_close")
    closed = state_of(*ON_ITEM, created, *POLL[1:], PollClosed(at=t(5), poll="q1"))
    recorded = DecisionRecorded(
        at=t(6), decision="d1", item="i1", text="Do B", poll="q1", dissent="", by="f1"
    )
    decide_state = given(*ON_ITEM, created, *POLL[1:], PollClosed(at=t(5), poll="q1")).when(
        RecordDecision(actor=FAC, at=t(6), decision="d1", item="i1", text="Do B", poll="q1")
    )
    state = decide_state.then(recorded)
    assert closed.polls["q1"].status == "closed"
    public = project(recorded, state, "public")
    staff = project(recorded, state, "facilitator")
    assert public is not None
    assert staff is not None
    assert public["result"]["tally"] is None  # not published: the copy is hidden too
    assert staff["result"]["tally"]["counts"] == [0, 1]
    assert (
        snapshot(state, Viewer(participant="p1", role=Role.PARTICIPANT))["decisions"][0]["result"][
            "tally"
        ]
        is None
    )
    published = state_of(
        *ON_ITEM,
        created,
        *POLL[1:],
        PollClosed(at=t(5), poll="q1"),
        recorded,
        PollPublished(at=t(7), poll="q1"),
    )
    shown = snapshot(published, Viewer(participant="p1", role=Role.PARTICIPANT))
    assert shown["decisions"][0]["result"]["tally"]["counts"] == [0, 1]

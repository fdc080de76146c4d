from __future__ import annotations

from facilitation.moderation import ParticipantMuted
from facilitation.polls import CreatePoll, PollCreated
from facilitation.proposals import (
    HideProposal,
    MergeProposal,
    ProposalHidden,
    ProposalMerged,
    ProposalSubmitted,
    ProposalSupported,
    ProposalUnsupported,
    SubmitProposal,
    SupportProposal,
    UnsupportProposal,
)
from facilitation.session import SessionEnded
from tests.facilitation.dsl import FAC, LIVE, OBS, ON_ITEM, P1, P2, P3, PEOPLE, given, state_of, t

SUBMITTED = ProposalSubmitted(
    at=t(3), proposal="x1", participant="p1", text="Free buses", item="i1"
)
SUBMITTED2 = ProposalSubmitted(
    at=t(4), proposal="x2", participant="p2", text="Cheaper buses", item="i1"
)
SUPPORTED = ProposalSupported(at=t(5), proposal="x1", participant="p2")


def test_proposal_submit_live() -> None:
    state = (
        given(*ON_ITEM)
        .when(SubmitProposal(actor=P1, at=t(3), proposal="x1", text=" Free buses "))
        .then(SUBMITTED)
    )
    assert state.proposals["x1"].status == "open"


def test_proposal_submit_while_scheduled() -> None:
    given(*PEOPLE).when(SubmitProposal(actor=P1, at=t(3), proposal="x1", text="Parks")).then(
        ProposalSubmitted(at=t(3), proposal="x1", participant="p1", text="Parks", item=None)
    )


def test_proposal_submit_after_the_end() -> None:
    given(*LIVE, SessionEnded(at=t(2))).when(
        SubmitProposal(actor=P1, at=t(3), proposal="x1", text="Parks")
    ).raises("session_ended")


def test_proposal_submit_bad_input() -> None:
    given(*ON_ITEM).when(SubmitProposal(actor=P1, at=t(3), proposal="x1", text="  ")).raises(
        "text_empty"
    )
    given(*ON_ITEM).when(SubmitProposal(actor=P1, at=t(3), proposal="x1", text="x" * 201)).raises(
        "text_too_long"
    )
    given(*ON_ITEM, SUBMITTED).when(
        SubmitProposal(actor=P2, at=t(3), proposal="x1", text="Again")
    ).raises("duplicate_id")


def test_proposal_submit_muted() -> None:
    given(*ON_ITEM, ParticipantMuted(at=t(2), participant="p1", by="f1")).when(
        SubmitProposal(actor=P1, at=t(3), proposal="x1", text="Parks")
    ).raises("muted")


def test_proposal_submit_forbidden_for_observer() -> None:
    given(*ON_ITEM).when(SubmitProposal(actor=OBS, at=t(3), proposal="x1", text="Parks")).raises(
        "forbidden"
    )


def test_proposal_support_once() -> None:
    state = (
        given(*ON_ITEM, SUBMITTED)
        .when(SupportProposal(actor=P2, at=t(5), proposal="x1"))
        .then(SUPPORTED)
    )
    assert state.proposals["x1"].supporters == {"p2"}
    given(*ON_ITEM, SUBMITTED, SUPPORTED).when(
        SupportProposal(actor=P2, at=t(6), proposal="x1")
    ).raises("already_supported")


def test_proposal_support_own_or_unknown() -> None:
    given(*ON_ITEM, SUBMITTED).when(SupportProposal(actor=P1, at=t(5), proposal="x1")).raises(
        "own_proposal"
    )
    given(*ON_ITEM).when(SupportProposal(actor=P1, at=t(5), proposal="zz")).raises(
        "proposal_not_found"
    )


def test_proposal_support_forbidden_for_observer() -> None:
    given(*ON_ITEM, SUBMITTED).when(SupportProposal(actor=OBS, at=t(5), proposal="x1")).raises(
        "forbidden"
    )


def test_proposal_unsupport_withdraws() -> None:
    state = (
        given(*ON_ITEM, SUBMITTED, SUPPORTED)
        .when(UnsupportProposal(actor=P2, at=t(6), proposal="x1"))
        .then(ProposalUnsupported(at=t(6), proposal="x1", participant="p2"))
    )
    assert state.proposals["x1"].supporters == frozenset()
    given(*ON_ITEM, SUBMITTED).when(UnsupportProposal(actor=P2, at=t(6), proposal="x1")).raises(
        "not_supported"
    )


def test_proposal_unsupport_forbidden_for_observer() -> None:
    given(*ON_ITEM, SUBMITTED).when(UnsupportProposal(actor=OBS, at=t(6), proposal="x1")).raises(
        "forbidden"
    )


def test_proposal_merge_moves_supporters_and_is_logged() -> None:
    merged = ProposalMerged(at=t(7), proposal="x2", into="x1", by="f1")
    state = (
        given(
            *ON_ITEM,
            SUBMITTED,
            SUBMITTED2,
            ProposalSupported(at=t(5), proposal="x2", participant="p3"),
        )
        .when(MergeProposal(actor=FAC, at=t(7), proposal="x2", into="x1"))
        .then(merged)
    )
    assert state.proposals["x2"].status == "merged"
    assert state.proposals["x2"].merged_into == "x1"
    assert state.proposals["x1"].supporters == {"p2", "p3"}
    entry = state.moderation[-1]
    assert (entry.action, entry.actor, entry.detail) == (
        "proposal.merge",
        "f1",
        {"proposal": "x2", "into": "x1"},
    )
    # Once merged it can be neither supported nor merged again.
    after = (*ON_ITEM, SUBMITTED, SUBMITTED2, merged)
    given(*after).when(SupportProposal(actor=P3, at=t(8), proposal="x2")).raises("proposal_closed")
    given(*after).when(MergeProposal(actor=FAC, at=t(8), proposal="x2", into="x1")).raises(
        "proposal_closed"
    )


def test_proposal_merge_into_itself_or_unknown() -> None:
    given(*ON_ITEM, SUBMITTED).when(
        MergeProposal(actor=FAC, at=t(7), proposal="x1", into="x1")
    ).raises("invalid_data")
    given(*ON_ITEM, SUBMITTED).when(
        MergeProposal(actor=FAC, at=t(7), proposal="x1", into="zz")
    ).raises("proposal_not_found")


def test_proposal_merge_forbidden_for_participant() -> None:
    given(*ON_ITEM, SUBMITTED, SUBMITTED2).when(
        MergeProposal(actor=P3, at=t(7), proposal="x2", into="x1")
    ).raises("forbidden")


def test_proposal_hide_with_reason_is_logged() -> None:
    hidden = ProposalHidden(at=t(7), proposal="x1", reason="insulting", by="f1")
    state = (
        given(*ON_ITEM, SUBMITTED)
        .when(HideProposal(actor=FAC, at=t(7), proposal="x1", reason=" insulting "))
        .then(hidden)
    )
    assert state.proposals["x1"].status == "hidden"
    entry = state.moderation[-1]
    assert (entry.action, entry.target, entry.reason) == ("proposal.hide", "p1", "insulting")
    given(*ON_ITEM, SUBMITTED, hidden).when(
        HideProposal(actor=FAC, at=t(8), proposal="x1", reason="again")
    ).raises("already_hidden")
    given(*ON_ITEM, SUBMITTED).when(
        HideProposal(actor=FAC, at=t(7), proposal="x1", reason=" ")
    ).raises("invalid_data")


def test_proposal_hide_forbidden_for_participant() -> None:
    given(*ON_ITEM, SUBMITTED).when(
        HideProposal(actor=P2, at=t(7), proposal="x1", reason="no")
    ).raises("forbidden")


def test_proposals_become_poll_options() -> None:
    state = (
        given(*ON_ITEM, SUBMITTED, SUBMITTED2)
        .when(
            CreatePoll(
                actor=FAC,
                at=t(8),
                poll="q1",
                question="Which?",
                kind="single",
                from_proposals=("x2", "x1"),
            )
        )
        .then(
            PollCreated(
                at=t(8),
                poll="q1",
                question="Which?",
                kind="single",
                options=("Cheaper buses", "Free buses"),
                max_choices=1,
                secret=True,
                results="live",
                duration_s=None,
                quorum=0,
                item="i1",
                proposals=("x2", "x1"),
            )
        )
    )
    assert state.proposals["x1"].status == "promoted"
    assert state.proposals["x1"].polls == ("q1",)
    # A promoted proposal can be supported and promoted again (interim votes).
    given(*ON_ITEM, SUBMITTED, SUBMITTED2, *_promoted()).when(
        SupportProposal(actor=P3, at=t(9), proposal="x1")
    ).then(ProposalSupported(at=t(9), proposal="x1", participant="p3"))


def _promoted() -> tuple[PollCreated, ...]:
    return (
        PollCreated(
            at=t(8),
            poll="q1",
            question="Which?",
            kind="single",
            options=("Cheaper buses", "Free buses"),
            max_choices=1,
            secret=True,
            results="live",
            duration_s=None,
            quorum=0,
            item="i1",
            proposals=("x2", "x1", "zz"),
        ),
    )


def test_proposals_promoted_again_keep_every_poll() -> None:
    state = state_of(
        *ON_ITEM,
        SUBMITTED,
        SUBMITTED2,
        ProposalHidden(at=t(6), proposal="x2", reason="r", by="f1"),
        *_promoted(),
    )
    assert state.proposals["x1"].polls == ("q1",)
    assert state.proposals["x2"].status == "hidden"  # a fate once sealed stays


def test_poll_create_from_proposals_bad_input() -> None:
    base = (*ON_ITEM, SUBMITTED, SUBMITTED2)
    hidden = ProposalHidden(at=t(6), proposal="x2", reason="r", by="f1")

    def create(**fields: object) -> CreatePoll:
        return CreatePoll(actor=FAC, at=t(8), poll="q1", question="Q", **fields)  # type: ignore[arg-type]

    given(*base).when(create(kind="single", from_proposals=("x1", "zz"))).raises(
        "proposal_not_found"
    )
    given(*base, hidden).when(create(kind="single", from_proposals=("x1", "x2"))).raises(
        "proposal_closed"
    )
    given(*base).when(create(kind="single", from_proposals=("x1",))).raises("invalid_poll")
    given(*base).when(
        create(kind="single", from_proposals=("x1", "x2"), options=("A", "B"))
    ).raises("invalid_poll")
    given(*base).when(create(kind="yes_no_abstain", from_proposals=("x1", "x2"))).raises(
        "invalid_poll"
    )


def test_proposal_events_for_unknown_proposals_change_nothing() -> None:
    before = state_of(*ON_ITEM)
    after = state_of(
        *ON_ITEM,
        ProposalSupported(at=t(5), proposal="zz", participant="p2"),
        ProposalMerged(at=t(5), proposal="zz", into="x1", by="f1"),
    )
    assert after.proposals == before.proposals
    # Merged into a proposal the log does not hold: the source is still merged.
    state = state_of(
        *ON_ITEM, SUBMITTED, ProposalMerged(at=t(5), proposal="x1", into="zz", by="f1")
    )
    assert state.proposals["x1"].status == "merged"
    assert P3.participant not in state.proposals["x1"].supporters

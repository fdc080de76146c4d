"""Anonymous and pre-moderated questions, hiding, and what each viewer sees of them."""

from __future__ import annotations

import json
from dataclasses import replace

from facilitation.moderation import SettingsChanged
from facilitation.questions import (
    ApproveQuestion,
    AskQuestion,
    DismissQuestion,
    HideQuestion,
    QuestionApproved,
    QuestionAsked,
    QuestionDismissed,
    QuestionHidden,
    QueueQuestion,
    UpvoteQuestion,
)
from facilitation.views import project, snapshot
from tests.facilitation.dsl import FAC, OBS, ON_ITEM, P1, P2, PEOPLE, given, state_of, t
from tests.facilitation.test_views import ALICE, BOB, PUBLIC, STAFF

PREMODERATED = SettingsChanged(
    at=t(2),
    by="f1",
    queue_policy="fifo",
    turn_s=120,
    auto_advance=False,
    max_turns_per_item=0,
    slow_mode_s=0,
    statements=True,
    questions=True,
    lobby=False,
    questions_premoderated=True,
)
ANON = QuestionAsked(
    at=t(3), question="q1", participant="p1", text="Who pays?", item="i1", anonymous=True
)
PENDING = replace(ANON, anonymous=False, pending=True)


def test_question_ask_anonymous() -> None:
    state = (
        given(*ON_ITEM)
        .when(AskQuestion(actor=P1, at=t(3), question="q1", text="Who pays?", anonymous=True))
        .then(ANON)
    )
    assert state.questions["q1"].anonymous


def test_question_ask_while_scheduled() -> None:
    given(*PEOPLE).when(AskQuestion(actor=P1, at=t(3), question="q1", text="Who pays?")).then(
        QuestionAsked(at=t(3), question="q1", participant="p1", text="Who pays?", item=None)
    )


def test_question_ask_premoderated_waits_for_approval() -> None:
    state = (
        given(*ON_ITEM, PREMODERATED)
        .when(AskQuestion(actor=P1, at=t(3), question="q1", text="Who pays?"))
        .then(PENDING)
    )
    assert state.questions["q1"].status == "pending"
    # A facilitator's own question needs no approval.
    given(*ON_ITEM, PREMODERATED).when(
        AskQuestion(actor=FAC, at=t(3), question="q2", text="Next?")
    ).then(QuestionAsked(at=t(3), question="q2", participant="f1", text="Next?", item="i1"))


def test_question_approve() -> None:
    state = (
        given(*ON_ITEM, PREMODERATED, PENDING)
        .when(ApproveQuestion(actor=FAC, at=t(4), question="q1"))
        .then(QuestionApproved(at=t(4), question="q1", by="f1"))
    )
    assert state.questions["q1"].status == "open"
    entry = state.moderation[-1]
    assert (entry.action, entry.target, entry.detail) == (
        "question.approve",
        "p1",
        {"question": "q1"},
    )
    given(*ON_ITEM, ANON).when(ApproveQuestion(actor=FAC, at=t(4), question="q1")).raises(
        "question_not_pending"
    )
    given(*ON_ITEM).when(ApproveQuestion(actor=FAC, at=t(4), question="zz")).raises(
        "question_not_found"
    )


def test_question_approve_forbidden_for_participant() -> None:
    given(*ON_ITEM, PREMODERATED, PENDING).when(
        ApproveQuestion(actor=P2, at=t(4), question="q1")
    ).raises("forbidden")


def test_question_pending_cannot_be_upvoted_answered_or_queued() -> None:
    pending = (*ON_ITEM, PREMODERATED, PENDING)
    given(*pending).when(UpvoteQuestion(actor=P2, at=t(4), question="q1")).raises(
        "question_not_found"
    )
    given(*pending).when(QueueQuestion(actor=FAC, at=t(4), question="q1")).raises("question_closed")
    # ... but it can be dismissed without approval.
    given(*pending).when(DismissQuestion(actor=FAC, at=t(4), question="q1")).then(
        QuestionDismissed(at=t(4), question="q1", by="f1")
    )


def test_question_hide_with_reason() -> None:
    state = (
        given(*ON_ITEM, ANON)
        .when(HideQuestion(actor=FAC, at=t(5), question="q1", reason=" insulting "))
        .then(QuestionHidden(at=t(5), question="q1", reason="insulting", by="f1"))
    )
    question = state.questions["q1"]
    assert (question.status, question.hidden_reason) == ("hidden", "insulting")
    entry = state.moderation[-1]
    # The public log never names an anonymous asker.
    assert (entry.action, entry.target, entry.reason) == ("question.hide", None, "insulting")
    hidden = QuestionHidden(at=t(5), question="q1", reason="x", by="f1")
    given(*ON_ITEM, ANON, hidden).when(
        HideQuestion(actor=FAC, at=t(6), question="q1", reason="again")
    ).raises("already_hidden")
    given(*ON_ITEM, ANON).when(HideQuestion(actor=FAC, at=t(6), question="q1", reason="")).raises(
        "invalid_data"
    )


def test_question_hide_forbidden_for_participant() -> None:
    given(*ON_ITEM, ANON).when(HideQuestion(actor=P2, at=t(5), question="q1", reason="x")).raises(
        "forbidden"
    )


def test_question_dismiss_is_logged() -> None:
    state = state_of(*ON_ITEM, ANON, QuestionDismissed(at=t(4), question="q1", by="f1"))
    entry = state.moderation[-1]
    assert (entry.action, entry.actor, entry.detail) == (
        "question.dismiss",
        "f1",
        {"question": "q1"},
    )


def test_question_to_queue_anonymous_would_name_the_asker() -> None:
    given(*ON_ITEM, ANON).when(QueueQuestion(actor=FAC, at=t(4), question="q1")).raises(
        "anonymous_question"
    )


def test_question_events_for_unknown_questions_change_nothing() -> None:
    before = state_of(*ON_ITEM)
    after = state_of(*ON_ITEM, QuestionApproved(at=t(4), question="zz", by="f1"))
    assert after.questions == before.questions
    assert after.moderation == before.moderation


def test_snapshot_anonymous_question_names_the_asker_to_staff_and_asker_only() -> None:
    state = state_of(*ON_ITEM, ANON)
    assert snapshot(state, STAFF)["questions"][0]["participant"] == "p1"
    mine = snapshot(state, ALICE)["questions"][0]
    assert (mine["participant"], mine["mine"], mine["anonymous"]) == ("p1", True, True)
    for viewer in (BOB, PUBLIC):
        shown = snapshot(state, viewer)["questions"][0]
        assert shown["participant"] is None
        assert shown["text"] == "Who pays?"


def test_snapshot_pending_question_only_for_staff_and_its_asker() -> None:
    state = state_of(*ON_ITEM, PREMODERATED, PENDING)
    assert [q["status"] for q in snapshot(state, STAFF)["questions"]] == ["pending"]
    assert [q["text"] for q in snapshot(state, ALICE)["questions"]] == ["Who pays?"]
    assert snapshot(state, BOB)["questions"] == []
    assert snapshot(state, PUBLIC)["questions"] == []


def test_snapshot_dismissed_or_hidden_question_text_is_not_public() -> None:
    for closing in (
        QuestionDismissed(at=t(4), question="q1", by="f1"),
        QuestionHidden(at=t(4), question="q1", reason="rude", by="f1"),
    ):
        state = state_of(*ON_ITEM, ANON, closing)
        assert snapshot(state, STAFF)["questions"][0]["text"] == "Who pays?"
        assert "Who pays?" not in json.dumps(snapshot(state, BOB))
        assert "Who pays?" not in json.dumps(snapshot(state, PUBLIC))


def test_project_question_asked_hides_pending_and_anonymous() -> None:
    pending = state_of(*ON_ITEM, PREMODERATED, PENDING)
    assert project(PENDING, pending, "public") is None
    assert project(PENDING, pending, "facilitator") is not None
    anon = project(ANON, state_of(*ON_ITEM, ANON), "public")
    assert anon is not None
    assert anon["participant"] is None
    assert anon["question"] == "q1"
    approve = QuestionApproved(at=t(4), question="q1", by="f1")
    shown = project(approve, state_of(*ON_ITEM, PREMODERATED, PENDING, approve), "public")
    assert shown is not None
    assert (shown["question"], shown["text"], shown["status"]) == ("q1", "Who pays?", "open")
    assert shown["by"] == "f1"  # the public moderation log names who approved it
    assert "by" not in anon  # asking is nobody's moderation act
    # A named asker comes with their name (the public may not know them yet); an
    # anonymous one with none.
    assert (shown["participant"], shown["display_name"], shown["role"]) == (
        "p1",
        state_of(*ON_ITEM).people.by_id["p1"].name,
        "participant",
    )
    assert "display_name" not in anon
    gone = QuestionApproved(at=t(4), question="zz", by="f1")
    assert project(gone, state_of(*ON_ITEM, gone), "public") is None


def test_question_ask_observer_forbidden_anonymous_or_not() -> None:
    given(*ON_ITEM).when(
        AskQuestion(actor=OBS, at=t(3), question="q1", text="?", anonymous=True)
    ).raises("forbidden")

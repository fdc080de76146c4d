from __future__ import annotations

from facilitation.floor import FloorGranted
from facilitation.moderation import ParticipantMuted, SettingsChanged
from facilitation.participants import ParticipantLeft
from facilitation.questions import (
    AnswerQuestion,
    AskQuestion,
    DismissQuestion,
    QuestionAnswered,
    QuestionAsked,
    QuestionDismissed,
    QuestionQueued,
    QuestionUpvoted,
    QueueQuestion,
    UpvoteQuestion,
)
from facilitation.queue import HandRaised
from tests.facilitation.dsl import FAC, OBS, ON_ITEM, P1, P2, P3, given, state_of, t

ASKED = QuestionAsked(at=t(3), question="q1", participant="p1", text="Why?", item="i1")
QUESTIONS_OFF = SettingsChanged(
    at=t(1),
    by="f1",
    queue_policy="fifo",
    turn_s=120,
    auto_advance=False,
    max_turns_per_item=0,
    slow_mode_s=0,
    statements=True,
    questions=False,
    lobby=False,
)


def test_question_ask() -> None:
    state = (
        given(*ON_ITEM).when(AskQuestion(actor=P1, at=t(3), question="q1", text="Why?")).then(ASKED)
    )
    assert state.questions["q1"].status == "open"


def test_question_ask_duplicate_id() -> None:
    given(*ON_ITEM, ASKED).when(AskQuestion(actor=P2, at=t(4), question="q1", text="?")).raises(
        "duplicate_id"
    )


def test_question_ask_off() -> None:
    given(*ON_ITEM, QUESTIONS_OFF).when(
        AskQuestion(actor=P1, at=t(3), question="q1", text="Why?")
    ).raises("questions_off")


def test_question_ask_too_long() -> None:
    given(*ON_ITEM).when(AskQuestion(actor=P1, at=t(3), question="q1", text="x" * 2001)).raises(
        "text_too_long"
    )


def test_question_ask_muted() -> None:
    given(*ON_ITEM, ParticipantMuted(at=t(2), participant="p1", by="f1")).when(
        AskQuestion(actor=P1, at=t(3), question="q1", text="Why?")
    ).raises("muted")


def test_question_ask_forbidden_for_observer() -> None:
    given(*ON_ITEM).when(AskQuestion(actor=OBS, at=t(3), question="q1", text="Why?")).raises(
        "forbidden"
    )


def test_question_upvote_once() -> None:
    state = (
        given(*ON_ITEM, ASKED)
        .when(UpvoteQuestion(actor=P2, at=t(4), question="q1"))
        .then(QuestionUpvoted(at=t(4), question="q1", participant="p2"))
    )
    assert state.questions["q1"].votes == {"p2"}
    given(*ON_ITEM, ASKED, QuestionUpvoted(at=t(4), question="q1", participant="p2")).when(
        UpvoteQuestion(actor=P2, at=t(5), question="q1")
    ).raises("already_upvoted")


def test_question_upvote_own() -> None:
    given(*ON_ITEM, ASKED).when(UpvoteQuestion(actor=P1, at=t(4), question="q1")).raises(
        "own_question"
    )


def test_question_upvote_unknown() -> None:
    given(*ON_ITEM).when(UpvoteQuestion(actor=P1, at=t(4), question="zz")).raises(
        "question_not_found"
    )


def test_question_upvote_closed() -> None:
    given(*ON_ITEM, ASKED, QuestionAnswered(at=t(4), question="q1", by="f1")).when(
        UpvoteQuestion(actor=P2, at=t(5), question="q1")
    ).raises("question_closed")


def test_question_upvote_forbidden_for_observer() -> None:
    given(*ON_ITEM, ASKED).when(UpvoteQuestion(actor=OBS, at=t(4), question="q1")).raises(
        "forbidden"
    )


def test_question_answer() -> None:
    state = (
        given(*ON_ITEM, ASKED)
        .when(AnswerQuestion(actor=FAC, at=t(5), question="q1"))
        .then(QuestionAnswered(at=t(5), question="q1", by="f1"))
    )
    assert state.questions["q1"].status == "answered"


def test_question_answer_forbidden_for_participant() -> None:
    given(*ON_ITEM, ASKED).when(AnswerQuestion(actor=P2, at=t(5), question="q1")).raises(
        "forbidden"
    )


def test_question_dismiss() -> None:
    state = (
        given(*ON_ITEM, ASKED)
        .when(DismissQuestion(actor=FAC, at=t(5), question="q1"))
        .then(QuestionDismissed(at=t(5), question="q1", by="f1"))
    )
    assert state.questions["q1"].status == "dismissed"


def test_question_dismiss_closed() -> None:
    given(*ON_ITEM, ASKED, QuestionDismissed(at=t(4), question="q1", by="f1")).when(
        DismissQuestion(actor=FAC, at=t(5), question="q1")
    ).raises("question_closed")


def test_question_dismiss_forbidden_for_participant() -> None:
    given(*ON_ITEM, ASKED).when(DismissQuestion(actor=P3, at=t(5), question="q1")).raises(
        "forbidden"
    )


def test_question_to_queue_raises_askers_hand() -> None:
    state = (
        given(*ON_ITEM, ASKED)
        .when(QueueQuestion(actor=FAC, at=t(5), question="q1"))
        .then(
            QuestionQueued(at=t(5), question="q1", by="f1"),
            HandRaised(at=t(5), participant="p1", kind="speak", item="i1"),
        )
    )
    assert state.questions["q1"].status == "queued"
    assert state.queues.by_item["i1"].hands[0].participant == "p1"


def test_question_to_queue_when_hand_already_up() -> None:
    hand = HandRaised(at=t(4), participant="p1", kind="speak", item="i1")
    given(*ON_ITEM, ASKED, hand).when(QueueQuestion(actor=FAC, at=t(5), question="q1")).then(
        QuestionQueued(at=t(5), question="q1", by="f1")
    )
    grant = FloorGranted(
        at=t(4), turn=1, participant="p1", item="i1", kind="speak", deadline=t(124), by="f1"
    )
    given(*ON_ITEM, ASKED, grant).when(QueueQuestion(actor=FAC, at=t(5), question="q1")).then(
        QuestionQueued(at=t(5), question="q1", by="f1")
    )


def test_question_to_queue_asker_gone() -> None:
    given(*ON_ITEM, ASKED, ParticipantLeft(at=t(4), participant="p1")).when(
        QueueQuestion(actor=FAC, at=t(5), question="q1")
    ).raises("not_present")


def test_question_to_queue_forbidden_for_participant() -> None:
    given(*ON_ITEM, ASKED).when(QueueQuestion(actor=P2, at=t(5), question="q1")).raises("forbidden")


def test_question_events_for_unknown_ids_change_nothing() -> None:
    state = state_of(*ON_ITEM, QuestionAnswered(at=t(4), question="zz", by="f1"))
    assert state.questions == {}

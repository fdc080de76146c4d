"""Questions from the room: ask, upvote once, answer, dismiss, or move the asker into
the speaking queue. Views sort them by votes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, Role, refuse
from facilitation.floor import check_text
from facilitation.guards import member, require_live, speaker
from facilitation.queue import HandRaised, current, hand_of

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class Question:
    id: str
    participant: str
    text: str
    at: datetime
    item: str | None
    votes: frozenset[str] = frozenset()
    status: str = "open"  # open | answered | dismissed | queued
    closed: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class AskQuestion(Command):
    name: ClassVar[str] = "question.ask"
    question: str
    text: str


@dataclass(frozen=True, kw_only=True)
class UpvoteQuestion(Command):
    name: ClassVar[str] = "question.upvote"
    question: str


@dataclass(frozen=True, kw_only=True)
class AnswerQuestion(Command):
    name: ClassVar[str] = "question.answer"
    question: str


@dataclass(frozen=True, kw_only=True)
class DismissQuestion(Command):
    name: ClassVar[str] = "question.dismiss"
    question: str


@dataclass(frozen=True, kw_only=True)
class QueueQuestion(Command):
    name: ClassVar[str] = "question.to_queue"
    question: str


@dataclass(frozen=True, kw_only=True)
class QuestionAsked(Event):
    name: ClassVar[str] = "question.asked"
    question: str
    participant: str
    text: str
    item: str | None


@dataclass(frozen=True, kw_only=True)
class QuestionUpvoted(Event):
    name: ClassVar[str] = "question.upvoted"
    question: str
    participant: str


@dataclass(frozen=True, kw_only=True)
class QuestionAnswered(Event):
    name: ClassVar[str] = "question.answered"
    question: str
    by: str


@dataclass(frozen=True, kw_only=True)
class QuestionDismissed(Event):
    name: ClassVar[str] = "question.dismissed"
    question: str
    by: str


@dataclass(frozen=True, kw_only=True)
class QuestionQueued(Event):
    name: ClassVar[str] = "question.queued"
    question: str
    by: str


def _open(room: RoomState, question: str) -> Question:
    found = room.questions.get(question)
    if found is None:
        raise refuse("question_not_found", question)
    if found.status != "open":
        raise refuse("question_closed")
    return found


def decide(command: Command, room: RoomState) -> list[Event]:
    require_live(room)
    at = command.at
    if isinstance(command, AskQuestion):
        person = speaker(room, command.actor)
        if command.question in room.questions:
            raise refuse("duplicate_id", command.question)
        if person.role == Role.PARTICIPANT and not room.settings.questions:
            raise refuse("questions_off")
        check_text(command.text)
        return [
            QuestionAsked(
                at=at,
                question=command.question,
                participant=person.id,
                text=command.text,
                item=room.agenda.current,
            )
        ]
    if isinstance(command, UpvoteQuestion):
        person = speaker(room, command.actor)
        question = _open(room, command.question)
        if question.participant == person.id:
            raise refuse("own_question")
        if person.id in question.votes:
            raise refuse("already_upvoted")
        return [QuestionUpvoted(at=at, question=question.id, participant=person.id)]
    member(room, command.actor)
    assert isinstance(command, AnswerQuestion | DismissQuestion | QueueQuestion)
    question = _open(room, command.question)
    by = command.actor.participant
    if isinstance(command, AnswerQuestion):
        return [QuestionAnswered(at=at, question=question.id, by=by)]
    if isinstance(command, DismissQuestion):
        return [QuestionDismissed(at=at, question=question.id, by=by)]
    asker = room.people.by_id[question.participant]
    if asker.status != "present" or asker.muted:
        raise refuse("not_present", asker.id)
    turn = room.floor.current_turn()
    if hand_of(current(room), asker.id) or (turn and turn.participant == asker.id):
        return [QuestionQueued(at=at, question=question.id, by=by)]
    # A facilitator's move into the queue overrides a closed list and the turn cap.
    return [
        QuestionQueued(at=at, question=question.id, by=by),
        HandRaised(at=at, participant=asker.id, kind="speak", item=room.agenda.current),
    ]


def evolve(room: RoomState, event: Event) -> RoomState:
    if isinstance(event, QuestionAsked):
        question = Question(
            id=event.question,
            participant=event.participant,
            text=event.text,
            at=event.at,
            item=event.item,
        )
        return replace(room, questions=room.questions.set(question.id, question))
    assert isinstance(event, _QUESTION_EVENTS)
    found = room.questions.get(event.question)
    if found is None:
        return room
    if isinstance(event, QuestionUpvoted):
        question = replace(found, votes=found.votes | {event.participant})
    else:
        status = {
            QuestionAnswered: "answered",
            QuestionDismissed: "dismissed",
            QuestionQueued: "queued",
        }[type(event)]
        question = replace(found, status=status, closed=event.at)
    return replace(room, questions=room.questions.set(question.id, question))


_QUESTION_EVENTS = (QuestionUpvoted, QuestionAnswered, QuestionDismissed, QuestionQueued)
COMMANDS = (AskQuestion, UpvoteQuestion, AnswerQuestion, DismissQuestion, QueueQuestion)
EVENTS = (QuestionAsked, *_QUESTION_EVENTS)

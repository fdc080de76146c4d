"""Questions from the room: ask (optionally anonymously; before the start too), upvote
once, answer, dismiss, hide with a reason, or move the asker into the speaking queue.
With `questions_premoderated`, a participant's question waits (`pending`) until a
facilitator approves it. Views sort them by votes.

An anonymous question's asker is known to facilitators (and kept in the archive) but
never shown to participants or observers; it cannot be moved into the queue, which would
name them. A dismissed or hidden question's text is no longer public.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, Role, refuse
from facilitation.floor import check_text
from facilitation.guards import member, require_live, speaker
from facilitation.limits import MAX_REASON
from facilitation.moderation_log import log
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
    status: str = "open"  # pending | open | answered | dismissed | queued | hidden
    closed: datetime | None = None
    anonymous: bool = False
    hidden_reason: str | None = None

    @property
    def text_public(self) -> bool:
        return self.status not in ("pending", "dismissed", "hidden")


@dataclass(frozen=True, kw_only=True)
class AskQuestion(Command):
    name: ClassVar[str] = "question.ask"
    question: str
    text: str
    anonymous: bool = False


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
class ApproveQuestion(Command):
    name: ClassVar[str] = "question.approve"
    question: str


@dataclass(frozen=True, kw_only=True)
class HideQuestion(Command):
    name: ClassVar[str] = "question.hide"
    question: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class QuestionAsked(Event):
    name: ClassVar[str] = "question.asked"
    question: str
    participant: str
    text: str
    item: str | None
    anonymous: bool = False
    pending: bool = False  # premoderated: only facilitators see it until approved


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


@dataclass(frozen=True, kw_only=True)
class QuestionApproved(Event):
    name: ClassVar[str] = "question.approved"
    question: str
    by: str


@dataclass(frozen=True, kw_only=True)
class QuestionHidden(Event):
    name: ClassVar[str] = "question.hidden"
    question: str
    reason: str
    by: str


def get(room: RoomState, question: str) -> Question:
    found = room.questions.get(question)
    if found is None:
        raise refuse("question_not_found", question)
    return found


def _in(room: RoomState, question: str, *statuses: str) -> Question:
    found = get(room, question)
    if found.status not in statuses:
        raise refuse("question_closed")
    return found


def decide(command: Command, room: RoomState) -> list[Event]:
    # Asking, upvoting and moderating questions work before the start too (SPEC §9).
    at = command.at
    if isinstance(command, AskQuestion):
        person = speaker(room, command.actor)
        if command.question in room.questions:
            raise refuse("duplicate_id", command.question)
        participant = person.role == Role.PARTICIPANT
        if participant and not room.settings.questions:
            raise refuse("questions_off")
        check_text(command.text)
        return [
            QuestionAsked(
                at=at,
                question=command.question,
                participant=person.id,
                text=command.text,
                item=room.agenda.current,
                anonymous=command.anonymous,
                pending=participant and room.settings.questions_premoderated,
            )
        ]
    if isinstance(command, UpvoteQuestion):
        person = speaker(room, command.actor)
        question = get(room, command.question)
        if question.status == "pending":
            raise refuse("question_not_found", question.id)  # nobody else may know of it
        if question.status != "open":
            raise refuse("question_closed")
        if question.participant == person.id:
            raise refuse("own_question")
        if person.id in question.votes:
            raise refuse("already_upvoted")
        return [QuestionUpvoted(at=at, question=question.id, participant=person.id)]
    if isinstance(command, QueueQuestion):
        require_live(room)  # it raises a hand
    member(room, command.actor)
    by = command.actor.participant
    if isinstance(command, ApproveQuestion):
        question = get(room, command.question)
        if question.status != "pending":
            raise refuse("question_not_pending")
        return [QuestionApproved(at=at, question=question.id, by=by)]
    if isinstance(command, HideQuestion):
        question = get(room, command.question)
        if question.status == "hidden":
            raise refuse("already_hidden")
        reason = command.reason.strip()
        if not 0 < len(reason) <= MAX_REASON:
            raise refuse("invalid_data", "reason")
        return [QuestionHidden(at=at, question=question.id, reason=reason, by=by)]
    if isinstance(command, DismissQuestion):
        question = _in(room, command.question, "open", "pending")
        return [QuestionDismissed(at=at, question=question.id, by=by)]
    assert isinstance(command, AnswerQuestion | QueueQuestion)
    question = _in(room, command.question, "open")
    if isinstance(command, AnswerQuestion):
        return [QuestionAnswered(at=at, question=question.id, by=by)]
    if question.anonymous:
        raise refuse("anonymous_question")
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
            anonymous=event.anonymous,
            status="pending" if event.pending else "open",
        )
        return replace(room, questions=room.questions.set(question.id, question))
    assert isinstance(event, _QUESTION_EVENTS)
    found = room.questions.get(event.question)
    if found is None:
        return room
    if isinstance(event, QuestionUpvoted):
        question = replace(found, votes=found.votes | {event.participant})
    elif isinstance(event, QuestionApproved):
        question = replace(found, status="open")
        room = _logged(room, event.at, event.by, "question.approve", found)
    elif isinstance(event, QuestionHidden):
        question = replace(found, status="hidden", hidden_reason=event.reason, closed=event.at)
        room = _logged(room, event.at, event.by, "question.hide", found, event.reason)
    else:
        status = {
            QuestionAnswered: "answered",
            QuestionDismissed: "dismissed",
            QuestionQueued: "queued",
        }[type(event)]
        question = replace(found, status=status, closed=event.at)
        if isinstance(event, QuestionDismissed):
            room = _logged(room, event.at, event.by, "question.dismiss", found)
    return replace(room, questions=room.questions.set(question.id, question))


def _logged(
    room: RoomState,
    at: datetime,
    by: str,
    action: str,
    question: Question,
    reason: str | None = None,
) -> RoomState:
    # The public log never names the asker of an anonymous question.
    target = None if question.anonymous else question.participant
    return log(room, at, by, action, target, reason, {"question": question.id})


_QUESTION_EVENTS = (
    QuestionUpvoted,
    QuestionAnswered,
    QuestionDismissed,
    QuestionQueued,
    QuestionApproved,
    QuestionHidden,
)
COMMANDS = (
    AskQuestion,
    UpvoteQuestion,
    AnswerQuestion,
    DismissQuestion,
    QueueQuestion,
    ApproveQuestion,
    HideQuestion,
)
EVENTS = (QuestionAsked, *_QUESTION_EVENTS)

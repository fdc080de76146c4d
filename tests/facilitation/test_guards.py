"""The refusals every command shares, command by command: before the start, after the
end, from someone absent, removed, waiting in the lobby, or muted."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from facilitation import agenda as ag
from facilitation import agenda_timing as agt
from facilitation import decisions as de
from facilitation import floor as fl
from facilitation import moderation as mo
from facilitation import polls as po
from facilitation import proposals as pr
from facilitation import questions as qu
from facilitation import queue as qe
from facilitation import reactions as re
from facilitation import statements as stm
from facilitation.base import Actor, Command, Role
from facilitation.moderation import ParticipantMuted, ParticipantRemoved
from facilitation.participants import ParticipantLeft, ParticipantWaiting
from facilitation.session import SessionEnded
from tests.facilitation.dsl import LIVE, PEOPLE, given, t

Make = Callable[[Actor], Command]
AT = t(50)

# Commands a facilitator sends during the live session.
FACILITATOR: dict[str, Make] = {
    "floor.grant": lambda a: fl.GrantFloor(actor=a, at=AT, participant="p1"),
    "floor.end": lambda a: fl.EndFloor(actor=a, at=AT),
    "floor.extend": lambda a: fl.ExtendFloor(actor=a, at=AT, seconds=5),
    "transcript.append": lambda a: fl.AppendTranscript(actor=a, at=AT, text="x"),
    "queue.close": lambda a: qe.CloseQueue(actor=a, at=AT),
    "queue.open": lambda a: qe.OpenQueue(actor=a, at=AT),
    "queue.move": lambda a: qe.MoveHand(actor=a, at=AT, participant="p1", position=0),
    "queue.clear": lambda a: qe.ClearQueue(actor=a, at=AT),
    "agenda.start": lambda a: agt.StartAgendaItem(actor=a, at=AT, item="i1"),
    "agenda.pause": lambda a: agt.PauseAgendaItem(actor=a, at=AT),
    "agenda.resume": lambda a: agt.ResumeAgendaItem(actor=a, at=AT),
    "agenda.extend": lambda a: agt.ExtendAgendaItem(actor=a, at=AT, seconds=5),
    "agenda.complete": lambda a: agt.CompleteAgendaItem(actor=a, at=AT),
    "poll.open": lambda a: po.OpenPoll(actor=a, at=AT, poll="q1"),
    "poll.close": lambda a: po.ClosePoll(actor=a, at=AT, poll="q1"),
    "poll.publish": lambda a: po.PublishPoll(actor=a, at=AT, poll="q1"),
    "statement.hide": lambda a: stm.HideStatement(actor=a, at=AT, statement="s", reason="r"),
    "question.to_queue": lambda a: qu.QueueQuestion(actor=a, at=AT, question="q"),
    "decision.record": lambda a: de.RecordDecision(
        actor=a, at=AT, decision="d", item="i1", text="x"
    ),
    "participant.mute": lambda a: mo.MuteParticipant(actor=a, at=AT, participant="p1"),
    "participant.unmute": lambda a: mo.UnmuteParticipant(actor=a, at=AT, participant="p1"),
    "participant.remove": lambda a: mo.RemoveParticipant(actor=a, at=AT, participant="p1"),
    "participant.admit": lambda a: mo.AdmitParticipant(actor=a, at=AT, participant="p1"),
    "room.lock": lambda a: mo.LockRoom(actor=a, at=AT),
    "room.unlock": lambda a: mo.UnlockRoom(actor=a, at=AT),
}
# Commands a participant sends during the live session.
PARTICIPANT: dict[str, Make] = {
    "hand.raise": lambda a: qe.RaiseHand(actor=a, at=AT),
    "hand.lower": lambda a: qe.LowerHand(actor=a, at=AT),
    "floor.yield": lambda a: fl.YieldFloor(actor=a, at=AT),
    "statement.post": lambda a: stm.PostStatement(actor=a, at=AT, statement="s9", text="x"),
    "reaction.send": lambda a: re.SendReaction(actor=a, at=AT, kind="agree"),
    "poll.vote": lambda a: po.CastVote(actor=a, at=AT, poll="q1", ballot="b", choice=0),
}
# Participants' commands that work before the start too (SPEC §9: questions, proposals).
PARTICIPANT_ANYTIME: dict[str, Make] = {
    "question.ask": lambda a: qu.AskQuestion(actor=a, at=AT, question="q9", text="x"),
    "question.upvote": lambda a: qu.UpvoteQuestion(actor=a, at=AT, question="q"),
    "proposal.submit": lambda a: pr.SubmitProposal(actor=a, at=AT, proposal="x9", text="x"),
    "proposal.support": lambda a: pr.SupportProposal(actor=a, at=AT, proposal="x"),
    "proposal.unsupport": lambda a: pr.UnsupportProposal(actor=a, at=AT, proposal="x"),
}
# Set-up commands, and moderating questions and proposals: allowed before the start too.
SETUP: dict[str, Make] = {
    "question.answer": lambda a: qu.AnswerQuestion(actor=a, at=AT, question="q"),
    "question.dismiss": lambda a: qu.DismissQuestion(actor=a, at=AT, question="q"),
    "question.approve": lambda a: qu.ApproveQuestion(actor=a, at=AT, question="q"),
    "question.hide": lambda a: qu.HideQuestion(actor=a, at=AT, question="q", reason="r"),
    "proposal.merge": lambda a: pr.MergeProposal(actor=a, at=AT, proposal="x", into="y"),
    "proposal.hide": lambda a: pr.HideProposal(actor=a, at=AT, proposal="x", reason="r"),
    "agenda.add": lambda a: ag.AddAgendaItem(actor=a, at=AT, item="i9", title="x", duration_s=9),
    "agenda.update": lambda a: ag.UpdateAgendaItem(actor=a, at=AT, item="i1"),
    "agenda.remove": lambda a: ag.RemoveAgendaItem(actor=a, at=AT, item="i1"),
    "agenda.reorder": lambda a: ag.ReorderAgenda(actor=a, at=AT, items=()),
    "room.settings": lambda a: mo.ChangeSettings(actor=a, at=AT),
    "poll.create": lambda a: po.CreatePoll(
        actor=a, at=AT, poll="q9", question="Q", kind="single", options=("A", "B")
    ),
}
LIVE_ONLY = {**FACILITATOR, **PARTICIPANT}
PARTICIPANT_ALL = {**PARTICIPANT, **PARTICIPANT_ANYTIME}
EVERYTHING = {**LIVE_ONLY, **SETUP, **PARTICIPANT_ANYTIME}
STAFF = {**FACILITATOR, **SETUP}

FAC9 = Actor("f9", Role.FACILITATOR)
P9 = Actor("p9", Role.PARTICIPANT)
ENDED = (*LIVE, SessionEnded(at=t(40)))


def _actor(name: str) -> Actor:
    return P9 if name in PARTICIPANT_ALL else FAC9


@pytest.mark.parametrize("name", sorted(LIVE_ONLY))
def test_live_commands_refused_before_the_session(name: str) -> None:
    given(*PEOPLE).when(
        LIVE_ONLY[name](Actor("p1" if name in PARTICIPANT else "f1", _actor(name).role))
    ).raises("session_not_live")


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_commands_refused_after_the_session(name: str) -> None:
    given(*ENDED).when(EVERYTHING[name](_actor(name))).raises("session_ended")


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_commands_refused_from_someone_not_in_the_room(name: str) -> None:
    given(*LIVE).when(EVERYTHING[name](_actor(name))).raises("not_present")


@pytest.mark.parametrize("name", sorted(STAFF))
def test_commands_refused_from_a_facilitator_who_left(name: str) -> None:
    left = ParticipantLeft(at=t(30), participant="f1")
    given(*LIVE, left).when(STAFF[name](Actor("f1", Role.FACILITATOR))).raises("not_present")


@pytest.mark.parametrize("name", sorted(PARTICIPANT_ALL))
def test_participant_commands_refused_when_removed(name: str) -> None:
    removed = ParticipantRemoved(at=t(30), participant="p1", ban=False, reason=None, by="f1")
    command = PARTICIPANT_ALL[name](Actor("p1", Role.PARTICIPANT))
    given(*LIVE, removed).when(command).raises("removed")


@pytest.mark.parametrize("name", sorted(PARTICIPANT_ALL))
def test_participant_commands_refused_in_the_lobby(name: str) -> None:
    waiting = ParticipantWaiting(at=t(30), participant="p9", display_name="N")
    given(*LIVE, waiting).when(PARTICIPANT_ALL[name](P9)).raises("not_admitted")


MUTED_REFUSED = sorted(set(PARTICIPANT_ALL) - {"hand.lower", "floor.yield"})


@pytest.mark.parametrize("name", MUTED_REFUSED)
def test_participant_commands_refused_when_muted(name: str) -> None:
    muted = ParticipantMuted(at=t(30), participant="p1", by="f1")
    command = PARTICIPANT_ALL[name](Actor("p1", Role.PARTICIPANT))
    given(*LIVE, muted).when(command).raises("muted")


@pytest.mark.parametrize("name", sorted(STAFF))
def test_staff_commands_forbidden_to_participants_and_observers(name: str) -> None:
    for role in (Role.PARTICIPANT, Role.OBSERVER):
        given(*LIVE).when(STAFF[name](Actor("p1", role))).raises("forbidden")

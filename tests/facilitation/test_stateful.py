"""Random sessions: several facilitators, participants and observers sending every
command, with timers firing late and twice; invariants checked after every step."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from facilitation import agenda as ag
from facilitation import agenda_timing as agt
from facilitation import cheers as ch
from facilitation import decisions as de
from facilitation import floor as fl
from facilitation import moderation as mo
from facilitation import participants as pa
from facilitation import polls as po
from facilitation import proposals as pr
from facilitation import questions as qu
from facilitation import queue as qe
from facilitation import reactions as re
from facilitation import session as se
from facilitation import statements as stm
from facilitation.base import ORGANISER, Actor, Command, DomainError, Event, Role
from facilitation.errors import ERRORS
from facilitation.pmap import PMap
from facilitation.roles import can
from facilitation.room import (
    RoomState,
    TimerExpired,
    decide,
    evolve,
    fold,
    initial_state,
    next_deadlines,
)
from facilitation.tally import Choice, count
from facilitation.views import Viewer, project, snapshot
from tests.facilitation.dsl import T0

SECRET = b"stateful-secret"
FACILITATORS = [Actor(f"f{i}", Role.FACILITATOR) for i in (1, 2)]
PARTICIPANTS = [Actor(f"p{i}", Role.PARTICIPANT) for i in range(1, 7)]
OBSERVERS = [Actor("o1", Role.OBSERVER)]
CAPTIONER = Actor("c1", Role.CAPTIONER)
ACTORS = [*FACILITATORS, *PARTICIPANTS, *OBSERVERS, ORGANISER]
VIEWERS = [
    Viewer(None, Role.OBSERVER, None),
    Viewer("f1", Role.FACILITATOR, SECRET),
    *[Viewer(p.participant, Role.PARTICIPANT, SECRET) for p in PARTICIPANTS[:3]],
]
SERVER_ISSUED = (pa.JoinRoom, pa.LeaveRoom, pa.UpdatePresence, TimerExpired)

Builder = Callable[[st.DataObject, "RoomMachine", Actor], Command]


def pick(data: st.DataObject, options: list[str]) -> str:
    """Mostly an id that exists, sometimes one that does not."""
    if not options or data.draw(st.integers(0, 9)) == 0:
        return "zz"
    return data.draw(st.sampled_from(options))


def some_choice(data: st.DataObject, poll: po.Poll | None) -> Choice:
    n = len(poll.options) if poll else 3
    kind = poll.kind if poll else "single"
    if kind in ("single", "yes_no_abstain", "battle"):
        return data.draw(st.integers(-1, n))
    if kind == "score":
        return tuple(data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
    if kind == "dot":
        return tuple(data.draw(st.lists(st.integers(-1, 3), min_size=1, max_size=n)))
    return tuple(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)))


class RoomMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state: RoomState = initial_state("r")
        self.events: list[Event] = []
        self.now = 0
        self.ids = 0
        self.views: dict[Viewer, dict[str, Any]] = {}
        self.views_of: RoomState | None = None

    # --- helpers ---------------------------------------------------------------------
    def at(self) -> datetime:
        return T0 + timedelta(seconds=self.now)

    def view(self, viewer: Viewer) -> dict[str, Any]:
        """``snapshot(self.state, viewer)``, made once per state: several invariants read
        the same views after each step (the state is immutable, and refold checks that a
        view is a function of the state alone)."""
        if self.views_of is not self.state:
            self.views, self.views_of = {}, self.state
        if viewer not in self.views:
            self.views[viewer] = snapshot(self.state, viewer)
        return self.views[viewer]

    def new_id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}{self.ids}"

    def apply(self, command: Command) -> list[Event]:
        before = self.state
        actor = command.actor
        person = before.people.by_id.get(actor.participant)
        try:
            events = decide(command, before)
        except DomainError as error:
            code = error.code
        else:
            code = ""
        if code:
            assert code in ERRORS
            return []
        if actor.role == Role.OBSERVER:
            assert events == [], "observers change nothing"
        inactive = person is not None and (
            person.muted or person.status in ("removed", "waiting", "left")
        )
        if inactive and not isinstance(command, SERVER_ISSUED):
            assert events == [], f"{person} changed the room"
        for event in events:
            self.state = evolve(self.state, event)
            self.events.append(event)
            for audience in ("public", "facilitator"):
                shown = project(event, self.state, audience)
                if isinstance(event, po.VoteCounted):
                    assert shown is not None
                    assert set(shown) - {"battle"} == {"poll", "turnout", "tally"}
                text = json.dumps(shown)
                if isinstance(event, po.VoteCounted) and event.participant is None:
                    assert event.ballot not in text, "a secret ballot key left the log"
        return events

    # --- set-up ------------------------------------------------------------------------
    @initialize(
        kind=st.sampled_from(po.KINDS),
        secret=st.booleans(),
        results=st.sampled_from(["live", "on_close"]),
    )
    def open_room(self, kind: str, secret: bool, results: str) -> None:
        self.apply(se.ConfigureRoom(actor=ORGANISER, at=T0, title="Town hall"))
        for i in range(3):
            self.apply(
                ag.AddAgendaItem(
                    actor=ORGANISER,
                    at=T0,
                    item=f"i{i}",
                    title=f"Item {i}",
                    duration_s=120 + 60 * i,
                    presenters=("Kim", "Lee") if i < 2 else (),
                )
            )
        for actor in (*FACILITATORS, *PARTICIPANTS[:4]):
            self.apply(pa.JoinRoom(actor=actor, at=T0, display_name=actor.participant))
        self.apply(se.StartSession(actor=FACILITATORS[0], at=T0))
        self.apply(agt.StartAgendaItem(actor=FACILITATORS[0], at=T0, item="i0"))
        self.apply(
            po.CreatePoll(
                actor=FACILITATORS[0],
                at=T0,
                poll="q0",
                question="Q?",
                kind=kind,
                options=("A", "B", "C", "D"),
                max_choices=2,
                secret=secret,
                results=results,
                duration_s=600,
            )
        )
        self.apply(po.OpenPoll(actor=FACILITATORS[0], at=T0, poll="q0"))
        assert self.state.session.status == "live"

    # --- rules -------------------------------------------------------------------------
    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        roll = data.draw(st.integers(0, 19))
        if roll < 15:
            self.act(data)
        elif roll < 17:
            self.time_passes(data.draw(st.integers(0, 150)), data.draw(st.booleans()))
        elif roll < 19:
            self.people_come_and_go(data)
        else:
            self.apply(pa.UpdatePresence(at=self.at(), observers=data.draw(st.integers(0, 50))))

    def act(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(WEIGHTED))
        if name == "session.end" and data.draw(st.integers(0, 19)) != 0:
            name = "ping"  # keep most sessions live long enough to matter
        # Mostly someone whose role may send it, sometimes anyone (observers included).
        fitting = PARTICIPANTS + FACILITATORS if can(Role.PARTICIPANT, name) else FACILITATORS
        actors = ACTORS if data.draw(st.integers(0, 4)) == 0 else fitting
        actor = data.draw(st.sampled_from(actors))
        self.apply(BUILDERS[name](data, self, actor))

    def people_come_and_go(self, data: st.DataObject) -> None:
        actor = data.draw(st.sampled_from(PARTICIPANTS + FACILITATORS[1:] + OBSERVERS))
        if data.draw(st.integers(0, 3)) > 0:
            self.apply(pa.JoinRoom(actor=actor, at=self.at(), display_name=actor.participant))
        else:
            self.apply(pa.LeaveRoom(actor=actor, at=self.at()))

    def time_passes(self, seconds: int, twice: bool) -> None:
        self.now += seconds
        for deadline in next_deadlines(self.state):
            if deadline.at <= self.at():
                timer = TimerExpired(at=self.at(), kind=deadline.kind, ref=deadline.ref)
                self.apply(timer)
                if twice:
                    assert self.apply(timer) == [], "a timer fired twice is harmless"

    # --- invariants --------------------------------------------------------------------
    @invariant()
    def one_counted_ballot_per_eligible_participant(self) -> None:
        for poll in self.state.polls.values():
            if poll.secret:
                keys = {po.ballot_key(SECRET, poll.id, p) for p in poll.eligible}
            else:
                keys = set(poll.eligible)
            assert set(poll.ballots) <= keys
            assert poll.tally().turnout == len(poll.ballots) <= len(poll.eligible)
            recount = count(poll.kind, len(poll.options), poll.ballots.values(), poll.quorum)
            assert poll.tally() == recount, "running totals equal a recount of the ballots"
            if poll.result is not None:
                assert poll.result == poll.tally(), "tally recomputable from ballots"

    @invariant()
    def battles_and_dots_add_up(self) -> None:
        for poll in self.state.polls.values():
            if poll.kind == "battle" and poll.ballots:
                assert sum(poll.first_totals) == len(poll.ballots), "one first position each"
                switched = sum(map(sum, poll.switches()))
                assert switched <= sum(map(sum, poll.moves)), "net switches need moves"
            if poll.kind == "dot":
                for ballot in poll.ballots.values():
                    assert isinstance(ballot, tuple)
                    assert 0 < sum(ballot) <= poll.votes_per_person
                    assert max(ballot) <= poll.max_per_option

    @invariant()
    def proposals_keep_their_fate(self) -> None:
        for proposal in self.state.proposals.values():
            assert proposal.participant not in proposal.supporters, "no support of one's own"
            if proposal.status == "merged":
                assert proposal.merged_into in self.state.proposals
            if proposal.status == "promoted":
                assert all(p in self.state.polls for p in proposal.polls)

    @invariant()
    def cheers_stay_hidden_until_revealed_and_equity_adds_up(self) -> None:
        view = self.view(VIEWERS[1])  # a facilitator
        for item, shown in view["cheers"].items():
            assert (shown["counts"] is None) == (item not in self.state.cheers.revealed)
        equity = view["equity"]
        assert sum(p["share"] for p in equity["people"]) <= 1.001
        assert all(0 <= p["uncalled"] <= p["hands"] for p in equity["people"])
        turns = sum(p["turns"] for p in equity["people"])
        assert turns == len(self.state.floor.turns)

    @invariant()
    def reactions_are_one_per_person_present(self) -> None:
        for item, people in self.state.reacting.items():
            counts = self.state.reactions.get(item, {})
            assert sum(counts.values()) == len(people), "counts are current reactions"
            assert all(v > 0 for v in counts.values())
        running = self.state.reacting.get(self.state.agenda.current or "", PMap())
        for participant in running:
            assert self.state.people.by_id[participant].status == "present"

    @invariant()
    def anonymous_and_unpublished_questions_stay_private(self) -> None:
        shown = {q["id"]: q for q in self.view(VIEWERS[0])["questions"]}
        for question in self.state.questions.values():
            if question.status == "pending":
                assert question.id not in shown, "a pending question is not public"
            elif question.anonymous:
                assert shown[question.id]["participant"] is None
            if question.status in ("dismissed", "hidden"):
                assert shown[question.id]["text"] is None

    @invariant()
    def queue_order_obeys_policy(self) -> None:
        fair = self.state.settings.queue_policy == "fair"
        for key, queue in self.state.queues.by_item.items():
            spoken = qe.spoken(self.state, key or None)
            people = [h.participant for h in queue.hands]
            assert len(people) == len(set(people)), "one hand per person per queue"
            if not queue.moved:
                ordered = sorted(queue.hands, key=lambda h: qe.policy_key(h, fair, spoken))
                assert list(queue.hands) == ordered

    @invariant()
    def muted_and_removed_hold_no_hand(self) -> None:
        for person in self.state.people.by_id.values():
            if person.muted or person.status == "removed":
                assert all(
                    qe.hand_of(q, person.id) is None for q in self.state.queues.by_item.values()
                )
                turn = self.state.floor.current_turn()
                assert turn is None or turn.participant != person.id

    @invariant()
    def refold_gives_the_same_room_and_views(self) -> None:
        # Folding the log up to seq n and evolving the rest gives the state of folding it
        # all (so a snapshot at n plus the later events is the snapshot at the end), and
        # views are functions of the state alone.
        n = len(self.events) * (1 + len(self.events) % 3) // 4
        again = fold(self.events[n:], fold(self.events[:n], initial_state("r")))
        assert again == self.state
        viewer = VIEWERS[len(self.events) % len(VIEWERS)]
        assert snapshot(again, viewer) == self.view(viewer)

    @invariant()
    def views_keep_secret_ballots_secret(self) -> None:
        secret_keys = [k for p in self.state.polls.values() if p.secret for k in p.ballots]
        for viewer in VIEWERS:
            view = self.view(viewer)
            text = json.dumps(view)
            assert not any(k in text for k in secret_keys)
            for shown in view["polls"]:
                poll = self.state.polls[shown["id"]]
                assert ("ballots" in shown) == (not poll.secret and shown["tally"] is not None)


def _actor(data: st.DataObject, machine: RoomMachine) -> str:
    return pick(data, sorted(machine.state.people.by_id))


def _item(data: st.DataObject, machine: RoomMachine) -> str:
    return pick(data, list(machine.state.agenda.order))


def _poll(data: st.DataObject, machine: RoomMachine, status: str = "open") -> str:
    polls = machine.state.polls.values()
    likely = sorted(p.id for p in polls if p.status == status)
    prefer: bool = data.draw(st.booleans())
    return pick(data, likely if likely and prefer else sorted(p.id for p in polls))


def _question(data: st.DataObject, machine: RoomMachine) -> str:
    return pick(data, sorted(machine.state.questions))


def _vote(data: st.DataObject, m: RoomMachine, a: Actor) -> Command:
    poll_id = _poll(data, m)
    choice = some_choice(data, m.state.polls.get(poll_id))
    return po.CastVote(
        actor=a,
        at=m.at(),
        poll=poll_id,
        ballot=po.ballot_key(SECRET, poll_id, a.participant),
        choice=choice,
    )


def _create_poll(data: st.DataObject, m: RoomMachine, a: Actor) -> Command:
    kind = data.draw(st.sampled_from(po.KINDS))
    proposals = sorted(m.state.proposals)
    from_proposals = data.draw(st.booleans()) and len(proposals) >= 2
    return po.CreatePoll(
        actor=a,
        at=m.at(),
        poll=m.new_id("q"),
        question="Q?",
        kind=kind,
        options=() if from_proposals else ("A", "B", "C"),
        max_choices=data.draw(st.sampled_from([None, 1, 2])),
        secret=data.draw(st.booleans()),
        results="live" if kind == "battle" else data.draw(st.sampled_from(["live", "on_close"])),
        duration_s=data.draw(st.sampled_from([None, 30, 300])),
        quorum=data.draw(st.sampled_from([None, 2])),
        final=kind != "battle" and data.draw(st.integers(0, 3)) == 0,
        votes_per_person=data.draw(st.sampled_from([1, 3])) if kind == "dot" else None,
        max_per_option=data.draw(st.sampled_from([None, 1])) if kind == "dot" else None,
        from_proposals=tuple(proposals[-3:]) if from_proposals else (),
        repeat_of=data.draw(st.none() | st.just(_poll(data, m))),
    )


def _proposal(data: st.DataObject, m: RoomMachine) -> str:
    return pick(data, sorted(m.state.proposals))


def _settings(data: st.DataObject, m: RoomMachine, a: Actor) -> Command:
    maybe = st.none() | st.booleans()
    return mo.ChangeSettings(
        actor=a,
        at=m.at(),
        queue_policy=data.draw(st.sampled_from([None, "fifo", "fair"])),
        turn_s=data.draw(st.sampled_from([None, 30, 120])),
        auto_advance=data.draw(maybe),
        max_turns_per_item=data.draw(st.sampled_from([None, 0, 1, 2])),
        slow_mode_s=data.draw(st.sampled_from([None, 0, 30])),
        statements=data.draw(maybe),
        questions=data.draw(maybe),
        lobby=data.draw(maybe),
        auto_advance_items=data.draw(maybe),
        item_grace_s=data.draw(st.sampled_from([None, 0, 20])),
        questions_premoderated=data.draw(maybe),
    )


BUILDERS: dict[str, Builder] = {
    "hand.raise": lambda d, m, a: qe.RaiseHand(
        actor=a, at=m.at(), kind=d.draw(st.sampled_from(qe.HAND_KINDS))
    ),
    "hand.lower": lambda d, m, a: qe.LowerHand(
        actor=a, at=m.at(), participant=d.draw(st.none() | st.just(_actor(d, m)))
    ),
    "floor.grant": lambda d, m, a: fl.GrantFloor(
        actor=a, at=m.at(), participant=d.draw(st.none() | st.just(_actor(d, m)))
    ),
    "floor.yield": lambda d, m, a: fl.YieldFloor(actor=a, at=m.at()),
    "floor.end": lambda d, m, a: fl.EndFloor(actor=a, at=m.at()),
    "floor.extend": lambda d, m, a: fl.ExtendFloor(actor=a, at=m.at(), seconds=30),
    "queue.close": lambda d, m, a: qe.CloseQueue(actor=a, at=m.at()),
    "queue.open": lambda d, m, a: qe.OpenQueue(actor=a, at=m.at()),
    "queue.move": lambda d, m, a: qe.MoveHand(
        actor=a, at=m.at(), participant=_actor(d, m), position=d.draw(st.integers(0, 3))
    ),
    "queue.clear": lambda d, m, a: qe.ClearQueue(actor=a, at=m.at()),
    "agenda.add": lambda d, m, a: ag.AddAgendaItem(
        actor=a, at=m.at(), item=m.new_id("i"), title="New", duration_s=60
    ),
    "agenda.update": lambda d, m, a: ag.UpdateAgendaItem(
        actor=a, at=m.at(), item=_item(d, m), duration_s=90
    ),
    "agenda.remove": lambda d, m, a: ag.RemoveAgendaItem(actor=a, at=m.at(), item=_item(d, m)),
    "agenda.reorder": lambda d, m, a: ag.ReorderAgenda(
        actor=a, at=m.at(), items=tuple(reversed(m.state.agenda.order))
    ),
    "agenda.start": lambda d, m, a: agt.StartAgendaItem(actor=a, at=m.at(), item=_item(d, m)),
    "agenda.pause": lambda d, m, a: agt.PauseAgendaItem(actor=a, at=m.at()),
    "agenda.resume": lambda d, m, a: agt.ResumeAgendaItem(actor=a, at=m.at()),
    "agenda.extend": lambda d, m, a: agt.ExtendAgendaItem(actor=a, at=m.at(), seconds=60),
    "agenda.complete": lambda d, m, a: agt.CompleteAgendaItem(
        actor=a, at=m.at(), item=d.draw(st.none() | st.just(_item(d, m)))
    ),
    "poll.create": _create_poll,
    "poll.open": lambda d, m, a: po.OpenPoll(actor=a, at=m.at(), poll=_poll(d, m, "draft")),
    "poll.vote": _vote,
    "poll.close": lambda d, m, a: po.ClosePoll(actor=a, at=m.at(), poll=_poll(d, m)),
    "poll.publish": lambda d, m, a: po.PublishPoll(actor=a, at=m.at(), poll=_poll(d, m, "closed")),
    "statement.post": lambda d, m, a: stm.PostStatement(
        actor=a, at=m.at(), statement=m.new_id("s"), text="I think so."
    ),
    "statement.hide": lambda d, m, a: stm.HideStatement(
        actor=a, at=m.at(), statement=pick(d, sorted(m.state.statements)), reason="rude"
    ),
    "transcript.append": lambda d, m, a: fl.AppendTranscript(
        actor=CAPTIONER if d.draw(st.integers(0, 3)) == 0 else a, at=m.at(), text="..."
    ),
    "cheer.send": lambda d, m, a: ch.SendCheer(
        actor=a, at=m.at(), presenter=d.draw(st.sampled_from(["Kim", "Lee", "Park"]))
    ),
    "cheer.reveal": lambda d, m, a: ch.RevealCheers(actor=a, at=m.at(), item=_item(d, m)),
    "question.ask": lambda d, m, a: qu.AskQuestion(
        actor=a, at=m.at(), question=m.new_id("k"), text="Why?", anonymous=d.draw(st.booleans())
    ),
    "question.approve": lambda d, m, a: qu.ApproveQuestion(
        actor=a, at=m.at(), question=_question(d, m)
    ),
    "question.hide": lambda d, m, a: qu.HideQuestion(
        actor=a, at=m.at(), question=_question(d, m), reason="off topic"
    ),
    "question.upvote": lambda d, m, a: qu.UpvoteQuestion(
        actor=a, at=m.at(), question=_question(d, m)
    ),
    "question.answer": lambda d, m, a: qu.AnswerQuestion(
        actor=a, at=m.at(), question=_question(d, m)
    ),
    "question.dismiss": lambda d, m, a: qu.DismissQuestion(
        actor=a, at=m.at(), question=_question(d, m)
    ),
    "question.to_queue": lambda d, m, a: qu.QueueQuestion(
        actor=a, at=m.at(), question=_question(d, m)
    ),
    "proposal.submit": lambda d, m, a: pr.SubmitProposal(
        actor=a, at=m.at(), proposal=m.new_id("x"), text=f"Idea {m.ids}"
    ),
    "proposal.support": lambda d, m, a: pr.SupportProposal(
        actor=a, at=m.at(), proposal=_proposal(d, m)
    ),
    "proposal.unsupport": lambda d, m, a: pr.UnsupportProposal(
        actor=a, at=m.at(), proposal=_proposal(d, m)
    ),
    "proposal.merge": lambda d, m, a: pr.MergeProposal(
        actor=a, at=m.at(), proposal=_proposal(d, m), into=_proposal(d, m)
    ),
    "proposal.hide": lambda d, m, a: pr.HideProposal(
        actor=a, at=m.at(), proposal=_proposal(d, m), reason="off topic"
    ),
    "reaction.send": lambda d, m, a: re.SendReaction(
        actor=a, at=m.at(), kind=d.draw(st.none() | st.sampled_from(re.KINDS))
    ),
    "decision.record": lambda d, m, a: de.RecordDecision(
        actor=a,
        at=m.at(),
        decision=m.new_id("d"),
        item=_item(d, m),
        text="Agreed",
        poll=d.draw(st.none() | st.just(_poll(d, m))),
    ),
    "participant.mute": lambda d, m, a: mo.MuteParticipant(
        actor=a, at=m.at(), participant=_actor(d, m)
    ),
    "participant.unmute": lambda d, m, a: mo.UnmuteParticipant(
        actor=a, at=m.at(), participant=_actor(d, m)
    ),
    "participant.remove": lambda d, m, a: mo.RemoveParticipant(
        actor=a, at=m.at(), participant=_actor(d, m), ban=d.draw(st.booleans())
    ),
    "participant.admit": lambda d, m, a: mo.AdmitParticipant(
        actor=a, at=m.at(), participant=_actor(d, m)
    ),
    "room.lock": lambda d, m, a: mo.LockRoom(actor=a, at=m.at()),
    "room.unlock": lambda d, m, a: mo.UnlockRoom(actor=a, at=m.at()),
    "room.settings": _settings,
    "session.end": lambda d, m, a: se.EndSession(actor=a, at=m.at()),
    "ping": lambda d, m, a: se.Ping(actor=a, at=m.at()),
}

# Frequent things happen more often, as in a real meeting.
WEIGHTED = (
    sorted(BUILDERS)
    + ["hand.raise"] * 4
    + ["floor.grant"] * 3
    + ["poll.vote"] * 8
    + ["poll.open", "poll.open", "poll.create", "floor.yield", "question.upvote", "statement.post"]
)

# Runs end early at random, so 250 runs of up to 50 steps give about 12,000 steps (measured),
# comfortably over the 10,000 the issue asks for.
# too_slow: generation and execution interleave in stateful tests, and a busy 2-core CI
# machine must not turn that into a failure.
RoomMachine.TestCase.settings = settings(
    max_examples=250,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRoomSessions = pytest.mark.slow(RoomMachine.TestCase)  # minutes: started first in parallel

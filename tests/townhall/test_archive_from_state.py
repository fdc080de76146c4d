"""A real session driven through facilitation (wire commands, decide, evolve), archived
from its folded state and log, and read back as minutes on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from facilitation.base import SYSTEM, Actor, Command, Role
from facilitation.codec import command_from_wire, event_to_wire
from facilitation.participants import JoinRoom, UpdatePresence
from facilitation.room import RoomState, decide, evolve, initial_state
from realtime.log import Record
from townhall.archive import archive
from townhall.archive.bundle import ArchiveBundle
from townhall.archive.from_state import bundle_from_state
from townhall.db import create_engine, migrate
from townhall.minutes import load_minutes, render_markdown

T0 = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
SECRET = b"s" * 32
F1 = Actor("f1", Role.FACILITATOR)
P1 = Actor("p1", Role.PARTICIPANT)
P2 = Actor("p2", Role.PARTICIPANT)
P3 = Actor("p3", Role.PARTICIPANT)


class Session:
    """Runs commands like the command service does and keeps the log it produced."""

    def __init__(self) -> None:
        self.state: RoomState = initial_state("room-1", title="예산 타운홀", language="ko")
        self.records: list[Record] = []
        self.seconds = 0

    def apply(self, command: Command) -> None:
        for event in decide(command, self.state):
            self.state = evolve(self.state, event)
            name, data = event_to_wire(event)
            self.records.append(Record(len(self.records) + 1, name, data, event.at, None))

    def wire(self, actor: Actor, type: str, data: dict[str, Any], new_id: str = "") -> None:
        self.seconds += 10
        at = T0 + timedelta(seconds=self.seconds)
        self.apply(command_from_wire(type, data, actor=actor, at=at, new_id=new_id,
                                     ballot_secret=SECRET))  # fmt: skip

    def server(self, command: type[Command], **fields: Any) -> None:
        self.seconds += 10
        self.apply(command(at=T0 + timedelta(seconds=self.seconds), **fields))


def run_session() -> Session:
    s = Session()
    for actor, name in ((F1, "Alice"), (P1, "Bob"), (P2, "김민수"), (P3, "Carol")):
        s.server(JoinRoom, actor=actor, display_name=name)
    s.server(UpdatePresence, actor=SYSTEM, observers=7)
    s.server(UpdatePresence, actor=SYSTEM, observers=3)
    s.wire(F1, "session.start", {})
    s.wire(F1, "agenda.add", {"title": "Budget", "duration_s": 600}, "i1")
    s.wire(F1, "agenda.start", {"item": "i1"})
    s.wire(P1, "hand.raise", {})
    s.wire(F1, "floor.grant", {})
    s.wire(F1, "transcript.append", {"text": "We should fix the roof first."})
    s.wire(P1, "statement.post", {"text": "Roof before paint."}, "s1")
    s.wire(P1, "floor.yield", {})
    s.wire(P2, "statement.post", {"text": "모두 바보야"}, "s2")
    s.wire(F1, "statement.hide", {"statement": "s2", "reason": "insult"})
    s.wire(P2, "question.ask", {"text": "언제 시작하나요?"}, "q1")
    s.wire(P1, "question.upvote", {"question": "q1"})
    s.wire(P1, "reaction.send", {"kind": "agree"})
    s.wire(P2, "reaction.send", {"kind": "agree"})
    roof = {"question": "Fund the roof?", "kind": "single", "options": ["Yes, now", "Later"]}
    s.wire(F1, "poll.create", {**roof, "quorum": 2}, "v1")
    s.wire(F1, "poll.open", {"poll": "v1"})
    s.wire(P2, "poll.vote", {"poll": "v1", "choice": 1})
    s.wire(P1, "poll.vote", {"poll": "v1", "choice": 0})
    s.wire(P3, "poll.vote", {"poll": "v1", "choice": 0})
    s.wire(F1, "poll.close", {"poll": "v1"})
    s.wire(F1, "poll.create", {"question": "Which contractor?", "kind": "ranked",
                               "options": ["X", "Y", "Z"], "secret": False}, "v2")  # fmt: skip
    s.wire(F1, "poll.open", {"poll": "v2"})
    for actor, ranking in ((P1, [0, 1]), (P2, [1, 0]), (P3, [1, 2]), (F1, [2, 0])):
        s.wire(actor, "poll.vote", {"poll": "v2", "choice": ranking})
    s.wire(F1, "poll.close", {"poll": "v2"})
    decision = {"item": "i1", "text": "Fix the roof this year.", "poll": "v1"}
    s.wire(F1, "decision.record", {**decision, "dissent": "Bob wanted to wait."}, "d1")
    s.wire(F1, "participant.mute", {"participant": "p3"})
    s.wire(F1, "participant.remove", {"participant": "p3", "ban": True, "reason": "spam"})
    s.wire(F1, "agenda.complete", {})
    s.wire(F1, "session.end", {})
    return s


def bundle(secret: bytes | None = SECRET) -> ArchiveBundle:
    s = run_session()
    assert s.state.session.status == "ended"
    return bundle_from_state(s.state, s.records, epoch="e1", ballot_secret=secret)


def test_bundle_from_a_real_session() -> None:
    b = bundle()
    assert b.session.title == "예산 타운홀"
    assert b.session.peak_observers == 7
    assert [p.name for p in b.participants] == ["Alice", "Bob", "김민수", "Carol"]
    carol = next(p for p in b.participants if p.id == "p3")
    assert (carol.muted, carol.banned) == (True, True)
    assert [(a.participant, a.left_at is not None) for a in b.attendance] == [
        ("f1", True), ("p1", True), ("p2", True), ("p3", True)
    ]  # fmt: skip
    (item,) = b.items
    assert (item.status, item.planned_s) == ("done", 600)
    assert item.actual_s is not None
    assert item.actual_s > 0
    (turn,) = b.turns
    assert (turn.participant, turn.item, turn.kind, turn.limit_s) == ("p1", "i1", "speak", 120)
    assert turn.duration_s == 30
    (segment,) = b.transcript
    assert (segment.speaker, segment.text, segment.turn) == (
        "p1",
        "We should fix the roof first.",
        0,
    )
    assert segment.at == turn.started_at + timedelta(seconds=10)
    s1, s2 = b.statements
    assert (s1.turn, s1.item, s1.hidden) == (0, "i1", False)
    assert (s2.hidden, s2.hidden_reason, s2.hidden_by) == (True, "insult", "f1")
    assert [(q.upvotes, q.text) for q in b.questions] == [(1, "언제 시작하나요?")]
    assert [(r.item, r.kind, r.count) for r in b.reactions] == [("i1", "agree", 2)]
    assert [(m.action, m.target) for m in b.moderation] == [
        ("statement.hide", "p2"), ("participant.mute", "p3"), ("participant.remove", "p3")
    ]  # fmt: skip
    assert len(b.log) == len(run_session().records)


def test_secret_poll_lists_voters_apart_from_ballots() -> None:
    v1, v2 = bundle().polls
    assert v1.secret
    assert v1.voters == ("p1", "p2", "p3")
    assert all(ballot.participant is None for ballot in v1.ballots)
    assert sorted(int(str(ballot.choice)) for ballot in v1.ballots) == [0, 0, 1]
    assert [(t.option, t.votes) for t in v1.tally] == [(0, 2), (1, 1)]
    assert (v1.turnout, v1.eligible, v1.quorum, v1.quorum_met, v1.winner) == (3, 4, 2, True, 0)
    assert [(b.participant, b.choice) for b in v2.ballots] == [
        ("f1", [2, 0]), ("p1", [0, 1]), ("p2", [1, 0]), ("p3", [1, 2])
    ]  # fmt: skip
    assert v2.quorum is None
    first = v2.irv_rounds[0]
    assert [(c.option, c.votes, c.eliminated) for c in first.counts] == [
        (0, 1, False), (1, 2, False), (2, 1, True)
    ]  # fmt: skip
    # Without the secret (already destroyed) nobody is named as a voter.
    assert bundle(secret=None).polls[0].voters == ()


def test_decision_copies_the_poll_result() -> None:
    (d,) = bundle().decisions
    assert (d.poll, d.dissent, d.recorded_by) == ("v1", "Bob wanted to wait.", "f1")
    assert d.poll_result is not None
    assert d.poll_result["counts"] == [2, 1]
    assert d.poll_result["turnout"] == 3


async def test_real_session_archives_and_renders(db_url: str) -> None:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        b = bundle()
        await archive(engine, b)
        await archive(engine, b)
        minutes = await load_minutes(engine, "room-1")
    finally:
        await engine.dispose()
    md = render_markdown(minutes)
    assert md.startswith("# 예산 타운홀 — 회의록")
    assert "투표권자: 4 · 투표 수: 3 (75%) · 정족수: 2 — 충족" in md
    assert "| Yes, now | 2 | 67% |" in md
    assert "**반대 의견:** Bob wanted to wait." in md
    assert "We should fix the roof first." in md
    assert "모두 바보야" not in md
    assert "**최대 참관자 수:** 7" in md

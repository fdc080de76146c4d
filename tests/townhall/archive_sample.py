"""A realistic finished session as an ArchiveBundle, shared by the archive and minutes tests.

Participants: Alice (facilitator), Bob, 김민수, Carol (muted, then removed and banned) and
Dana. Two agenda items; a secret single-choice poll, a named ranked (IRV) poll that
misses its quorum, and a score poll; a decision with dissent; a hidden statement.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from townhall.archive.bundle import (
    AgendaItem,
    ArchiveBundle,
    Attendance,
    Ballot,
    Decision,
    IrvCount,
    IrvRound,
    LogEntry,
    ModerationEntry,
    Participant,
    Poll,
    Proxy,
    Question,
    ReactionCount,
    Record,
    RecordEvent,
    RollMember,
    Session,
    Statement,
    TallyEntry,
    TranscriptSegment,
    Turn,
)

T0 = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def log_entries(count: int, epoch: str = "e1") -> tuple[LogEntry, ...]:
    names = ("hand.raised", "floor.granted", "statement.posted", "vote.counted", "reaction.sent")
    return tuple(
        LogEntry(
            epoch=epoch,
            seq=seq,
            name=names[seq % len(names)],
            data={"participant": f"p{seq % 50}", "n": seq, "text": "발언 " * (seq % 3)},
            at=(T0 + timedelta(milliseconds=seq)).isoformat().replace("+00:00", "Z"),
            cause=f"cmd-{seq}" if seq % 4 else None,
        )
        for seq in range(1, count + 1)
    )


def with_roll(bundle: ArchiveBundle) -> ArchiveBundle:
    """The sample as a roll-access session: a roll (one member never came), a proxy
    (p4 votes for m5 as well), the first poll's frozen eligible list, and a record."""
    v1, *others = bundle.polls
    v1 = dataclasses.replace(
        v1, eligible=5, turnout=4, by_proxy=1, quorum_share=0.5, quorum_needed=3,
        eligible_list=("m5", "p1", "p2", "p3", "p4"), proxies=(Proxy(giver="m5", holder="p4"),),
        ballots=(*v1.ballots, Ballot(participant=None, choice=0)),
        tally=(TallyEntry(option=0, votes=3), *v1.tally[1:]),
    )  # fmt: skip
    events = (
        RecordEvent(seq=1, name="session.started", data={}, at="2026-11-25T17:00:00.000Z",
                    hash="1" * 64),
        RecordEvent(seq=2, name="statement.posted", at="2026-11-25T17:01:00.000Z",
                    data={"statement": "s1", "participant": "p1", "text": "안녕", "turn": None,
                          "item": None}, hash="2" * 64),
    )  # fmt: skip
    return dataclasses.replace(
        bundle,
        session=dataclasses.replace(bundle.session, access="roll"),
        polls=(v1, *others),
        roll=tuple(
            RollMember(participant=p, name=n)
            for p, n in (
                ("p1", "Bob"),
                ("p2", "김민수"),
                ("p3", "Carol"),
                ("p4", "Dana"),
                ("m5", "Erin"),
            )
        ),
        proxies=(Proxy(giver="m5", holder="p4"),),
        record=Record(head="2" * 64, events=events),
    )


def sample_bundle(
    room: str = "th-sample", *, korean: bool = False, log: int = 30, roll: bool = False
) -> ArchiveBundle:
    if roll:
        return with_roll(sample_bundle(room, korean=korean, log=log))
    title = "강변 공원 개선 타운홀" if korean else "Riverside park renovation"
    return ArchiveBundle(
        session=Session(
            room=room,
            title=title,
            description="Public consultation on the park plan.",
            language="ko" if korean else "en",
            visibility="public",
            created_at=at(-60),
            started_at=at(0),
            ended_at=at(50),
            settings={"queue_policy": "fair", "turn_s": 120, "auto_advance": False},
            peak_observers=42,
        ),
        participants=(
            Participant(id="f1", name="Alice", role="facilitator"),
            Participant(id="p1", name="Bob", role="participant"),
            Participant(id="p2", name="김민수", role="participant"),
            Participant(id="p3", name="Carol", role="participant", banned=True, muted=True),
            Participant(id="p4", name="Dana", role="participant"),
        ),
        attendance=(
            Attendance(participant="f1", joined_at=at(-5), left_at=None),
            Attendance(participant="p1", joined_at=at(-2), left_at=at(20)),
            Attendance(participant="p2", joined_at=at(-1), left_at=None),
            Attendance(participant="p3", joined_at=at(1), left_at=at(31)),
            Attendance(participant="p4", joined_at=at(2), left_at=None),
            Attendance(participant="p1", joined_at=at(22), left_at=at(48)),
        ),
        items=(
            AgendaItem(
                id="i1",
                title="Opening and context",
                planned_s=600,
                status="done",
                description="Why the park needs work",
                started_at=at(0),
                completed_at=at(12),
                actual_s=720.0,
            ),
            AgendaItem(
                id="i2",
                title="Choosing a plan",
                planned_s=1800,
                status="done",
                started_at=at(12),
                completed_at=at(49),
                actual_s=2220.0,
            ),
            AgendaItem(id="i3", title="Any other business", planned_s=300, status="pending"),
        ),
        turns=(
            Turn(
                participant="p1",
                item="i1",
                kind="speak",
                started_at=at(3),
                ended_at=at(4.5),
                limit_s=120,
                duration_s=90.0,
            ),
            Turn(
                participant="p2",
                item="i1",
                kind="point_of_order",
                started_at=at(5),
                ended_at=at(7.5),
                limit_s=120,
                duration_s=150.0,
                overrun=True,
            ),
            Turn(
                participant="p4",
                item="i2",
                kind="reply",
                started_at=at(13),
                ended_at=at(14),
                limit_s=120,
                duration_s=60.0,
            ),
        ),
        statements=(
            Statement(
                id="s1",
                participant="p1",
                item="i1",
                turn=0,
                at=at(3.5),
                text="The playground is unsafe; we need new benches too.",
            ),
            Statement(
                id="s2",
                participant="p3",
                item="i1",
                at=at(6),
                text="Everyone here is an idiot.",
                hidden=True,
                hidden_reason="personal attack",
                hidden_by="f1",
                hidden_at=at(6.2),
            ),
            Statement(
                id="s3",
                participant="p2",
                item="i2",
                at=at(20),
                text="나무 그늘을 더 많이 만들어 주세요.",
            ),
        ),
        transcript=(
            TranscriptSegment(
                author="f1",
                speaker="p1",
                item="i1",
                turn=0,
                at=at(3.2),
                text="Thank you. I live next to the park on Elm Street.",
            ),
            TranscriptSegment(
                author="f1",
                speaker="p2",
                item="i1",
                turn=1,
                at=at(5.1),
                text="의사진행 발언입니다: the time limit was not announced.",
            ),
        ),
        questions=(
            Question(
                id="q1",
                participant="p4",
                item="i1",
                text="What is the budget?",
                asked_at=at(2.5),
                upvotes=5,
                status="answered",
                closed_at=at(10),
            ),
            Question(
                id="q2",
                participant="p3",
                item="i2",
                text="Who maintains the lawn?",
                asked_at=at(15),
                upvotes=1,
                status="dismissed",
                closed_at=at(16),
            ),
            Question(
                id="q3",
                participant="p2",
                item="i2",
                text="공사 기간은 얼마나 걸리나요?",
                asked_at=at(25),
                upvotes=3,
                status="open",
            ),
        ),
        polls=(
            Poll(
                id="v1",
                item="i2",
                question="Which plan should we adopt?",
                kind="single",
                options=("Plan A: playground", "Plan B: gardens", "Plan C: keep as is"),
                secret=True,
                results="on_close",
                quorum=3,
                status="published",
                eligible=4,
                turnout=3,
                quorum_met=True,
                winner=0,
                opened_at=at(30),
                closed_at=at(35),
                published_at=at(36),
                ballots=(
                    Ballot(participant=None, choice=1),
                    Ballot(participant=None, choice=0),
                    Ballot(participant=None, choice=0),
                ),
                voters=("p1", "p2", "p4"),
                tally=(
                    TallyEntry(option=0, votes=2),
                    TallyEntry(option=1, votes=1),
                    TallyEntry(option=2, votes=0),
                ),
            ),
            Poll(
                id="v2",
                item="i2",
                question="Where should the new entrance go?",
                kind="ranked",
                options=("North", "South", "East"),
                secret=False,
                quorum=6,
                status="closed",
                eligible=5,
                turnout=5,
                quorum_met=False,
                winner=2,
                opened_at=at(38),
                closed_at=at(42),
                ballots=(
                    Ballot(participant="f1", choice=[0, 1, 2]),
                    Ballot(participant="p1", choice=[0, 2, 1]),
                    Ballot(participant="p2", choice=[1, 2, 0]),
                    Ballot(participant="p3", choice=[2, 1, 0]),
                    Ballot(participant="p4", choice=[2, 0, 1]),
                ),
                voters=("f1", "p1", "p2", "p3", "p4"),
                tally=(
                    TallyEntry(option=0, votes=2),
                    TallyEntry(option=1, votes=1),
                    TallyEntry(option=2, votes=2),
                ),
                irv_rounds=(
                    IrvRound(
                        round=1,
                        counts=(
                            IrvCount(option=0, votes=2),
                            IrvCount(option=1, votes=1, eliminated=True),
                            IrvCount(option=2, votes=2),
                        ),
                    ),
                    IrvRound(
                        round=2, counts=(IrvCount(option=0, votes=2), IrvCount(option=2, votes=3))
                    ),
                ),
            ),
            Poll(
                id="v3",
                item="i2",
                question="Rate each feature",
                kind="score",
                options=("Benches", "Lighting"),
                secret=True,
                status="closed",
                eligible=4,
                turnout=2,
                opened_at=at(43),
                closed_at=at(45),
                ballots=(
                    Ballot(participant=None, choice={"0": 5, "1": 2}),
                    Ballot(participant=None, choice={"0": 3, "1": 4}),
                ),
                voters=("p2", "p4"),
                tally=(
                    TallyEntry(option=0, votes=2, score=8),
                    TallyEntry(option=1, votes=2, score=6),
                ),
            ),
        ),
        decisions=(
            Decision(
                id="d1",
                item="i2",
                text="The council will build Plan A.",
                recorded_by="f1",
                at=at(37),
                poll="v1",
                poll_result={
                    "kind": "single",
                    "turnout": 3,
                    "eligible": 4,
                    "quorum": 3,
                    "quorum_met": True,
                    "tally": [2, 1, 0],
                    "winner": 0,
                },
                dissent="One resident preferred the gardens (Plan B) for the elderly.",
            ),
        ),
        reactions=(
            ReactionCount(item=None, kind="applause", count=2),
            ReactionCount(item="i1", kind="agree", count=12),
            ReactionCount(item="i1", kind="applause", count=3),
            ReactionCount(item="i2", kind="disagree", count=4),
            ReactionCount(item="i2", kind="unclear", count=1),
        ),
        moderation=(
            ModerationEntry(at=at(6.1), actor="f1", action="participant.mute", target="p3"),
            ModerationEntry(
                at=at(6.2),
                actor="f1",
                action="statement.hide",
                target="p3",
                reason="personal attack",
            ),
            ModerationEntry(
                at=at(31),
                actor="f1",
                action="participant.remove",
                target="p3",
                reason="repeated abuse",
                detail={"ban": True},
            ),
            ModerationEntry(at=at(32), actor="f1", action="room.lock"),
        ),
        log=log_entries(log),
    )

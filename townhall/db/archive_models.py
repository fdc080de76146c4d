"""The archive tables: what ``townhall.archive.writer`` stores at ``session.end`` and
``townhall.minutes.load`` reads back. Keyed by room, then by ordinals from the bundle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from townhall.db.types import JSONText, UTCDateTime, time_field

__all__ = [
    "AgendaItemRow",
    "AttendanceRow",
    "BallotRow",
    "CheerRow",
    "DecisionRow",
    "HandRow",
    "IrvRoundRow",
    "ModerationRow",
    "PollEligibleRow",
    "PollProxyRow",
    "PollRow",
    "PollVoterRow",
    "ProposalRow",
    "ProxyRow",
    "QuestionRow",
    "ReactionRow",
    "RecordEventRow",
    "RollMemberRow",
    "StatementRow",
    "TallyRow",
    "TranscriptRow",
    "TurnRow",
]


class AttendanceRow(SQLModel, table=True):
    __tablename__ = "attendance"

    room: str = Field(primary_key=True, max_length=64)
    participant: str = Field(primary_key=True, max_length=64)
    n: int = Field(primary_key=True)  # 0, 1 ... per participant, in join order
    joined_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    left_at: datetime | None = time_field()


class AgendaItemRow(SQLModel, table=True):
    __tablename__ = "agenda_item"

    room: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    position: int
    title: str
    description: str = ""
    planned_s: int
    status: str = Field(max_length=16)  # pending | running | paused | done
    started_at: datetime | None = time_field()
    completed_at: datetime | None = time_field()
    actual_s: float | None = None
    # [{"title", "url"}] (SPEC §9)
    documents: list[dict[str, str]] = Field(default_factory=list, sa_type=JSONText, nullable=False)


class TurnRow(SQLModel, table=True):
    __tablename__ = "turn"

    room: str = Field(primary_key=True, max_length=64)
    n: int = Field(primary_key=True)
    item: str | None = Field(default=None, max_length=64)
    participant: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # speak | point_of_order | reply
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = time_field()
    limit_s: float
    duration_s: float | None = None
    overrun: bool = False


class StatementRow(SQLModel, table=True):
    __tablename__ = "statement"

    room: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    n: int  # order of posting
    item: str | None = Field(default=None, max_length=64)
    turn: int | None = None  # TurnRow.n when posted by the speaker
    participant: str = Field(max_length=64)
    text: str = Field(sa_type=sa.Text)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    hidden: bool = False
    hidden_reason: str | None = Field(default=None, sa_type=sa.Text)
    hidden_by: str | None = Field(default=None, max_length=64)
    hidden_at: datetime | None = time_field()


class TranscriptRow(SQLModel, table=True):
    __tablename__ = "transcript"

    room: str = Field(primary_key=True, max_length=64)
    n: int = Field(primary_key=True)
    item: str | None = Field(default=None, max_length=64)
    turn: int | None = None
    speaker: str | None = Field(default=None, max_length=64)
    author: str = Field(max_length=64)  # who appended it (a facilitator or a caption bot)
    text: str = Field(sa_type=sa.Text)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class QuestionRow(SQLModel, table=True):
    __tablename__ = "question"

    room: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    n: int
    item: str | None = Field(default=None, max_length=64)
    participant: str = Field(max_length=64)
    text: str = Field(sa_type=sa.Text)
    asked_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    upvotes: int = 0
    status: str = Field(max_length=16)  # pending | open | answered | dismissed | queued | hidden
    closed_at: datetime | None = time_field()
    anonymous: bool = False
    hidden_reason: str | None = Field(default=None, sa_type=sa.Text)


class PollRow(SQLModel, table=True):
    __tablename__ = "poll"

    room: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    n: int
    item: str | None = Field(default=None, max_length=64)
    question: str = Field(sa_type=sa.Text)
    kind: str = Field(max_length=16)
    options: list[str] = Field(default_factory=list, sa_type=JSONText, nullable=False)
    max_choices: int | None = None
    secret: bool
    results: str = Field(max_length=16)  # live | on_close
    quorum: int | None = None
    status: str = Field(max_length=16)  # draft | open | closed | published
    eligible: int
    turnout: int
    quorum_met: bool | None = None
    winner: int | None = None  # option index; NULL on a tie, no ballots or non-IRV multi
    opened_at: datetime | None = time_field()
    closed_at: datetime | None = time_field()
    published_at: datetime | None = time_field()
    electorate: str = Field(default="present", max_length=16)  # present | roll
    quorum_share: float | None = None
    quorum_needed: int | None = None
    by_proxy: int = 0  # of the turnout, ballots counted through a proxy holder
    final: bool = False
    votes_per_person: int = 0  # dot polls
    max_per_option: int = 0  # dot polls
    dot_voters: list[int] = Field(default_factory=list, sa_type=JSONText, nullable=False)
    repeat_of: str | None = Field(default=None, max_length=64)
    proposals: list[str] = Field(default_factory=list, sa_type=JSONText, nullable=False)
    # battle polls: {"opening", "closing", "switches", "moves", "timeline": [[at, counts]]}
    battle: dict[str, Any] | None = Field(default=None, sa_type=JSONText)


class BallotRow(SQLModel, table=True):
    """One counted ballot; ``participant`` is NULL for a secret poll, whose rows are also
    stored in a canonical order (by choice) so that row order cannot betray a voter."""

    __tablename__ = "ballot"

    room: str = Field(primary_key=True, max_length=64)
    poll: str = Field(primary_key=True, max_length=64)
    n: int = Field(primary_key=True)
    participant: str | None = Field(default=None, max_length=64)
    choice: Any = Field(sa_type=JSONText, nullable=False)
    holder: str | None = Field(default=None, max_length=64)  # named: cast by proxy by


class PollVoterRow(SQLModel, table=True):
    """Who voted (turnout and audit), apart from what they chose."""

    __tablename__ = "poll_voter"

    room: str = Field(primary_key=True, max_length=64)
    poll: str = Field(primary_key=True, max_length=64)
    participant: str = Field(primary_key=True, max_length=64)


class PollEligibleRow(SQLModel, table=True):
    """Who was eligible to vote in a poll: the list frozen at its opening."""

    __tablename__ = "poll_eligible"

    room: str = Field(primary_key=True, max_length=64)
    poll: str = Field(primary_key=True, max_length=64)
    participant: str = Field(primary_key=True, max_length=64)


class PollProxyRow(SQLModel, table=True):
    """An eligible giver of a proxy in a poll and its holder, frozen at the opening."""

    __tablename__ = "poll_proxy"

    room: str = Field(primary_key=True, max_length=64)
    poll: str = Field(primary_key=True, max_length=64)
    giver: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=64)


class RollMemberRow(SQLModel, table=True):
    """The roll as the session had it (roll access), in order."""

    __tablename__ = "roll_member"

    room: str = Field(primary_key=True, max_length=64)
    n: int = Field(primary_key=True)
    participant: str = Field(max_length=64)
    name: str


class ProxyRow(SQLModel, table=True):
    __tablename__ = "proxy"

    room: str = Field(primary_key=True, max_length=64)
    giver: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=64)


class RecordEventRow(SQLModel, table=True):
    """One event of the hash-chained record (SPEC §8): its public data and hash."""

    __tablename__ = "record_event"

    room: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    name: str = Field(max_length=64)
    data: str = Field(sa_type=sa.Text)  # JSON text of the public data
    at: str = Field(max_length=40)
    hash: str = Field(max_length=64)


class TallyRow(SQLModel, table=True):
    __tablename__ = "tally"

    room: str = Field(primary_key=True, max_length=64)
    poll: str = Field(primary_key=True, max_length=64)
    option: int = Field(primary_key=True)
    votes: int  # ballots choosing it (ranked: first preferences; score: ballots scoring it)
    score: int | None = None  # score polls: sum of scores


class IrvRoundRow(SQLModel, table=True):
    __tablename__ = "irv_round"

    room: str = Field(primary_key=True, max_length=64)
    poll: str = Field(primary_key=True, max_length=64)
    round: int = Field(primary_key=True)  # 1, 2 ...
    option: int = Field(primary_key=True)
    votes: int
    eliminated: bool = False  # eliminated at the end of this round
    exhausted: int = 0  # ballots with no option left in this round (same on each row)


class DecisionRow(SQLModel, table=True):
    __tablename__ = "decision"

    room: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    n: int
    item: str | None = Field(default=None, max_length=64)
    text: str = Field(sa_type=sa.Text)
    poll: str | None = Field(default=None, max_length=64)
    poll_result: dict[str, Any] | None = Field(default=None, sa_type=JSONText)
    dissent: str | None = Field(default=None, sa_type=sa.Text)
    recorded_by: str = Field(max_length=64)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ReactionRow(SQLModel, table=True):
    """Reaction counts per agenda item; ``item`` is "" for the session outside any item."""

    __tablename__ = "reaction"

    room: str = Field(primary_key=True, max_length=64)
    item: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    count: int


class ProposalRow(SQLModel, table=True):
    __tablename__ = "proposal"

    room: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    n: int  # order of submission
    item: str | None = Field(default=None, max_length=64)
    participant: str = Field(max_length=64)
    text: str = Field(sa_type=sa.Text)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    supporters: int = 0
    status: str = Field(max_length=16)  # open | promoted | merged | hidden
    merged_into: str | None = Field(default=None, max_length=64)
    polls: list[str] = Field(default_factory=list, sa_type=JSONText, nullable=False)
    hidden_reason: str | None = Field(default=None, sa_type=sa.Text)
    closed_at: datetime | None = time_field()


class CheerRow(SQLModel, table=True):
    """Cheer totals per presenter of an agenda item (``n`` keeps the presenters' order)."""

    __tablename__ = "cheer"

    room: str = Field(primary_key=True, max_length=64)
    n: int = Field(primary_key=True)
    item: str = Field(max_length=64)
    presenter: str = Field(sa_type=sa.Text)
    count: int
    revealed: bool = False


class HandRow(SQLModel, table=True):
    """Hands each participant raised, and how many were never called (voice equity)."""

    __tablename__ = "hand_count"

    room: str = Field(primary_key=True, max_length=64)
    participant: str = Field(primary_key=True, max_length=64)
    raised: int
    uncalled: int = 0


class ModerationRow(SQLModel, table=True):
    __tablename__ = "moderation"

    room: str = Field(primary_key=True, max_length=64)
    n: int = Field(primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)  # the command name: participant.mute, statement.hide ...
    target: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText, nullable=False)

"""What the archive stores, as plain frozen dataclasses: the seam between the room state
(``from_state``), the SQL writer (``writer``) and the minutes (``townhall.minutes``).

``ArchiveContent`` is everything the minutes show; ``ArchiveBundle`` adds the raw room
log. Tuples keep their order: agenda items by position, turns, statements, transcript,
questions, polls, decisions and moderation entries in the order they happened. All times
are aware UTC datetimes, except the log's ``at``, kept as the log's own ISO 8601 string.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

__all__ = [
    "AgendaItem",
    "ArchiveBundle",
    "ArchiveContent",
    "Attendance",
    "Ballot",
    "BattleShift",
    "CheerTotal",
    "Choice",
    "Decision",
    "HandCount",
    "IrvCount",
    "IrvRound",
    "ItemDocument",
    "LogEntry",
    "ModerationEntry",
    "Participant",
    "Poll",
    "Proposal",
    "Proxy",
    "Question",
    "ReactionCount",
    "Record",
    "RecordEvent",
    "RollMember",
    "Session",
    "SharePoint",
    "Statement",
    "TallyEntry",
    "TranscriptSegment",
    "Turn",
    "content_of",
]

# An option index (single, yes_no_abstain), indexes (multiple; ranked, most preferred
# first) or scores keyed by the option index as a string (score).
Choice = int | list[int] | dict[str, int]


@dataclass(frozen=True, kw_only=True)
class Session:
    room: str
    title: str
    description: str = ""
    language: str = "en"  # "en" | "ko": the language of the minutes' labels
    visibility: str = "private"
    created_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    peak_observers: int = 0
    # From the town hall's row (the organiser console): the minutes use its time zone.
    timezone: str | None = None
    place: str = ""
    chair: str = ""
    secretary: str = ""
    access: str = "open"  # open | roll (SPEC §7)


@dataclass(frozen=True, kw_only=True)
class Participant:
    id: str
    name: str
    role: str  # facilitator | participant
    banned: bool = False
    muted: bool = False


@dataclass(frozen=True, kw_only=True)
class Attendance:
    participant: str
    joined_at: datetime
    left_at: datetime | None = None  # None: still connected when the session ended


@dataclass(frozen=True, kw_only=True)
class ItemDocument:
    """A document of an agenda item: its title and http(s) address (SPEC §9)."""

    title: str
    url: str


@dataclass(frozen=True, kw_only=True)
class AgendaItem:
    id: str
    title: str
    planned_s: int
    description: str = ""
    status: str = "pending"  # pending | running | paused | done
    started_at: datetime | None = None
    completed_at: datetime | None = None
    actual_s: float | None = None  # time it ran, pauses excluded
    documents: tuple[ItemDocument, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Turn:
    participant: str
    item: str | None
    kind: str  # speak | point_of_order | reply
    started_at: datetime
    ended_at: datetime | None
    limit_s: float
    duration_s: float | None
    overrun: bool = False


@dataclass(frozen=True, kw_only=True)
class Statement:
    id: str
    participant: str
    item: str | None
    text: str
    at: datetime
    turn: int | None = None  # index into ArchiveContent.turns when posted by the speaker
    hidden: bool = False
    hidden_reason: str | None = None
    hidden_by: str | None = None
    hidden_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class TranscriptSegment:
    author: str  # the facilitator or caption bot that appended it
    speaker: str | None  # the participant holding the floor, if any
    item: str | None
    text: str
    at: datetime
    turn: int | None = None


@dataclass(frozen=True, kw_only=True)
class Question:
    id: str
    participant: str
    item: str | None
    text: str
    asked_at: datetime
    upvotes: int = 0
    status: str = "open"  # pending | open | answered | dismissed | queued | hidden
    closed_at: datetime | None = None
    anonymous: bool = False  # asked anonymously: the public never saw the name
    hidden_reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Ballot:
    """One counted ballot. A proxy holder's vote is several ballots: their own and, in a
    named poll, one per giver (``participant`` the giver, ``holder`` who cast it); in a
    secret poll the copies are as anonymous as every other ballot."""

    participant: str | None  # always None in a secret poll
    choice: Choice
    holder: str | None = None  # named polls: who cast this giver's ballot by proxy


@dataclass(frozen=True, kw_only=True)
class Proxy:
    giver: str  # the member who gave their proxy
    holder: str  # the member whose ballot counts for them


@dataclass(frozen=True, kw_only=True)
class RollMember:
    participant: str
    name: str


@dataclass(frozen=True, kw_only=True)
class TallyEntry:
    option: int
    votes: int  # ballots choosing it (ranked: first preferences; score: ballots scoring it)
    score: int | None = None  # score polls: the sum of scores


@dataclass(frozen=True, kw_only=True)
class IrvCount:
    option: int
    votes: int
    eliminated: bool = False  # eliminated at the end of this round


@dataclass(frozen=True, kw_only=True)
class IrvRound:
    round: int  # 1, 2 ...
    counts: tuple[IrvCount, ...]  # the options still in the count, by option index
    exhausted: int = 0  # ballots none of whose ranked options is still in the count


@dataclass(frozen=True, kw_only=True)
class SharePoint:
    """A battle's counts per position at one moment (one point per 5 s step)."""

    at: datetime
    counts: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class BattleShift:
    """How opinion moved in a battle poll (SPEC §10): the counts of first positions
    (``opening``) and of final ones (``closing``); ``switches[a][b]``: voters whose first
    position was ``a`` and last ``b``; ``moves``: every change, back and forth included;
    and the timeline of counts. Counts only: no ballot, no voter, even in a named poll."""

    opening: tuple[int, ...]
    closing: tuple[int, ...]
    switches: tuple[tuple[int, ...], ...]
    moves: int = 0
    timeline: tuple[SharePoint, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Poll:
    id: str
    item: str | None
    question: str
    kind: str  # single | multiple | yes_no_abstain | ranked | score
    options: tuple[str, ...]
    secret: bool
    results: str = "live"  # live | on_close
    max_choices: int | None = None
    quorum: int | None = None
    status: str = "closed"  # draft | open | closed | published
    eligible: int = 0  # participants eligible when it opened
    turnout: int = 0  # ballots counted (in person and by proxy)
    by_proxy: int = 0  # of the turnout, ballots counted through a proxy holder
    electorate: str = "present"  # roll access: present at opening, or the whole roll
    quorum_share: float | None = None  # the quorum as a share of the eligible list
    quorum_needed: int | None = None  # ballots the quorum asked for (None: no quorum)
    eligible_list: tuple[str, ...] = ()  # who was eligible (frozen at opening), sorted
    proxies: tuple[Proxy, ...] = ()  # the eligible givers of a proxy, frozen at opening
    quorum_met: bool | None = None  # None: no quorum set
    winner: int | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    published_at: datetime | None = None
    ballots: tuple[Ballot, ...] = ()
    voters: tuple[str, ...] = ()  # who voted, sorted; kept apart from the ballots
    tally: tuple[TallyEntry, ...] = ()
    irv_rounds: tuple[IrvRound, ...] = ()
    final: bool = False  # a ballot, once cast, could not be changed
    votes_per_person: int = 0  # dot polls: dots each voter spreads
    max_per_option: int = 0  # dot polls: at most this many dots on one option
    dot_voters: tuple[int, ...] = ()  # dot polls: voters who put dots on each option
    repeat_of: str | None = None  # the earlier poll it asks again (before / after)
    proposals: tuple[str, ...] = ()  # the proposals that became its options, in order
    battle: BattleShift | None = None  # battle polls: the opinion shift


@dataclass(frozen=True, kw_only=True)
class Decision:
    id: str
    item: str | None
    text: str
    recorded_by: str
    at: datetime
    poll: str | None = None
    poll_result: dict[str, Any] | None = None  # the linked poll's full result, copied in
    dissent: str | None = None


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """A participant's proposal (SPEC §10) and its fate: ``open`` (left as it was),
    ``promoted`` (made an option of ``polls``), ``merged`` (into ``merged_into``) or
    ``hidden`` (with ``hidden_reason``)."""

    id: str
    participant: str
    item: str | None
    text: str
    at: datetime
    supporters: int = 0  # at the end (supporters of a proposal merged in join it)
    status: str = "open"  # open | promoted | merged | hidden
    merged_into: str | None = None
    polls: tuple[str, ...] = ()
    hidden_reason: str | None = None
    closed_at: datetime | None = None  # when it was merged or hidden


@dataclass(frozen=True, kw_only=True)
class CheerTotal:
    """Cheers for one presenter of one agenda item; the minutes show every total, and
    say whether it was revealed in the room."""

    item: str
    presenter: str
    count: int
    revealed: bool = False


@dataclass(frozen=True, kw_only=True)
class HandCount:
    """Hands a participant raised in the session, and how many were never called."""

    participant: str
    raised: int
    uncalled: int = 0


@dataclass(frozen=True, kw_only=True)
class ReactionCount:
    item: str | None  # None: outside any agenda item
    kind: str  # agree | disagree | applause | unclear
    count: int


@dataclass(frozen=True, kw_only=True)
class ModerationEntry:
    at: datetime
    actor: str
    action: str  # the command: participant.mute, statement.hide, room.lock ...
    target: str | None = None
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    epoch: str
    seq: int
    name: str
    data: dict[str, Any]
    at: str  # ISO 8601 UTC, exactly as the log holds it
    cause: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordEvent:
    """One event of the record (SPEC §8): its public data, and the chain's hash after it."""

    seq: int
    name: str
    data: dict[str, Any]
    at: str  # ISO 8601 UTC, exactly as the log holds it
    hash: str


@dataclass(frozen=True, kw_only=True)
class Record:
    """The session's hash-chained record; docs/minutes.md says how to verify it."""

    algorithm: str = "sha256"
    head: str  # the hash of the last event (64 zeros for an empty session)
    events: tuple[RecordEvent, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ArchiveContent:
    """Everything the minutes show about one session."""

    session: Session
    participants: tuple[Participant, ...] = ()
    attendance: tuple[Attendance, ...] = ()
    items: tuple[AgendaItem, ...] = ()
    turns: tuple[Turn, ...] = ()
    statements: tuple[Statement, ...] = ()
    transcript: tuple[TranscriptSegment, ...] = ()
    questions: tuple[Question, ...] = ()
    polls: tuple[Poll, ...] = ()
    decisions: tuple[Decision, ...] = ()
    reactions: tuple[ReactionCount, ...] = ()
    moderation: tuple[ModerationEntry, ...] = ()
    roll: tuple[RollMember, ...] = ()  # roll access: the members, in roll order
    proxies: tuple[Proxy, ...] = ()  # every proxy recorded before the session
    proposals: tuple[Proposal, ...] = ()  # in the order submitted
    cheers: tuple[CheerTotal, ...] = ()  # by agenda item, then presenter
    hands: tuple[HandCount, ...] = ()  # by participant
    record: Record | None = None


@dataclass(frozen=True, kw_only=True)
class ArchiveBundle(ArchiveContent):
    """The archive's input: the content plus the raw room log it was derived from."""

    log: tuple[LogEntry, ...] = ()


def content_of(value: ArchiveContent) -> ArchiveContent:
    """The plain content of a bundle or of loaded minutes (to compare the two)."""
    names = [f.name for f in fields(ArchiveContent)]
    return ArchiveContent(**{name: getattr(value, name) for name in names})

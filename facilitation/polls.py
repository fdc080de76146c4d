"""Polls: draft → open → closed (→ published), with secret or named ballots.

A secret poll stores ballots under an opaque key, `ballot_key(secret, poll, participant)`
(HMAC-SHA256 with the room's ballot secret, which lives outside the log), so neither the
log nor the state links a voter to a choice; a later ballot under the same key replaces
the earlier one (unless the poll is `final`). Named polls key ballots by participant id.

Deliberation kinds (SPEC §10): a `battle` is a live single choice between positions that
people change at will; it keeps each voter's first position (the opening shares), how
often people moved from one position to another, and a timeline of the counts. A `dot`
poll spreads up to `votes_per_person` dots over the options (at most `max_per_option`
on one), counted as dots and voters per option.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, refuse
from facilitation.guards import member, require_live, speaker
from facilitation.limits import (
    MAX_DOTS,
    MAX_DURATION_S,
    MAX_OPTION,
    MAX_OPTIONS,
    MAX_QUESTION,
    MAX_SCORE,
)
from facilitation.pmap import PMap
from facilitation.proposals import promote
from facilitation.tally import Choice, Tally, add, contribution, count, from_totals, width

if TYPE_CHECKING:
    from facilitation.room import RoomState

KINDS = ("single", "multiple", "yes_no_abstain", "ranked", "score", "battle", "dot")
ELECTORATES = ("present", "roll")
YES_NO_ABSTAIN = ("yes", "no", "abstain")
TIMELINE_STEP_S = 5  # a battle's timeline keeps one point per 5 s after opening


def ballot_key(secret: bytes, poll: str, participant: str) -> str:
    message = f"{poll}\x00{participant}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Poll:
    id: str
    question: str
    kind: str
    options: tuple[str, ...]
    max_choices: int
    secret: bool
    results: str  # "live" | "on_close"
    duration_s: int | None
    quorum: int  # minimum ballots; 0 = none
    item: str | None  # the agenda item running when it was created
    electorate: str = "present"  # roll access: members present at opening, or the roll
    quorum_share: float | None = None  # quorum as a share of the eligible list
    status: str = "draft"  # draft | open | closed | published
    created: datetime
    opened: datetime | None = None
    closes: datetime | None = None
    closed: datetime | None = None
    published: datetime | None = None
    eligible: frozenset[str] = frozenset()
    proxies: Mapping[str, str] = field(default_factory=dict)  # giver -> holder, at opening
    ballots: PMap[str, Choice] = field(default_factory=PMap)
    proxied: PMap[str, int] = field(default_factory=PMap)  # ballot -> proxies it carries
    totals: tuple[int, ...] = ()  # running counts (non-ranked), so a vote costs O(options)
    result: Tally | None = None  # frozen at close
    final: bool = False  # a ballot, once cast, cannot be changed
    votes_per_person: int = 0  # dot polls
    max_per_option: int = 0  # dot polls: at most this many dots on one option
    proposals: tuple[str, ...] = ()  # the proposals that became its options
    repeat_of: str | None = None  # the earlier poll this one asks again (before/after)
    # battle polls: each ballot's first position, the counts of those (opening shares),
    # moves[a][b] = changes from position a to b, and the counts over time.
    first: PMap[str, int] = field(default_factory=PMap)
    first_totals: tuple[int, ...] = ()
    moves: tuple[tuple[int, ...], ...] = ()
    timeline: tuple[SharePoint, ...] = ()

    def tally(self) -> Tally:
        return self._tally

    @property
    def turnout(self) -> int:
        """Ballots counted: one per voter, plus one per proxy a voter carries."""
        return len(self.ballots) + sum(self.proxied.values())

    @property
    def needed(self) -> int:
        """The quorum in ballots: ``quorum``, or ``quorum_share`` of the eligible list
        rounded up (the share is taken as the decimal it is written as: 0.1 of 30 is 3)."""
        if self.quorum_share is None:
            return self.quorum
        share = Fraction(repr(self.quorum_share)) * len(self.eligible)
        return -(-share.numerator // share.denominator)

    @cached_property
    def _tally(self) -> Tally:
        # Once per poll version: every view of a vote's event (and the archive) shares
        # it, which matters for a ranked poll, recounted in full (IRV) on each ballot.
        # A ballot carrying proxies counts once for its voter and once for each giver.
        by_proxy = sum(self.proxied.values())
        n = len(self.options)
        if self.kind == "ranked":
            ballots = [
                choice
                for key, choice in self.ballots.items()
                for _ in range(1 + self.proxied.get(key, 0))
            ]
            tally = count(self.kind, n, ballots, self.needed)
        else:
            totals = list(self.totals) or [0] * width(self.kind, n)
            tally = from_totals(totals, len(self.ballots) + by_proxy, self.needed, n)
        return replace(tally, by_proxy=by_proxy) if by_proxy else tally

    def switches(self) -> tuple[tuple[int, ...], ...]:
        """Battle polls: switches[a][b] = voters whose first position was a and whose
        current one is b (a != b); the net movement between positions (a ballot carrying
        proxies counts for each giver too)."""
        n = len(self.options)
        net = [[0] * n for _ in range(n)]
        for ballot, first in self.first.items():
            now = self.ballots.get(ballot)
            if isinstance(now, int) and now != first:
                net[first][now] += 1 + self.proxied.get(ballot, 0)
        return tuple(tuple(row) for row in net)

    def results_public(self) -> bool:
        """Whether participants and observers may see the tally now."""
        if self.results == "live":
            return self.status != "draft"
        return self.status == "published"


@dataclass(frozen=True)
class SharePoint:
    """A battle's counts per position at `at` (the last vote of a timeline step)."""

    at: datetime
    counts: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class CreatePoll(Command):
    name: ClassVar[str] = "poll.create"
    poll: str
    question: str
    kind: str
    options: tuple[str, ...] = ()
    max_choices: int | None = None
    secret: bool = True
    results: str = "live"
    duration_s: int | None = None
    quorum: int | None = None
    eligible: str = "present"
    quorum_share: float | None = None
    final: bool = False
    votes_per_person: int | None = None
    max_per_option: int | None = None
    from_proposals: tuple[str, ...] = ()
    repeat_of: str | None = None


@dataclass(frozen=True, kw_only=True)
class OpenPoll(Command):
    name: ClassVar[str] = "poll.open"
    poll: str


@dataclass(frozen=True, kw_only=True)
class CastVote(Command):
    name: ClassVar[str] = "poll.vote"
    poll: str
    ballot: str
    choice: Choice


@dataclass(frozen=True, kw_only=True)
class ClosePoll(Command):
    name: ClassVar[str] = "poll.close"
    poll: str


@dataclass(frozen=True, kw_only=True)
class PublishPoll(Command):
    name: ClassVar[str] = "poll.publish"
    poll: str


@dataclass(frozen=True, kw_only=True)
class PollCreated(Event):
    name: ClassVar[str] = "poll.created"
    poll: str
    question: str
    kind: str
    options: tuple[str, ...]
    max_choices: int
    secret: bool
    results: str
    duration_s: int | None
    quorum: int
    item: str | None
    eligible: str = "present"
    quorum_share: float | None = None
    final: bool = False
    votes_per_person: int = 0
    max_per_option: int = 0
    proposals: tuple[str, ...] = ()
    repeat_of: str | None = None


@dataclass(frozen=True, kw_only=True)
class PollOpened(Event):
    """Every eligible giver of a proxy (``givers``) with its holder (``holders``, same
    position), frozen with the eligible list."""

    name: ClassVar[str] = "poll.opened"
    poll: str
    eligible: tuple[str, ...]
    closes: datetime | None
    givers: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class VoteCounted(Event):
    """`ballot` is the opaque key (secret poll) or the participant id (named poll);
    `participant` is set for named polls only; ``proxies`` is how many givers'
    proxies the voter holds (the ballot counts for them too)."""

    name: ClassVar[str] = "vote.counted"
    poll: str
    ballot: str
    participant: str | None
    choice: Choice
    proxies: int = 0


@dataclass(frozen=True, kw_only=True)
class PollClosed(Event):
    name: ClassVar[str] = "poll.closed"
    poll: str


@dataclass(frozen=True, kw_only=True)
class PollPublished(Event):
    name: ClassVar[str] = "poll.published"
    poll: str


def get(room: RoomState, poll: str) -> Poll:
    found = room.polls.get(poll)
    if found is None:
        raise refuse("poll_not_found", poll)
    return found


def decide(command: Command, room: RoomState) -> list[Event]:
    if isinstance(command, CreatePoll):
        # Drafts may be prepared before the session starts.
        member(room, command.actor)
        return [_create(command, room)]
    require_live(room)
    if isinstance(command, CastVote):
        return _vote(command, room)
    member(room, command.actor)
    assert isinstance(command, OpenPoll | ClosePoll | PublishPoll)
    poll = get(room, command.poll)
    if isinstance(command, OpenPoll):
        if poll.status != "draft":
            raise refuse("poll_not_draft")
        return [open_event(room, poll, command.at)]
    if isinstance(command, ClosePoll):
        if poll.status != "open":
            raise refuse("poll_not_open")
        return [PollClosed(at=command.at, poll=poll.id)]
    if poll.status == "published":
        raise refuse("poll_already_published")
    if poll.status != "closed":
        raise refuse("poll_not_closed")
    return [PollPublished(at=command.at, poll=poll.id)]


def open_event(room: RoomState, poll: Poll, at: datetime) -> PollOpened:
    # The electorate is frozen now. Open access: everyone admitted, present and not
    # removed. Roll access: the members present (and those whose proxy a present member
    # holds), or the whole roll.
    present = {p.id for p in room.people.by_id.values() if p.status == "present"}
    roll = room.roll
    proxies: list[tuple[str, str]] = []
    if roll.access == "roll":
        if poll.electorate == "roll":
            present = set(roll.members)
        else:
            present &= set(roll.members)
            present |= {g for g, h in roll.proxies.items() if h in present}
        proxies = sorted((g, h) for g, h in roll.proxies.items() if g in present)
    closes = None if poll.duration_s is None else at + timedelta(seconds=poll.duration_s)
    return PollOpened(
        at=at,
        poll=poll.id,
        eligible=tuple(sorted(present)),
        closes=closes,
        givers=tuple(g for g, _ in proxies),
        holders=tuple(h for _, h in proxies),
    )


def _create(command: CreatePoll, room: RoomState) -> PollCreated:
    if command.poll in room.polls:
        raise refuse("duplicate_id", command.poll)
    if command.kind not in KINDS:
        raise refuse("invalid_poll", "kind")
    options = _options(command, room)
    if not 2 <= len(options) <= MAX_OPTIONS or len(set(options)) != len(options):
        raise refuse("invalid_poll", "options")
    if any(not 0 < len(o.strip()) <= MAX_OPTION for o in options):
        raise refuse("invalid_poll", "option text")
    if not 0 < len(command.question.strip()) <= MAX_QUESTION:
        raise refuse("invalid_poll", "question")
    max_choices = command.max_choices or len(options)
    if command.kind != "multiple":
        max_choices = 1 if command.kind != "ranked" else len(options)
    if not 1 <= max_choices <= len(options):
        raise refuse("invalid_poll", "max_choices")
    if command.results not in ("live", "on_close"):
        raise refuse("invalid_poll", "results")
    if command.duration_s is not None and not 0 < command.duration_s <= MAX_DURATION_S:
        raise refuse("invalid_poll", "duration_s")
    if command.quorum is not None and command.quorum < 0:
        raise refuse("invalid_poll", "quorum")
    _check_electorate(command, room)
    if command.kind == "battle" and (command.results != "live" or command.final):
        raise refuse("invalid_poll", "a battle is live and changeable while open")
    dots, per_option = _dots(command)
    _check_repeat(command, room, tuple(options))
    return PollCreated(
        at=command.at,
        poll=command.poll,
        question=command.question.strip(),
        kind=command.kind,
        options=tuple(options),
        max_choices=max_choices,
        secret=command.secret,
        results=command.results,
        duration_s=command.duration_s,
        quorum=command.quorum or 0,
        item=room.agenda.current,
        eligible=command.eligible,
        quorum_share=command.quorum_share,
        final=command.final,
        votes_per_person=dots,
        max_per_option=per_option,
        proposals=command.from_proposals,
        repeat_of=command.repeat_of,
    )


def _check_electorate(command: CreatePoll, room: RoomState) -> None:
    if command.eligible not in ELECTORATES:
        raise refuse("invalid_poll", "eligible is present or roll")
    if command.eligible == "roll" and room.roll.access != "roll":
        raise refuse("invalid_poll", "eligible roll needs roll access")
    share = command.quorum_share
    if share is None:
        return
    if command.quorum:
        raise refuse("invalid_poll", "quorum or quorum_share, not both")
    if not 0 <= share <= 1 or round(share, 4) != share:
        raise refuse("invalid_poll", "quorum_share is 0 to 1, at most 4 decimals")


def _options(command: CreatePoll, room: RoomState) -> tuple[str, ...]:
    if command.kind == "yes_no_abstain":
        if command.from_proposals:
            raise refuse("invalid_poll", "from_proposals")
        return YES_NO_ABSTAIN
    if not command.from_proposals:
        return command.options
    if command.options:
        raise refuse("invalid_poll", "give options or from_proposals, not both")
    texts = []
    for ref in command.from_proposals:
        proposal = room.proposals.get(ref)
        if proposal is None:
            raise refuse("proposal_not_found", ref)
        if proposal.status not in ("open", "promoted"):
            raise refuse("proposal_closed", ref)
        texts.append(proposal.text)
    return tuple(texts)


def _dots(command: CreatePoll) -> tuple[int, int]:
    """A dot poll's votes per person and cap per option (0, 0 for other kinds)."""
    if command.kind != "dot":
        if command.votes_per_person is not None or command.max_per_option is not None:
            raise refuse("invalid_poll", "votes_per_person is for dot polls")
        return 0, 0
    dots = command.votes_per_person
    if dots is None or not 1 <= dots <= MAX_DOTS:
        raise refuse("invalid_poll", f"votes_per_person: 1 to {MAX_DOTS}")
    per_option = dots if command.max_per_option is None else command.max_per_option
    if not 1 <= per_option <= dots:
        raise refuse("invalid_poll", "max_per_option: 1 to votes_per_person")
    return dots, per_option


def _check_repeat(command: CreatePoll, room: RoomState, options: tuple[str, ...]) -> None:
    """A repeat asks an earlier poll's question again (before / after): same kind, same
    options, so the minutes can report the shift between the two."""
    if command.repeat_of is None:
        return
    earlier = get(room, command.repeat_of)
    if earlier.kind != command.kind or earlier.options != options:
        raise refuse("invalid_poll", "repeat_of: same kind and options as the earlier poll")


def _vote(command: CastVote, room: RoomState) -> list[Event]:
    person = speaker(room, command.actor)
    poll = get(room, command.poll)
    if poll.status != "open":
        raise refuse("poll_not_open")
    if person.id not in poll.eligible:
        raise refuse("not_eligible")
    if person.id in poll.proxies:
        raise refuse("proxy_given")
    choice = check_choice(poll, command.choice)
    ballot = command.ballot if poll.secret else person.id
    if poll.final and ballot in poll.ballots:
        raise refuse("already_voted")
    return [
        VoteCounted(
            at=command.at,
            poll=poll.id,
            ballot=ballot,
            participant=None if poll.secret else person.id,
            choice=choice,
            proxies=sum(1 for holder in poll.proxies.values() if holder == person.id),
        )
    ]


def check_choice(poll: Poll, choice: Choice) -> Choice:
    """The choice if valid for this poll (a dot ballot made one count per option)."""
    n = len(poll.options)
    if poll.kind in ("single", "yes_no_abstain", "battle"):
        ok = isinstance(choice, int) and 0 <= choice < n
    elif isinstance(choice, int):
        ok = False
    elif poll.kind == "score":
        ok = len(choice) == n and all(0 <= s <= MAX_SCORE for s in choice)
    elif poll.kind == "dot":
        # Options left out of the wire's {index: dots} arrive as -1: no dots there.
        choice = tuple(0 if d == -1 else d for d in (*choice, *[0] * (n - len(choice))))
        ok = (
            len(choice) == n
            and all(0 <= d <= poll.max_per_option for d in choice)
            and 0 < sum(choice) <= poll.votes_per_person
        )
    else:
        ok = (
            0 < len(choice) <= poll.max_choices
            and len(set(choice)) == len(choice)
            and all(0 <= i < n for i in choice)
        )
    if not ok:
        raise refuse("invalid_choice")
    return choice


def on_timer(room: RoomState, ref: str, at: datetime) -> list[Event]:
    poll = room.polls.get(ref)
    if poll is None or poll.status != "open" or poll.closes is None or at < poll.closes:
        return []
    return [PollClosed(at=at, poll=poll.id)]


def _battle(poll: Poll, event: VoteCounted, old: Choice | None) -> Poll:
    n = len(poll.options)
    new = event.choice
    if not isinstance(new, int) or not 0 <= new < n:
        return poll  # a ballot no valid log holds; keep the fold total
    first, first_totals = poll.first, list(poll.first_totals) or [0] * n
    moves = [list(row) for row in poll.moves] or [[0] * n for _ in range(n)]
    weight = 1 + event.proxies  # a holder's ballot moves their givers too
    if old is None:
        first = first.set(event.ballot, new)
        first_totals[new] += weight
    elif isinstance(old, int) and old != new:
        moves[old][new] += weight
    point = SharePoint(event.at, poll.totals)
    timeline = poll.timeline
    if timeline and _step(poll, timeline[-1].at) == _step(poll, event.at):
        timeline = timeline[:-1]
    return replace(
        poll,
        first=first,
        first_totals=tuple(first_totals),
        moves=tuple(tuple(row) for row in moves),
        timeline=(*timeline, point),
    )


def _step(poll: Poll, at: datetime) -> int:
    opened = poll.opened or poll.created
    return int((at - opened).total_seconds() // TIMELINE_STEP_S)


def evolve(room: RoomState, event: Event) -> RoomState:
    if isinstance(event, PollCreated):
        poll = Poll(
            id=event.poll,
            question=event.question,
            kind=event.kind,
            options=event.options,
            max_choices=event.max_choices,
            secret=event.secret,
            results=event.results,
            duration_s=event.duration_s,
            quorum=event.quorum,
            item=event.item,
            created=event.at,
            electorate=event.eligible,
            quorum_share=event.quorum_share,
            final=event.final,
            votes_per_person=event.votes_per_person,
            max_per_option=event.max_per_option,
            proposals=event.proposals,
            repeat_of=event.repeat_of,
        )
        room = promote(room, event.proposals, poll.id)
        return replace(room, polls=room.polls.set(poll.id, poll))
    assert isinstance(event, _POLL_EVENTS)
    found = room.polls.get(event.poll)
    if found is None:
        return room
    poll = found
    if isinstance(event, PollOpened):
        poll = replace(
            poll,
            status="open",
            opened=event.at,
            closes=event.closes,
            eligible=frozenset(event.eligible),
            proxies=dict(zip(event.givers, event.holders, strict=False)),
        )
    elif isinstance(event, VoteCounted):
        n = len(poll.options)
        weight = 1 + event.proxies
        totals = list(poll.totals) or [0] * width(poll.kind, n)
        totals = add(totals, contribution(poll.kind, n, event.choice), weight)
        old = poll.ballots.get(event.ballot)
        if old is not None:  # a changed vote: take the earlier ballot back out
            carried = 1 + poll.proxied.get(event.ballot, 0)
            totals = add(totals, contribution(poll.kind, n, old), -carried)
        ballots = poll.ballots.set(event.ballot, event.choice)
        proxied = poll.proxied.set(event.ballot, event.proxies) if event.proxies else poll.proxied
        poll = replace(poll, ballots=ballots, totals=tuple(totals), proxied=proxied)
        if poll.kind == "battle":
            poll = _battle(poll, event, old)
    elif isinstance(event, PollClosed):
        poll = replace(poll, status="closed", closed=event.at, result=poll.tally())
    else:
        poll = replace(poll, status="published", published=event.at)
    return replace(room, polls=room.polls.set(poll.id, poll))


_POLL_EVENTS = (PollOpened, VoteCounted, PollClosed, PollPublished)
COMMANDS = (CreatePoll, OpenPoll, CastVote, ClosePoll, PublishPoll)
EVENTS = (PollCreated, *_POLL_EVENTS)

"""Counting ballots. Pure functions of the stored ballots, so any tally can be redone.

Instant-runoff (ranked): each round counts every ballot for its highest-ranked option
still in the race. An option with more than half of the ballots still counting wins.
Otherwise the option with the fewest votes is eliminated. Ties for fewest are broken
backwards: the tied option with fewer votes in the previous round goes first (and so on
back to round 1); if they are tied in every round, the option listed last in the poll
goes. If every remaining option has the same count, the count ends in a tie (no winner).
Ballots whose ranked options are all eliminated are "exhausted" and counted per round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Choice = int | tuple[int, ...]


@dataclass(frozen=True)
class Round:
    counts: tuple[int | None, ...]  # per option; None once eliminated
    eliminated: int | None  # the option dropped after this round
    exhausted: int


@dataclass(frozen=True, kw_only=True)
class Tally:
    turnout: int
    counts: tuple[int, ...]  # votes per option (score: the sum of scores)
    winner: int | None  # None: no ballots, or a tie
    rounds: tuple[Round, ...] = ()  # ranked polls only
    quorum_met: bool = True
    by_proxy: int = 0  # of the turnout, ballots counted for givers of a proxy

    @property
    def in_person(self) -> int:
        return self.turnout - self.by_proxy

    voters: tuple[int, ...] = ()  # dot polls only: ballots giving the option any dot


def count(kind: str, options: int, ballots: Iterable[Choice], quorum: int) -> Tally:
    ballots = list(ballots)
    if kind == "ranked":
        rounds = instant_runoff(options, [_seq(b) for b in ballots])
        first = tuple(c or 0 for c in rounds[0].counts) if rounds else (0,) * options
        winner = _irv_winner(rounds)
        return Tally(
            turnout=len(ballots),
            counts=first,
            winner=winner,
            rounds=rounds,
            quorum_met=len(ballots) >= quorum,
        )
    totals = [0] * width(kind, options)
    for ballot in ballots:
        totals = add(totals, contribution(kind, options, ballot))
    return from_totals(totals, len(ballots), quorum, options)


def width(kind: str, options: int) -> int:
    """Length of a poll's running totals: a dot poll also counts voters per option."""
    return 2 * options if kind == "dot" else options


def contribution(kind: str, options: int, ballot: Choice) -> list[int]:
    """What one ballot adds to each option's count (score polls: its scores; dot polls:
    its dots, then 1 for each option it gives any dot, for the voters per option)."""
    added = [0] * options
    if kind in ("score", "dot"):
        for i, score in enumerate(_seq(ballot)[:options]):
            added[i] = max(score, 0)
        if kind == "dot":
            return added + [1 if d > 0 else 0 for d in added]
    else:
        for i in _seq(ballot):
            if 0 <= i < options:
                added[i] += 1
    return added


def add(totals: list[int], delta: list[int], sign: int = 1) -> list[int]:
    return [t + sign * d for t, d in zip(totals, delta, strict=True)]


def from_totals(totals: list[int], turnout: int, quorum: int, options: int) -> Tally:
    """The tally of a non-ranked poll from its running totals (kept per vote, O(options));
    totals longer than the options hold a dot poll's voters per option after the dots."""
    counts, voters = totals[:options], totals[options:]
    return Tally(
        turnout=turnout,
        counts=tuple(counts),
        winner=_top(counts),
        quorum_met=turnout >= quorum,
        voters=tuple(voters),
    )


def _seq(ballot: Choice) -> tuple[int, ...]:
    return (ballot,) if isinstance(ballot, int) else ballot


def _top(totals: list[int]) -> int | None:
    best = max(totals, default=0)
    leaders = [i for i, t in enumerate(totals) if t == best]
    return leaders[0] if best > 0 and len(leaders) == 1 else None


def instant_runoff(options: int, ballots: list[tuple[int, ...]]) -> tuple[Round, ...]:
    if not ballots:
        return ()
    alive = set(range(options))
    rounds: list[Round] = []
    while True:
        counts = dict.fromkeys(alive, 0)
        exhausted = 0
        for ballot in ballots:
            pick = next((o for o in ballot if o in alive), None)
            if pick is None:
                exhausted += 1
            else:
                counts[pick] += 1
        row = tuple(counts.get(i) for i in range(options))
        continuing = len(ballots) - exhausted
        top = max(counts.values())
        if top * 2 > continuing or len(set(counts.values())) == 1:
            rounds.append(Round(row, None, exhausted))
            return tuple(rounds)
        loser = _loser(counts, rounds)
        rounds.append(Round(row, loser, exhausted))
        alive.discard(loser)


def _loser(counts: dict[int, int], rounds: list[Round]) -> int:
    fewest = min(counts.values())
    tied = [o for o, c in counts.items() if c == fewest]
    for earlier in reversed(rounds):
        if len(tied) == 1:
            break
        low = min(earlier.counts[o] or 0 for o in tied)
        tied = [o for o in tied if (earlier.counts[o] or 0) == low]
    return max(tied)


def _irv_winner(rounds: tuple[Round, ...]) -> int | None:
    if not rounds:
        return None
    last = {i: c for i, c in enumerate(rounds[-1].counts) if c is not None}
    best = max(last.values())
    leaders = [i for i, c in last.items() if c == best]
    return leaders[0] if len(leaders) == 1 and best > 0 else None

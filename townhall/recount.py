"""Recount every poll of an archived session from its stored ballots (SPEC §8).

The archive keeps each poll's ballots (one row per counted ballot: a proxy holder's
ballot is one row for them and one per giver) apart from the tally it recorded at the
close. A recount runs facilitation's own count over the ballot rows and compares; a
ballot row changed in the database after the fact shows as a mismatch.
"""

from __future__ import annotations

from typing import Any

from facilitation.tally import Choice, Tally, count
from townhall.archive.bundle import Choice as StoredChoice
from townhall.archive.bundle import Poll
from townhall.db import SessionFactory
from townhall.minutes import load_minutes

__all__ = ["recount", "recount_poll"]


def _choice(stored: StoredChoice) -> Choice:
    if isinstance(stored, int):
        return stored
    if isinstance(stored, dict):  # score ballots keyed by option index
        return tuple(stored.get(str(i), 0) for i in range(max(map(int, stored), default=-1) + 1))
    return tuple(stored)


def _recorded(poll: Poll) -> dict[str, Any]:
    field = "score" if poll.kind == "score" else "votes"
    return {
        "turnout": poll.turnout,
        "counts": [getattr(t, field) or 0 for t in sorted(poll.tally, key=lambda t: t.option)],
        "winner": poll.winner,
        "quorum_met": poll.quorum_met,
        "rounds": [
            {
                "counts": {str(c.option): c.votes for c in r.counts},
                "eliminated": next((c.option for c in r.counts if c.eliminated), None),
                "exhausted": r.exhausted,
            }
            for r in sorted(poll.irv_rounds, key=lambda r: r.round)
        ],
    }


def _recounted(poll: Poll, tally: Tally) -> dict[str, Any]:
    return {
        "turnout": tally.turnout,
        "counts": list(tally.counts),
        "winner": tally.winner,
        "quorum_met": tally.quorum_met if poll.quorum_met is not None else None,
        "rounds": [
            {
                "counts": {str(i): v for i, v in enumerate(r.counts) if v is not None},
                "eliminated": r.eliminated,
                "exhausted": r.exhausted,
            }
            for r in tally.rounds
        ],
    }


def recount_poll(poll: Poll) -> dict[str, Any]:
    """``{"poll", "match", "recorded", "recounted"}`` for one archived poll."""
    needed = poll.quorum_needed if poll.quorum_needed is not None else (poll.quorum or 0)
    ballots = [_choice(b.choice) for b in poll.ballots]
    tally = count(poll.kind, len(poll.options), ballots, needed)
    recorded = _recorded(poll)
    recounted = _recounted(poll, tally)
    return {
        "poll": poll.id,
        "question": poll.question,
        "match": recorded == recounted,
        "recorded": recorded,
        "recounted": recounted,
    }


async def recount(sessions: SessionFactory, room: str) -> list[dict[str, Any]]:
    """Every poll of the archived session ``room``, recounted (raises MinutesNotFound)."""
    minutes = await load_minutes(sessions, room)
    return [recount_poll(poll) for poll in minutes.polls]

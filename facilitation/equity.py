"""Voice equity: who got the floor. A pure function of the room: per person their
speaking time, turns and share of all speaking time, hands raised and how many were
never called; per agenda item the speakers and how many spoke for the first time in the
session. Facilitators see it live; the minutes report it from the archive the same way
(townhall.minutes computes it from the archived turns and hands)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from facilitation.queue import current, key

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True)
class SpokenTurn:
    """What the report needs of a turn: who, on which item, how long (so far)."""

    participant: str
    item: str | None
    seconds: float


@dataclass(frozen=True)
class PersonEquity:
    participant: str
    speaking_s: float
    turns: int
    share: float  # of all speaking time, 0..1
    hands: int  # raised
    uncalled: int  # raised, then lowered, cleared or left waiting at the end: never called


@dataclass(frozen=True)
class ItemEquity:
    item: str | None
    speakers: int
    first_time: int  # of them, speaking for the first time in the session
    share: float  # first_time / speakers (0 with no speaker)


@dataclass(frozen=True)
class Equity:
    people: tuple[PersonEquity, ...]  # most speaking time first
    items: tuple[ItemEquity, ...]  # agenda order ("" = before the first item, if anyone)
    total_s: float


def report(
    turns: list[SpokenTurn],
    hands: dict[str, tuple[int, int]],
    items: list[str | None],
    everyone: list[str],
) -> Equity:
    """`hands`: participant → (hands raised, of which never called); `items`: the
    agenda in order; `everyone`: all who took part (listed even if they never spoke).
    Turns are in the order they started."""
    spoken: dict[str, list[float]] = {}
    seen: set[str] = set()
    speakers: dict[str, set[str]] = {}
    first: dict[str, int] = {}
    for turn in turns:
        spoken.setdefault(turn.participant, []).append(turn.seconds)
        k = key(turn.item)
        speakers.setdefault(k, set()).add(turn.participant)
        if turn.participant not in seen:
            seen.add(turn.participant)
            first[k] = first.get(k, 0) + 1
    total = sum(sum(s) for s in spoken.values())
    people = [
        PersonEquity(
            participant=p,
            speaking_s=round(sum(spoken.get(p, [])), 1),
            turns=len(spoken.get(p, [])),
            share=round(sum(spoken.get(p, [])) / total, 4) if total else 0.0,
            hands=hands.get(p, (0, 0))[0],
            uncalled=hands.get(p, (0, 0))[1],
        )
        for p in {**dict.fromkeys(everyone), **spoken, **hands}
    ]
    people.sort(key=lambda e: (-e.speaking_s, -e.turns, e.participant))
    order = ([None] if "" in speakers else []) + [i for i in items if i is not None]
    by_item = []
    for item in order:
        n = len(speakers.get(key(item), ()))
        fresh = first.get(key(item), 0)
        by_item.append(ItemEquity(item, n, fresh, round(fresh / n, 4) if n else 0.0))
    return Equity(tuple(people), tuple(by_item), round(total, 1))


def of_room(room: RoomState) -> Equity:
    """The live report, the running turn counted up to the time of the last event."""
    now: datetime | None = room.clock
    turns = []
    for t in room.floor.turns:
        end = t.ended or now or t.started
        turns.append(SpokenTurn(t.participant, t.item, max(0.0, (end - t.started).total_seconds())))
    # A hand still up in the running item's list may yet be called; any other hand
    # that was not called never will be.
    waiting = {h.participant for h in current(room).hands}
    live = room.session.status == "live"
    hands = {}
    for p, raised in room.queues.raised_by.items():
        called = room.queues.called_by.get(p, 0)
        still_up = 1 if live and p in waiting else 0
        hands[p] = (raised, max(0, raised - called - still_up))
    everyone = [p.id for p in room.people.by_id.values() if p.stays]
    return report(turns, hands, list(room.agenda.order), everyone)

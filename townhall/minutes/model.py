"""The minutes of one session: the archived content plus what only the archive knows.

The layout asks for names, items, statements and each item's or turn's rows many times;
the indexes below are built once per ``Minutes`` (on first use), so laying out a
session costs time linear in its size, not in people times rows.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, TypeVar

from facilitation.equity import Equity, SpokenTurn, report
from townhall.archive.bundle import (
    AgendaItem,
    ArchiveContent,
    CheerTotal,
    Decision,
    Participant,
    Poll,
    Proposal,
    Question,
    ReactionCount,
    Statement,
    TranscriptSegment,
    Turn,
)

__all__ = ["Filing", "Minutes"]

T = TypeVar("T")
K = TypeVar("K")


def _group(rows: Iterable[T], key: Callable[[T], K]) -> dict[K, list[T]]:
    """Rows by key, each group in the rows' order."""
    groups: defaultdict[K, list[T]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return dict(groups)


@dataclass(frozen=True, kw_only=True)
class Filing:
    """Which version of the minutes this is: a draft, or approved by someone at a time; a
    correction is a new version naming the one it corrects (both are kept)."""

    version: int
    status: str  # draft | approved
    approved_by: str | None = None
    approved_at: datetime | None = None
    corrections: str = ""
    corrects: int | None = None


@dataclass(frozen=True, kw_only=True)
class Minutes(ArchiveContent):
    archived_at: datetime | None = None
    filing: Filing | None = None
    # Voice equity (SPEC §10), computed from the archived turns and hands by the same
    # rule as the facilitators' live report (facilitation.equity); see ``with_equity``.
    equity: Equity | None = None

    def with_equity(self) -> Minutes:
        """These minutes with their voice-equity report filled in."""
        turns = [SpokenTurn(t.participant, t.item, t.duration_s or 0.0) for t in self.turns]
        hands = {h.participant: (h.raised, h.uncalled) for h in self.hands}
        everyone = [p.id for p in self.participants]
        found = report(turns, hands, [i.id for i in self.items], everyone)
        return dataclasses.replace(self, equity=found)

    def cheers_of(self, item: str) -> list[CheerTotal]:
        return [c for c in self.cheers if c.item == item]

    def proposals_of(self, item: str | None) -> list[Proposal]:
        return self._by_item.get(("proposals", item), [])

    def proposal(self, proposal: str) -> Proposal | None:
        return next((x for x in self.proposals if x.id == proposal), None)

    def name_of(self, participant: str | None) -> str:
        """Display name of a participant id ("" for None; the id itself if unknown)."""
        if participant is None:
            return ""
        person = self._people.get(participant)
        if person is not None:
            return person.name
        return self._roll.get(participant, participant)  # a member who never came in

    def item_title(self, item: str | None) -> str:
        if item is None:
            return ""
        found = self._agenda.get(item)
        return item if found is None else found.title

    def participant(self, participant: str) -> Participant | None:
        return self._people.get(participant)

    def item(self, item: str) -> AgendaItem | None:
        return self._agenda.get(item)

    def poll(self, poll: str | None) -> Poll | None:
        return None if poll is None else self._polls.get(poll)

    def statement(self, statement: str) -> Statement:
        return self._statements[statement]

    # -- one item's or one turn's rows, in session order ----------------------------

    def turns_of(self, item: str | None) -> list[tuple[int, Turn]]:
        """(index into ``turns``, turn) of the item's turns."""
        return self._by_item.get(("turns", item), [])

    def statements_of(self, item: str | None) -> list[Statement]:
        return self._by_item.get(("statements", item), [])

    def transcript_of(self, item: str | None) -> list[TranscriptSegment]:
        return self._by_item.get(("transcript", item), [])

    def questions_of(self, item: str | None) -> list[Question]:
        return self._by_item.get(("questions", item), [])

    def polls_of(self, item: str | None) -> list[Poll]:
        return self._by_item.get(("polls", item), [])

    def decisions_of(self, item: str | None) -> list[Decision]:
        return self._by_item.get(("decisions", item), [])

    def reactions_of(self, item: str | None) -> list[ReactionCount]:
        return self._by_item.get(("reactions", item), [])

    def statements_in_turn(self, turn: int) -> list[Statement]:
        return self._statements_by_turn.get(turn, [])

    def transcript_in_turn(self, turn: int) -> list[TranscriptSegment]:
        return self._transcript_by_turn.get(turn, [])

    def has_content(self, item: str | None) -> bool:
        kinds = ("turns", "statements", "questions", "polls", "decisions", "reactions",
                 "proposals", "transcript")  # fmt: skip
        if item is not None and any(c.item == item for c in self.cheers):
            return True
        return any((kind, item) in self._by_item for kind in kinds)

    # -- the indexes -----------------------------------------------------------------

    @cached_property
    def _people(self) -> dict[str, Participant]:
        return {p.id: p for p in self.participants}

    @cached_property
    def _roll(self) -> dict[str, str]:
        return {m.participant: m.name for m in self.roll}

    @cached_property
    def _agenda(self) -> dict[str, AgendaItem]:
        return {i.id: i for i in self.items}

    @cached_property
    def _polls(self) -> dict[str, Poll]:
        return {p.id: p for p in self.polls}

    @cached_property
    def _statements(self) -> dict[str, Statement]:
        return {s.id: s for s in self.statements}

    @cached_property
    def _by_item(self) -> dict[tuple[str, str | None], list[Any]]:
        index: dict[tuple[str, str | None], list[Any]] = {}
        kinds: dict[str, Iterable[Any]] = {
            "statements": self.statements,
            "transcript": self.transcript,
            "questions": self.questions,
            "polls": self.polls,
            "decisions": self.decisions,
            "reactions": self.reactions,
            "proposals": self.proposals,
        }
        for kind, rows in kinds.items():
            for item, group in _group(rows, lambda row: row.item).items():
                index[(kind, item)] = group
        for item, turns in _group(enumerate(self.turns), lambda nt: nt[1].item).items():
            index[("turns", item)] = turns
        return index

    @cached_property
    def _statements_by_turn(self) -> dict[int | None, list[Statement]]:
        return _group(self.statements, lambda s: s.turn)

    @cached_property
    def _transcript_by_turn(self) -> dict[int | None, list[TranscriptSegment]]:
        return _group(self.transcript, lambda s: s.turn)

"""The minutes of one session: the archived content plus what only the archive knows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from townhall.archive.bundle import AgendaItem, ArchiveContent, Participant

__all__ = ["Minutes"]


@dataclass(frozen=True, kw_only=True)
class Minutes(ArchiveContent):
    archived_at: datetime | None = None

    def name_of(self, participant: str | None) -> str:
        """Display name of a participant id ("" for None; the id itself if unknown)."""
        if participant is None:
            return ""
        return self._names().get(participant, participant)

    def item_title(self, item: str | None) -> str:
        return "" if item is None else self._items().get(item, item)

    def _names(self) -> dict[str, str]:
        return {p.id: p.name for p in self.participants}

    def _items(self) -> dict[str, str]:
        return {i.id: i.title for i in self.items}

    def participant(self, participant: str) -> Participant | None:
        return next((p for p in self.participants if p.id == participant), None)

    def item(self, item: str) -> AgendaItem | None:
        return next((i for i in self.items if i.id == item), None)

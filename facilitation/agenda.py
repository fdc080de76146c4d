"""The agenda: ordered items with planned durations, and setting them up (add, update,
remove, reorder). Running them is in facilitation.agenda_timing.

Planned vs actual: `duration_s` vs `actual_s` (end - start - paused time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, refuse
from facilitation.guards import organiser_or_member
from facilitation.limits import (
    MAX_DESCRIPTION,
    MAX_DOCUMENTS,
    MAX_DURATION_S,
    MAX_NAME,
    MAX_PRESENTERS,
    MAX_TITLE,
    MAX_URL,
)

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class Document:
    """A document of an agenda item (a budget PDF, a plan): its title and http(s) URL."""

    title: str
    url: str


@dataclass(frozen=True, kw_only=True)
class Item:
    id: str
    title: str
    description: str = ""
    duration_s: int
    status: str = "pending"  # pending | running | paused | done
    started: datetime | None = None
    ended: datetime | None = None
    deadline: datetime | None = None  # while running
    remaining_s: float | None = None  # while paused (negative once overrun)
    paused_at: datetime | None = None
    paused_s: float = 0.0
    extended_s: int = 0
    overrun: bool = False
    presenters: tuple[str, ...] = ()  # names, for cheering (SPEC §9, §10)
    documents: tuple[Document, ...] = ()  # SPEC §9

    @property
    def actual_s(self) -> float | None:
        """Time the item really ran, pauses excluded (None until it is completed)."""
        if self.started is None or self.ended is None:
            return None
        return (self.ended - self.started).total_seconds() - self.paused_s


@dataclass(frozen=True, kw_only=True)
class Agenda:
    items: Mapping[str, Item] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    current: str | None = None  # the running or paused item


@dataclass(frozen=True, kw_only=True)
class AddAgendaItem(Command):
    name: ClassVar[str] = "agenda.add"
    item: str
    title: str
    duration_s: int
    description: str = ""
    presenters: tuple[str, ...] = ()
    documents: tuple[Document, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UpdateAgendaItem(Command):
    name: ClassVar[str] = "agenda.update"
    item: str
    title: str | None = None
    duration_s: int | None = None
    description: str | None = None
    presenters: tuple[str, ...] | None = None
    documents: tuple[Document, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class RemoveAgendaItem(Command):
    name: ClassVar[str] = "agenda.remove"
    item: str


@dataclass(frozen=True, kw_only=True)
class ReorderAgenda(Command):
    name: ClassVar[str] = "agenda.reorder"
    items: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class AgendaItemAdded(Event):
    name: ClassVar[str] = "agenda.added"
    item: str
    title: str
    duration_s: int
    description: str
    presenters: tuple[str, ...] = ()
    documents: tuple[Document, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AgendaItemUpdated(Event):
    name: ClassVar[str] = "agenda.updated"
    item: str
    title: str
    duration_s: int
    description: str
    presenters: tuple[str, ...] = ()
    documents: tuple[Document, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AgendaItemRemoved(Event):
    name: ClassVar[str] = "agenda.removed"
    item: str


@dataclass(frozen=True, kw_only=True)
class AgendaReordered(Event):
    name: ClassVar[str] = "agenda.reordered"
    items: tuple[str, ...]


def get_item(room: RoomState, item: str) -> Item:
    found = room.agenda.items.get(item)
    if found is None:
        raise refuse("item_not_found", item)
    return found


def with_item(room: RoomState, agenda: Agenda, item: Item) -> RoomState:
    return replace(room, agenda=replace(agenda, items={**agenda.items, item.id: item}))


def _check(title: str | None, duration_s: int | None, description: str | None) -> None:
    if title is not None and not 0 < len(title.strip()) <= MAX_TITLE:
        raise refuse("invalid_data", "title")
    if duration_s is not None and not 0 < duration_s <= MAX_DURATION_S:
        raise refuse("invalid_data", "duration_s")
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise refuse("invalid_data", "description")


def check_presenters(presenters: tuple[str, ...]) -> tuple[str, ...]:
    """Presenters' names, trimmed: at most MAX_PRESENTERS, each 1..MAX_NAME, distinct."""
    names = tuple(p.strip() for p in presenters)
    if len(names) > MAX_PRESENTERS or len(set(names)) != len(names):
        raise refuse("invalid_data", "presenters")
    if any(not 0 < len(n) <= MAX_NAME for n in names):
        raise refuse("invalid_data", "presenter name")
    return names


def is_web_url(url: str) -> bool:
    """An absolute http(s) address with a host, and no blank or control character: the
    only kind of address a document or a description's link may carry (no javascript:,
    data: or relative paths)."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or rest[:1] in ("", "/"):
        return False
    return not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url)


def check_documents(documents: tuple[Document, ...]) -> tuple[Document, ...]:
    """Documents with trimmed titles and URLs: at most MAX_DOCUMENTS, each titled
    (1..MAX_TITLE) with an http(s) URL of at most MAX_URL characters."""
    if len(documents) > MAX_DOCUMENTS:
        raise refuse("invalid_data", f"documents: at most {MAX_DOCUMENTS}")
    out = tuple(Document(title=d.title.strip(), url=d.url.strip()) for d in documents)
    for doc in out:
        if not 0 < len(doc.title) <= MAX_TITLE:
            raise refuse("invalid_data", "document title")
        if len(doc.url) > MAX_URL or not is_web_url(doc.url):
            raise refuse("invalid_data", "document url: an http or https address")
    return out


def decide(command: Command, room: RoomState) -> list[Event]:
    organiser_or_member(room, command.actor)
    at = command.at
    if isinstance(command, AddAgendaItem):
        if command.item in room.agenda.items:
            raise refuse("duplicate_id", command.item)
        _check(command.title, command.duration_s, command.description)
        return [
            AgendaItemAdded(
                at=at,
                item=command.item,
                title=command.title.strip(),
                duration_s=command.duration_s,
                description=command.description,
                presenters=check_presenters(command.presenters),
                documents=check_documents(command.documents),
            )
        ]
    if isinstance(command, UpdateAgendaItem):
        item = get_item(room, command.item)
        _check(command.title, command.duration_s, command.description)
        return [
            AgendaItemUpdated(
                at=at,
                item=item.id,
                title=item.title if command.title is None else command.title.strip(),
                duration_s=command.duration_s or item.duration_s,
                description=item.description
                if command.description is None
                else command.description,
                presenters=item.presenters
                if command.presenters is None
                else check_presenters(command.presenters),
                documents=item.documents
                if command.documents is None
                else check_documents(command.documents),
            )
        ]
    if isinstance(command, RemoveAgendaItem):
        item = get_item(room, command.item)
        if item.status in ("running", "paused"):
            raise refuse("item_running")
        if item.status == "done":
            raise refuse("item_done")
        return [AgendaItemRemoved(at=at, item=item.id)]
    assert isinstance(command, ReorderAgenda)
    if len(command.items) != len(room.agenda.order) or set(command.items) != set(room.agenda.order):
        raise refuse("invalid_order")
    return [AgendaReordered(at=at, items=command.items)]


def evolve(room: RoomState, event: Event) -> RoomState:
    agenda = room.agenda
    if isinstance(event, AgendaItemAdded):
        item = Item(
            id=event.item,
            title=event.title,
            description=event.description,
            duration_s=event.duration_s,
            presenters=event.presenters,
            documents=event.documents,
        )
        return with_item(room, replace(agenda, order=(*agenda.order, item.id)), item)
    if isinstance(event, AgendaReordered):
        return replace(room, agenda=replace(agenda, order=event.items))
    assert isinstance(event, AgendaItemUpdated | AgendaItemRemoved)
    found = agenda.items.get(event.item)
    if found is None:
        return room
    if isinstance(event, AgendaItemRemoved):
        items = {k: v for k, v in agenda.items.items() if k != event.item}
        order = tuple(i for i in agenda.order if i != event.item)
        return replace(room, agenda=replace(agenda, items=items, order=order))
    item = replace(
        found,
        title=event.title,
        duration_s=event.duration_s,
        description=event.description,
        presenters=event.presenters,
        documents=event.documents,
    )
    return with_item(room, agenda, item)


COMMANDS = (AddAgendaItem, UpdateAgendaItem, RemoveAgendaItem, ReorderAgenda)
EVENTS = (AgendaItemAdded, AgendaItemUpdated, AgendaItemRemoved, AgendaReordered)

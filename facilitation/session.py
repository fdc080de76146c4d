"""The session lifecycle (scheduled → live → ended), the room's descriptive fields, and
`ping`. Ending closes what is still open, so the minutes see a finished meeting."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from facilitation.agenda_timing import complete
from facilitation.base import Command, Event, refuse
from facilitation.floor import end_current
from facilitation.guards import member, organiser_or_member, require_scheduled
from facilitation.limits import MAX_DESCRIPTION, MAX_LANGUAGE, MAX_TITLE
from facilitation.participants import close_stay
from facilitation.pmap import PMap
from facilitation.polls import PollClosed

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class Session:
    status: str = "scheduled"  # scheduled | live | ended
    started: datetime | None = None
    ended: datetime | None = None
    title: str = ""
    description: str = ""
    language: str = "en"


@dataclass(frozen=True, kw_only=True)
class StartSession(Command):
    name: ClassVar[str] = "session.start"


@dataclass(frozen=True, kw_only=True)
class EndSession(Command):
    name: ClassVar[str] = "session.end"


@dataclass(frozen=True, kw_only=True)
class ConfigureRoom(Command):
    """Server-issued from the organiser API (create / PATCH before start)."""

    name: ClassVar[str] = "room.configure"
    title: str
    description: str = ""
    language: str = "en"


@dataclass(frozen=True, kw_only=True)
class Ping(Command):
    name: ClassVar[str] = "ping"


@dataclass(frozen=True, kw_only=True)
class SessionStarted(Event):
    name: ClassVar[str] = "session.started"


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Event):
    name: ClassVar[str] = "session.ended"


@dataclass(frozen=True, kw_only=True)
class RoomConfigured(Event):
    name: ClassVar[str] = "room.configured"
    title: str
    description: str
    language: str


def decide(command: Command, room: RoomState) -> list[Event]:
    if isinstance(command, Ping):
        return []
    if isinstance(command, ConfigureRoom):
        organiser_or_member(room, command.actor)
        require_scheduled(room)
        if not 0 < len(command.title.strip()) <= MAX_TITLE:
            raise refuse("invalid_data", "title")
        if len(command.description) > MAX_DESCRIPTION:
            raise refuse("invalid_data", "description")
        if not 0 < len(command.language) <= MAX_LANGUAGE:
            raise refuse("invalid_data", "language")
        return [
            RoomConfigured(
                at=command.at,
                title=command.title.strip(),
                description=command.description,
                language=command.language,
            )
        ]
    if command.actor.role != "organiser":
        member(room, command.actor)
    if isinstance(command, StartSession):
        require_scheduled(room)
        return [SessionStarted(at=command.at)]
    assert isinstance(command, EndSession)
    if room.session.status != "live":
        raise refuse("session_not_live")
    at = command.at
    running = room.agenda.current
    closing: list[Event] = (
        complete(room, running, at) if running else end_current(room, at, "session")
    )
    polls = [PollClosed(at=at, poll=p.id) for p in room.polls.values() if p.status == "open"]
    return [*closing, *polls, SessionEnded(at=at)]


def evolve(room: RoomState, event: Event) -> RoomState:
    session = room.session
    if isinstance(event, RoomConfigured):
        session = replace(
            session, title=event.title, description=event.description, language=event.language
        )
        return replace(room, session=session)
    if isinstance(event, SessionStarted):
        return replace(room, session=replace(session, status="live", started=event.at))
    assert isinstance(event, SessionEnded)
    people = PMap((k, close_stay(p, event.at)) for k, p in room.people.by_id.items())
    return replace(
        room,
        session=replace(session, status="ended", ended=event.at),
        people=replace(room.people, by_id=people),
    )


COMMANDS = (StartSession, EndSession, ConfigureRoom, Ping)
EVENTS = (SessionStarted, SessionEnded, RoomConfigured)

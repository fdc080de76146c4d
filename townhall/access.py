"""What the live hub reads of a room when someone connects, in one query each.

A ``hello`` with a link token or a resume token is answered from one row: the link (or
the role's live link version) and the town hall's archive state. (The ballot secret is
not in SQL: townhall/ballots.py.)
Nothing is cached, so a rotated link, an archive or a deleted town hall takes effect
at the next ``hello`` on every worker. ``link_versions`` reads every role's live link
of many rooms at once for the periodic check that closes rotated-out connections.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from townhall.db import SessionFactory
from townhall.db.models import metadata
from townhall.tokens import digest

__all__ = [
    "MemberAccess",
    "RoomAccess",
    "link_access",
    "link_versions",
    "member_access",
    "resume_access",
]

_town = metadata.tables["townhall"]
_links = metadata.tables["link"]


@dataclass(frozen=True)
class RoomAccess:
    """What a WebSocket ``hello`` needs to know of its room, read in one query."""

    room: str
    role: str
    version: int  # the link version the token carries (resume) or is (link token)
    current_version: int  # the role's live link version now; 0 when there is none
    archived_at: datetime | None  # set once the session is archived
    status: str = ""  # the town hall's status in SQL (scheduled, live, ended, archived)
    access: str = "open"  # the town hall's access mode: "roll" admits members only
    log_expires_at: datetime | None = None  # when its live log goes (set by the archive)


def _archived(status: str, at: datetime | None) -> datetime | None:
    return at if status == "archived" else None


async def link_access(
    sessions: SessionFactory, token: str, *, now: datetime | None = None
) -> RoomAccess | None:
    """What the link ``token`` opens, or None when it is unknown, revoked, expired or
    its town hall is gone. One query: the link joined with its town hall."""
    query = (
        sa.select(
            _links.c.room,
            _links.c.role,
            _links.c.version,
            _links.c.revoked_at,
            _links.c.expires_at,
            _town.c.status,
            _town.c.archived_at,
            _town.c.access,
            _town.c.log_expires_at,
        )
        .join(_town, _town.c.id == _links.c.room)
        .where(_links.c.token_hash == digest(token))
    )
    async with sessions() as session:
        row = (await session.execute(query)).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= (now or datetime.now(UTC)):
        return None
    return RoomAccess(
        room=row.room,
        role=row.role,
        version=row.version,
        current_version=row.version,
        archived_at=_archived(row.status, row.archived_at),
        status=row.status,
        access=row.access,
        log_expires_at=row.log_expires_at,
    )


async def resume_access(
    sessions: SessionFactory, room: str, role: str, version: int
) -> RoomAccess | None:
    """The room as a resume token for ``role`` at link ``version`` finds it (None: the
    town hall is gone). One query: the town hall and its role's live link version."""
    live = (
        sa.select(sa.func.max(_links.c.version))
        .where(_links.c.room == room, _links.c.role == role, _links.c.revoked_at.is_(None))
        .scalar_subquery()
    )
    query = sa.select(
        _town.c.status, _town.c.archived_at, _town.c.log_expires_at, live.label("live")
    ).where(_town.c.id == room)
    async with sessions() as session:
        row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    return RoomAccess(
        room=room,
        role=role,
        version=version,
        current_version=int(row.live or 0),
        archived_at=_archived(row.status, row.archived_at),
        status=row.status,
        log_expires_at=row.log_expires_at,
    )


async def link_versions(sessions: SessionFactory, rooms: Collection[str]) -> dict[str, int]:
    """The live link version of every role of ``rooms``, keyed ``"room/role"``, in one
    grouped query; a role without a live link is absent (its version counts as 0)."""
    if not rooms:
        return {}
    query = (
        sa.select(_links.c.room, _links.c.role, sa.func.max(_links.c.version))
        .where(_links.c.room.in_(list(rooms)), _links.c.revoked_at.is_(None))
        .group_by(_links.c.room, _links.c.role)
    )
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    return {f"{room}/{role}": int(version) for room, role, version in rows}


_members = metadata.tables["member"]


@dataclass(frozen=True)
class MemberAccess:
    """A roll member's personal link: the room as ``link_access`` gives it, and who."""

    room: RoomAccess
    participant: str
    name: str


async def member_access(sessions: SessionFactory, token: str) -> MemberAccess | None:
    """The member whose personal link ``token`` is, or None (unknown, or the town hall is
    gone). One query: the member joined with its town hall."""
    query = (
        sa.select(
            _members.c.room,
            _members.c.participant,
            _members.c.name,
            _town.c.status,
            _town.c.archived_at,
            _town.c.log_expires_at,
        )
        .join(_town, _town.c.id == _members.c.room)
        .where(_members.c.token_hash == digest(token))
    )
    async with sessions() as session:
        row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    found = RoomAccess(
        room=row.room,
        role="participant",
        version=0,
        current_version=0,
        archived_at=_archived(row.status, row.archived_at),
        status=row.status,
        access="roll",
        log_expires_at=row.log_expires_at,
    )
    return MemberAccess(room=found, participant=row.participant, name=row.name)

"""Filing the minutes: versions (draft → approved, corrections as new versions, every
version kept) and their rendered documents, made once per version and then served from
the ``minutes_render`` table.

Version 1 is made, as a draft, the first time anyone asks for the minutes of an archived
session, with the place, chair and secretary of the town hall. Approving records who
approved and when on the latest version; a correction is a new draft version that names
the one it corrects and says what changed. A document is rendered for (room, version,
format, public edition) once; approving a version drops that version's renders (its
status changed), a new version starts with none.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import sqlalchemy as sa

from townhall.db import SessionFactory
from townhall.db.models import MinutesRenderRow, MinutesVersionRow, TownHallRow, metadata
from townhall.minutes.model import Filing, Minutes

__all__ = [
    "AlreadyApproved",
    "NotApproved",
    "apply",
    "approve",
    "cached",
    "correct",
    "remember",
    "versions",
]

_versions = metadata.tables["minutes_version"]
_renders = metadata.tables["minutes_render"]


class AlreadyApproved(Exception):
    """The latest version is approved already: correct it with a new version instead."""


class NotApproved(Exception):
    """Only an approved version can be corrected (a draft is simply approved later)."""


def _now() -> datetime:
    return datetime.now(UTC)


async def versions(sessions: SessionFactory, room: str) -> list[MinutesVersionRow]:
    """Every version, oldest first; makes version 1 (a draft) when there is none yet."""
    async with sessions.begin() as session:
        rows = list(
            (
                await session.execute(
                    sa.select(MinutesVersionRow)
                    .where(_versions.c.room == room)
                    .order_by(_versions.c.version)
                )
            ).scalars()
        )
        if rows:
            return rows
        town = await session.get(TownHallRow, room)
        first = MinutesVersionRow(
            room=room,
            version=1,
            status="draft",
            place=town.place if town else "",
            chair=town.chair if town else "",
            secretary=town.secretary if town else "",
            created_at=_now(),
        )
        session.add(first)
    return [first]


async def approve(sessions: SessionFactory, room: str, approved_by: str) -> MinutesVersionRow:
    latest = (await versions(sessions, room))[-1]
    if latest.status == "approved":
        raise AlreadyApproved(room)
    async with sessions.begin() as session:
        await session.execute(
            sa.update(_versions)
            .where(_versions.c.room == room, _versions.c.version == latest.version)
            .values(status="approved", approved_by=approved_by, approved_at=_now())
        )
        await session.execute(
            sa.delete(_renders).where(_renders.c.room == room, _renders.c.version == latest.version)
        )
    return (await versions(sessions, room))[-1]


async def correct(
    sessions: SessionFactory,
    room: str,
    corrections: str,
    *,
    place: str | None = None,
    chair: str | None = None,
    secretary: str | None = None,
) -> MinutesVersionRow:
    latest = (await versions(sessions, room))[-1]
    if latest.status != "approved":
        raise NotApproved(room)
    row = MinutesVersionRow(
        room=room,
        version=latest.version + 1,
        status="draft",
        place=latest.place if place is None else place,
        chair=latest.chair if chair is None else chair,
        secretary=latest.secretary if secretary is None else secretary,
        corrections=corrections,
        corrects=latest.version,
        created_at=_now(),
    )
    async with sessions.begin() as session:
        session.add(row)
    return row


def apply(minutes: Minutes, version: MinutesVersionRow) -> Minutes:
    """The minutes as that version files them: its status, approver and clerks."""
    filing = Filing(
        version=version.version,
        status=version.status,
        approved_by=version.approved_by,
        approved_at=version.approved_at,
        corrections=version.corrections,
        corrects=version.corrects,
    )
    session = dataclasses.replace(
        minutes.session, place=version.place, chair=version.chair, secretary=version.secretary
    )
    return dataclasses.replace(minutes, filing=filing, session=session)


async def cached(
    sessions: SessionFactory, room: str, version: int, fmt: str, public: bool
) -> bytes | None:
    query = sa.select(_renders.c.content).where(
        _renders.c.room == room,
        _renders.c.version == version,
        _renders.c.format == fmt,
        _renders.c.public == public,
    )
    async with sessions() as session:
        found = await session.scalar(query)
    return bytes(found) if found is not None else None


async def remember(
    sessions: SessionFactory, room: str, version: int, fmt: str, public: bool, content: bytes
) -> None:
    """Keep a render; a concurrent render of the same document is simply dropped."""
    try:
        async with sessions.begin() as session:
            session.add(
                MinutesRenderRow(
                    room=room,
                    version=version,
                    format=fmt,
                    public=public,
                    content=content,
                    created_at=_now(),
                )
            )
    except sa.exc.IntegrityError:
        return

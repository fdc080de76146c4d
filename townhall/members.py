"""The roll of a town hall in SQL: members, their refs and their personal links.

A personal link's token exists in clear only in the answer to the request that made it;
the table holds its SHA-256, like every other link. The member's participant id is
made here, once, so every device that opens the link is the same participant. The room
learns of members through ``roll.add`` (facilitation.roll); proxies live in the room's
log only, recorded against these participant ids.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from townhall.db import SessionFactory
from townhall.db.models import MemberRow, metadata
from townhall.tokens import digest, new_member_token

__all__ = [
    "DuplicateRef",
    "NewMember",
    "add_members",
    "list_members",
    "member_link",
    "remove_members",
]

_members = metadata.tables["member"]


class DuplicateRef(Exception):
    """A ref already on this town hall's roll, or given twice."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"ref {ref!r} is already on the roll")
        self.ref = ref


@dataclass(frozen=True)
class NewMember:
    participant: str
    name: str
    ref: str
    url: str


def member_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/?token={token}"


def new_member_id() -> str:
    return "m" + secrets.token_hex(6)


async def add_members(
    sessions: SessionFactory,
    room: str,
    entries: Sequence[tuple[str, str | None]],
    *,
    base_url: str,
) -> list[NewMember]:
    """Add ``(name, ref or None)`` members at the end of the roll; a member without a
    ref gets their participant id as ref. Raises ``DuplicateRef`` and adds nothing when
    a ref is taken or repeated."""
    now = datetime.now(UTC)
    made: list[NewMember] = []
    rows: list[MemberRow] = []
    seen: set[str] = set()
    for name, ref in entries:
        participant = new_member_id()
        ref = ref if ref is not None else participant
        if ref in seen:
            raise DuplicateRef(ref)
        seen.add(ref)
        token = new_member_token()
        rows.append(
            MemberRow(
                room=room, participant=participant, n=0, ref=ref, name=name,
                token_hash=digest(token), created_at=now,
            )
        )  # fmt: skip
        made.append(NewMember(participant, name, ref, member_link(base_url, token)))
    try:
        async with sessions.begin() as session:
            taken = await session.scalar(
                sa.select(_members.c.ref)
                .where(_members.c.room == room, _members.c.ref.in_(list(seen)))
                .limit(1)
            )
            if taken is not None:
                raise DuplicateRef(taken)
            last = await session.scalar(
                sa.select(sa.func.max(_members.c.n)).where(_members.c.room == room)
            )
            for n, row in enumerate(rows, (last if last is not None else -1) + 1):
                row.n = n
                session.add(row)
    except IntegrityError:  # another request took a ref meanwhile
        raise DuplicateRef(next(iter(seen))) from None
    return made


async def remove_members(sessions: SessionFactory, room: str, participants: list[str]) -> None:
    """Undo ``add_members`` (the room refused them)."""
    async with sessions.begin() as session:
        await session.execute(
            sa.delete(_members).where(
                _members.c.room == room, _members.c.participant.in_(participants)
            )
        )


async def list_members(sessions: SessionFactory, room: str) -> list[MemberRow]:
    """The roll, in order."""
    query = sa.select(MemberRow).where(_members.c.room == room).order_by(_members.c.n)
    async with sessions() as session:
        return list((await session.execute(query)).scalars())

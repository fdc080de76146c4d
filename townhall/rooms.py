"""Town halls, their invite links and organiser API keys, on the database.

Link tokens and API keys exist in clear only in the answer to the request that made
them; the tables hold SHA-256 hashes. Nothing here is cached: a rotated link or a
deleted town hall must stop working on every worker at the next lookup, and a lookup is
one indexed query.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from townhall.db import SessionFactory
from townhall.db.models import ApiKeyRow, LinkRow, TownHallRow, metadata
from townhall.links import derive_link_token, short_code
from townhall.ports import LinkGrant
from townhall.tokens import digest, new_api_key, new_link_token

__all__ = [
    "CAPTIONER",
    "ENV_KEY_ID",
    "ROLES",
    "AlreadyStarted",
    "captioner_link",
    "create_api_key",
    "create_townhall",
    "delete_townhall",
    "get_townhall",
    "identify_api_key",
    "link_url",
    "list_api_keys",
    "list_public",
    "list_townhalls",
    "live_links",
    "new_room_id",
    "resolve_link",
    "resolve_short",
    "revoke_api_key",
    "rotate_links",
    "stream_urls",
    "update_townhall",
    "verify_api_key",
]

ROLES = ("facilitator", "participant", "observer")
# The captioner link (SPEC §10) is made on request, not with the town hall: its holder
# (a person typing or a speech-to-text bot) may only append transcript text.
CAPTIONER = "captioner"

# Core tables: typed column expressions for queries (the ORM rows are for results).
_town = metadata.tables["townhall"]
_links = metadata.tables["link"]
_keys = metadata.tables["api_key"]
EDITABLE = frozenset(
    {
        "title", "description", "language", "visibility", "settings", "access", "starts_at",
        "timezone", "stream_url", "place", "chair", "secretary",
    }
)  # fmt: skip


class AlreadyStarted(Exception):
    """The town hall has left ``scheduled``: its definition is history now."""

    def __init__(self, room: str, status: str) -> None:
        super().__init__(f"town hall {room!r} is {status}")
        self.room = room
        self.status = status


def _now() -> datetime:
    return datetime.now(UTC)


def new_room_id() -> str:
    # Lower-case hex: safe in URLs, Redis keys and file names alike.
    return secrets.token_hex(8)


def link_url(base_url: str, token: str) -> str:
    """The page URL of a link: the page reads ``token`` and sends it in ``hello``."""
    return f"{base_url.rstrip('/')}/?token={token}"


async def create_townhall(
    sessions: SessionFactory,
    *,
    title: str,
    description: str = "",
    language: str = "en",
    visibility: str = "private",
    base_url: str,
    settings: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
    access: str = "open",
    secret: bytes | None = None,
    owner: str | None = None,
    fields: dict[str, Any] | None = None,
) -> tuple[TownHallRow, dict[str, str]]:
    """A new scheduled town hall with one fresh link per role; returns its row and links.

    With the server ``secret`` the link tokens are derived (``townhall.links``), so they
    can be shown again; ``fields`` sets the other columns (``starts_at``, ``timezone``...).
    """
    now = _now()
    room = new_room_id()
    row = TownHallRow(
        id=room,
        access=access,
        title=title,
        description=description,
        language=language,
        visibility=visibility,
        status="scheduled",
        created_at=now,
        settings=dict(settings or {}),
        owner=owner,
        **(fields or {}),
    )
    tokens = {role: _token(secret, room, role, 1) for role in ROLES}
    async with sessions.begin() as session:
        session.add(row)
        await session.flush()  # the town hall row first: links reference it
        for role, token in tokens.items():
            session.add(_link(row.id, role, 1, token, now, expires_at, secret))
    return row, {role: link_url(base_url, token) for role, token in tokens.items()}


def _token(secret: bytes | None, room: str, role: str, version: int) -> str:
    return derive_link_token(secret, room, role, version) if secret else new_link_token()


def _link(
    room: str,
    role: str,
    version: int,
    token: str,
    now: datetime,
    expires_at: datetime | None,
    secret: bytes | None = None,
) -> LinkRow:
    short = None
    if secret and role == "participant":
        short = digest(short_code(secret, room, version))
    return LinkRow(
        room=room,
        role=role,
        version=version,
        token_hash=digest(token),
        short_hash=short,
        created_at=now,
        expires_at=expires_at,
    )


async def rotate_links(
    sessions: SessionFactory,
    room: str,
    roles: Iterable[str],
    *,
    base_url: str,
    expires_at: datetime | None = None,
    secret: bytes | None = None,
) -> dict[str, str]:
    """Revoke the current link of each role and issue a new version; returns the new links.

    Resume tokens carry the link version they were issued under, so every participant
    who joined through an old link is refused at their next ``hello`` as well.
    """
    now = _now()
    tokens: dict[str, str] = {}
    async with sessions.begin() as session:
        for role in dict.fromkeys(roles):
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r}")
            latest = await session.scalar(
                sa.select(sa.func.max(_links.c.version)).where(
                    _links.c.room == room, _links.c.role == role
                )
            )
            await session.execute(
                sa.update(_links)
                .where(
                    _links.c.room == room,
                    _links.c.role == role,
                    _links.c.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            version = (latest or 0) + 1
            tokens[role] = _token(secret, room, role, version)
            session.add(_link(room, role, version, tokens[role], now, expires_at, secret))
    return {role: link_url(base_url, token) for role, token in tokens.items()}


async def captioner_link(
    sessions: SessionFactory,
    room: str,
    *,
    base_url: str,
    secret: bytes | None = None,
    rotate: bool = False,
) -> tuple[str, str, bool]:
    """The town hall's captioner link as ``(token, url, made)``: the live one again when
    it can be shown (derived with the server ``secret``), else a new version that revokes
    the old (also when ``rotate``); ``made`` says whether a new version was issued."""
    if secret is not None and not rotate:
        found = (await live_links(sessions, secret, room)).get(CAPTIONER)
        if found is not None:
            return found[0], link_url(base_url, found[0]), False
    now = _now()
    async with sessions.begin() as session:
        latest = await session.scalar(
            sa.select(sa.func.max(_links.c.version)).where(
                _links.c.room == room, _links.c.role == CAPTIONER
            )
        )
        await session.execute(
            sa.update(_links)
            .where(_links.c.room == room, _links.c.role == CAPTIONER, _links.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        version = (latest or 0) + 1
        token = _token(secret, room, CAPTIONER, version)
        session.add(_link(room, CAPTIONER, version, token, now, None, secret))
    return token, link_url(base_url, token), True


async def resolve_link(
    sessions: SessionFactory, token: str, *, now: datetime | None = None
) -> LinkGrant | None:
    """What ``token`` grants, or None when it is unknown, revoked, expired or its town
    hall is gone."""
    query = (
        sa.select(LinkRow)
        .join(_town, _town.c.id == _links.c.room)
        .where(_links.c.token_hash == digest(token))
    )
    async with sessions() as session:
        link = (await session.execute(query)).scalar_one_or_none()
    if link is None or link.revoked_at is not None:
        return None
    if link.expires_at is not None and link.expires_at <= (now or _now()):
        return None
    return LinkGrant(
        room=link.room, role=link.role, version=link.version, expires_at=link.expires_at
    )


async def live_links(
    sessions: SessionFactory, secret: bytes, room: str, *, now: datetime | None = None
) -> dict[str, tuple[str, int]]:
    """Each role's live link as ``(token, version)``, where the token can be derived (links
    made without the secret, before this existed, cannot be shown again: rotate them)."""
    query = (
        sa.select(_links.c.role, _links.c.version, _links.c.token_hash, _links.c.expires_at)
        .where(_links.c.room == room, _links.c.revoked_at.is_(None))
        .order_by(_links.c.version)
    )
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    found: dict[str, tuple[str, int]] = {}
    moment = now or _now()
    for role, version, token_hash, expires in rows:
        if expires is not None and expires.replace(tzinfo=expires.tzinfo or UTC) <= moment:
            continue
        token = derive_link_token(secret, room, role, version)
        if hmac.compare_digest(digest(token), token_hash):
            found[role] = (token, version)
    return found


async def resolve_short(sessions: SessionFactory, secret: bytes, code: str) -> str | None:
    """The participant link token a short join code stands for, while that link lives."""
    query = sa.select(_links.c.room, _links.c.version, _links.c.expires_at).where(
        _links.c.short_hash == digest(code.lower()), _links.c.revoked_at.is_(None)
    )
    async with sessions() as session:
        row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    if row.expires_at is not None and row.expires_at.replace(tzinfo=UTC) <= _now():
        return None
    return derive_link_token(secret, row.room, "participant", row.version)


async def stream_urls(sessions: SessionFactory) -> list[str]:
    """The stream URLs of the town halls not yet over (the pages' CSP frames only these)."""
    query = (
        sa.select(_town.c.stream_url)
        .where(_town.c.stream_url.is_not(None), _town.c.status.in_(("scheduled", "live")))
        .distinct()
    )
    async with sessions() as session:
        return [str(url) for url in (await session.execute(query)).scalars()]


async def archived_at(sessions: SessionFactory, room: str) -> datetime | None:
    """When the session was archived (None: not archived, or no such town hall)."""
    query = sa.select(_town.c.archived_at).where(_town.c.id == room, _town.c.status == "archived")
    async with sessions() as session:
        value: datetime | None = await session.scalar(query)
    return value  # UTCDateTime: aware UTC


async def get_townhall(sessions: SessionFactory, room: str) -> TownHallRow | None:
    async with sessions() as session:
        return await session.get(TownHallRow, room)


async def list_townhalls(
    sessions: SessionFactory, *, public_only: bool = False, owner: str | None = None
) -> list[TownHallRow]:
    """Town halls, newest first (only ``owner``'s when given)."""
    query = sa.select(TownHallRow).order_by(_town.c.created_at.desc(), _town.c.id)
    if public_only:
        query = query.where(_town.c.visibility == "public")
    if owner is not None:
        query = query.where(_town.c.owner == owner)
    async with sessions() as session:
        return list((await session.execute(query)).scalars())


async def list_public(sessions: SessionFactory) -> list[TownHallRow]:
    return await list_townhalls(sessions, public_only=True)


async def update_townhall(
    sessions: SessionFactory, room: str, changes: dict[str, Any]
) -> TownHallRow | None:
    """Apply ``changes`` while the town hall is still scheduled; None when it does not
    exist, ``AlreadyStarted`` once its session has begun."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    async with sessions.begin() as session:
        # The status test is part of the UPDATE so a session starting meanwhile wins.
        if changes:
            await session.execute(
                sa.update(_town)
                .where(_town.c.id == room, _town.c.status == "scheduled")
                .values(**changes)
            )
        row = await session.get(TownHallRow, room, populate_existing=True)
        if row is None:
            return None
        if row.status != "scheduled":
            raise AlreadyStarted(room, row.status)
        return row


async def delete_townhall(sessions: SessionFactory, room: str) -> bool:
    """Remove the town hall and every row of its room (links, log, archive)."""
    async with sessions.begin() as session:
        for name, table in metadata.tables.items():
            if name != "townhall" and "room" in table.c:
                await session.execute(sa.delete(table).where(table.c.room == room))
        result = await session.execute(sa.delete(_town).where(_town.c.id == room))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def create_api_key(sessions: SessionFactory, label: str = "", *, admin: bool = False) -> str:
    """A new organiser key; only its hash is kept, so this is the one time it is seen. A
    key sees the town halls it created; an ``admin`` key sees and manages all of them."""
    key = new_api_key()
    async with sessions.begin() as session:
        session.add(
            ApiKeyRow(
                id=secrets.token_hex(8),
                key_hash=digest(key),
                label=label,
                created_at=_now(),
                admin=admin,
            )
        )
    return key


async def list_api_keys(sessions: SessionFactory) -> list[ApiKeyRow]:
    """Every key (hashes only), oldest first."""
    query = sa.select(ApiKeyRow).order_by(_keys.c.created_at, _keys.c.id)
    async with sessions() as session:
        return list((await session.execute(query)).scalars())


async def revoke_api_key(sessions: SessionFactory, key_id: str) -> bool:
    """Revoke a key by its id; False when there is no live key with that id."""
    async with sessions.begin() as session:
        result = await session.execute(
            sa.update(_keys)
            .where(_keys.c.id == key_id, _keys.c.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


ENV_KEY_ID = "env"  # the owner id of town halls made with TOWNHALL_ORGANISER_KEY


async def identify_api_key(
    sessions: SessionFactory, key: str, *, env_key: str | None = None
) -> tuple[str, bool] | None:
    """``(key id, admin)`` of a live key, or None. The configured
    ``TOWNHALL_ORGANISER_KEY`` is the server operator's: id ``env``, admin."""
    if not key:
        return None
    if env_key and hmac.compare_digest(key.encode(), env_key.encode()):
        return ENV_KEY_ID, True
    async with sessions() as session:
        found = (
            await session.execute(
                sa.select(_keys.c.id, _keys.c.admin).where(
                    _keys.c.key_hash == digest(key), _keys.c.revoked_at.is_(None)
                )
            )
        ).one_or_none()
    return None if found is None else (str(found.id), bool(found.admin))


async def verify_api_key(sessions: SessionFactory, key: str, *, env_key: str | None = None) -> bool:
    """True for a live key of the table or for the configured ``TOWNHALL_ORGANISER_KEY``."""
    if not key:
        return False
    if env_key and hmac.compare_digest(key.encode(), env_key.encode()):
        return True
    # The lookup is by hash of the presented key: timing reveals nothing about stored keys.
    async with sessions() as session:
        found = await session.scalar(
            sa.select(_keys.c.id).where(
                _keys.c.key_hash == digest(key), _keys.c.revoked_at.is_(None)
            )
        )
    return found is not None

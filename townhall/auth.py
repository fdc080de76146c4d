"""Who is on a WebSocket: the first message's token becomes a ``Principal``.

A link token (shared by everyone holding the link) makes a new participant at each
``hello``; the ``resume_token`` handed back in ``welcome`` is personal and brings the
same participant back after a reconnect. Both stop working when the link is rotated.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from facilitation.base import Actor, Role
from realtime.domain import Principal, Refused
from townhall import rooms
from townhall.db import SessionFactory
from townhall.domain import AUDIENCE_FOR, Member
from townhall.tokens import RESUME_PREFIX, ResumeClaim, sign_resume, verify_resume

MAX_NAME = 80
DEFAULT_NAMES = {Role.FACILITATOR: "Facilitator", Role.OBSERVER: "Observer"}


def _clean_name(raw: object, role: Role) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name:
        if role in DEFAULT_NAMES:
            return DEFAULT_NAMES[role]
        raise Refused("name_required", "a participant joins with a display name")
    if len(name) > MAX_NAME or not name.isprintable():
        raise Refused("invalid_name", f"a name is 1 to {MAX_NAME} printable characters")
    return name


class Authenticator:
    """``realtime.domain.Authenticator`` backed by the link table and the server secret."""

    def __init__(
        self, sessions: SessionFactory, secret: bytes, log_retention_s: float = 86_400
    ) -> None:
        self._sessions = sessions
        self._secret = secret
        self._retention = timedelta(seconds=log_retention_s)
        self._ballot_secrets: dict[str, bytes | None] = {}
        self._retired: set[str] = set()

    async def __call__(self, token: str, hello: dict[str, Any]) -> Principal:
        if token.startswith(RESUME_PREFIX):
            claim = verify_resume(self._secret, token)
            if claim is None:
                raise Refused("bad_token", "this link is not valid")
            await self._refuse_retired(claim.room)
            current = await rooms.current_link_version(self._sessions, claim.room, claim.role)
            if current != claim.link_version:
                raise Refused("bad_token", "this link was replaced; ask for a new one")
            return await self._principal(claim, token)
        grant = await rooms.resolve_link(self._sessions, token)
        if grant is None:
            raise Refused("bad_token", "this link is not valid, expired or was replaced")
        if grant.expires_at is not None and grant.expires_at <= datetime.now(UTC):
            raise Refused("bad_token", "this link has expired")
        await self._refuse_retired(grant.room)
        role = Role(grant.role)
        prefix = "o" if role is Role.OBSERVER else "p"
        claim = ResumeClaim(
            room=grant.room,
            participant=f"{prefix}{secrets.token_hex(6)}",
            role=grant.role,
            name=_clean_name(hello.get("name"), role),
            link_version=grant.version,
        )
        return await self._principal(claim, sign_resume(self._secret, claim))

    async def _principal(self, claim: ResumeClaim, resume_token: str) -> Principal:
        role = Role(claim.role)
        member = Member(
            actor=Actor(claim.participant, role),
            name=claim.name,
            ballot_secret=await self._ballot_secret(claim.room),
            link_version=claim.link_version,
        )
        return Principal(
            room=claim.room,
            key=claim.participant,
            audience=AUDIENCE_FOR[role],
            can_send=role is not Role.OBSERVER,
            you={"participant": claim.participant, "role": claim.role, "name": claim.name},
            resume_token=resume_token,
            info=member,
        )

    async def _refuse_retired(self, room: str) -> None:
        """Past its retention the live log of an archived session is gone (its keys
        expire in Redis): the minutes are the record, and the room is not reopened."""
        if room not in self._retired:
            archived = await rooms.archived_at(self._sessions, room)
            if archived is None or datetime.now(UTC) < archived + self._retention:
                return
            self._retired.add(room)
        raise Refused("session_archived", "this town hall has ended; its minutes are the record")

    async def _ballot_secret(self, room: str) -> bytes | None:
        # Constant for a room's live life (the archive destroys it after the session).
        if room not in self._ballot_secrets:
            self._ballot_secrets[room] = await rooms.ballot_secret(self._sessions, room)
        return self._ballot_secrets[room]

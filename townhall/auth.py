"""Who is on a WebSocket: the first message's token becomes a ``Principal``.

A link token (shared by everyone holding the link) makes a new participant at each
``hello``; the ``resume_token`` handed back in ``welcome`` is personal and brings the
same participant back after a reconnect. Both stop working when the link is rotated.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from facilitation.base import Actor, Role
from facilitation.limits import MAX_NAME
from realtime.application import Principal, Refused
from townhall import access
from townhall.ballots import BallotVault
from townhall.db import SessionFactory
from townhall.domain import AUDIENCE_FOR, Member
from townhall.joins import JoinLimits, JoinRates
from townhall.shared_reads import SharedReads
from townhall.tokens import (
    MEMBER_PREFIX,
    RESUME_PREFIX,
    ResumeClaim,
    sign_resume,
    verify_resume,
)

DEFAULT_NAMES = {
    Role.FACILITATOR: "Facilitator",
    Role.OBSERVER: "Observer",
    Role.CAPTIONER: "Captioner",
}


def _clean_name(raw: object, role: Role) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name:
        if role in DEFAULT_NAMES:
            return DEFAULT_NAMES[role]
        raise Refused("name_required", "a participant joins with a display name")
    if len(name) > MAX_NAME or not name.isprintable():
        raise Refused("invalid_name", f"a name is 1 to {MAX_NAME} printable characters")
    return name


class LinkAuthenticator:
    """``realtime.application.Authenticator`` backed by the link table and the server secret."""

    def __init__(
        self,
        sessions: SessionFactory,
        secret: bytes,
        log_retention_s: float = 86_400,
        vault: BallotVault | None = None,
    ) -> None:
        self._sessions = sessions
        self._secret = secret
        self._retention = timedelta(seconds=log_retention_s)
        # Refuses a hello to a room whose live record was lost (townhall.lost), given
        # the room and its status in SQL.
        self.verify: Callable[[str, str], Awaitable[None]] | None = None
        self._vault = vault
        self.limits = JoinLimits(JoinRates())  # replaced by the app with its settings
        # Hellos arriving together share each read (one query per round trip, not per
        # person: a join storm), every answer still read after its hello arrived.
        self._links: SharedReads[str, access.RoomAccess | None] = SharedReads(
            lambda token: access.link_access(self._sessions, token)
        )
        self._resumes: SharedReads[tuple[str, str, int], access.RoomAccess | None] = SharedReads(
            lambda key: access.resume_access(self._sessions, *key)
        )
        self._secrets: SharedReads[tuple[str, bool], bytes | None] = SharedReads(self._read_secret)

    async def _read_secret(self, key: tuple[str, bool]) -> bytes | None:
        assert self._vault is not None
        room, create = key
        return await self._vault.secret(room, create=create)

    async def __call__(self, token: str, hello: dict[str, Any]) -> Principal:
        # One query per hello (townhall.access), shared with the hellos that arrived
        # while the previous one ran; nothing about the room is cached here, so a
        # rotation, an archive or a deletion counts from the next hello on.
        peer = str(hello.get("peer") or "")  # set by the hub, never by the client
        self.limits.hello(peer)
        if token.startswith(MEMBER_PREFIX):
            return await self._member(token)
        if token.startswith(RESUME_PREFIX):
            claim = verify_resume(self._secret, token)
            if claim is None:
                raise Refused("bad_token", "this link is not valid")
            found = await self._resumes.get((claim.room, claim.role, claim.link_version))
            if found is None:
                raise Refused("bad_token", "this link is not valid")
            self._refuse_retired(found)
            if found.current_version != claim.link_version:
                raise Refused("bad_token", "this link was replaced; ask for a new one")
            await self._refuse_lost(found)
            return await self._principal(claim, token, found)
        found = await self._links.get(token)
        if found is None:
            raise Refused("bad_token", "this link is not valid, expired or was replaced")
        self._refuse_retired(found)
        await self._refuse_lost(found)
        role = Role(found.role)
        if role is Role.PARTICIPANT and found.access == "roll":
            # Before asking a name: the page says "use your personal link" at once.
            raise Refused("roll_only", "this town hall admits members only: use your personal link")
        prefix = {Role.OBSERVER: "o", Role.CAPTIONER: "c"}.get(role, "p")
        name = _clean_name(hello.get("name"), role)
        if role is Role.PARTICIPANT:  # a new person in the room (observers are not)
            self.limits.new_participant(peer, f"{found.room}/{found.role}/{found.version}")
        claim = ResumeClaim(
            room=found.room,
            participant=f"{prefix}{secrets.token_hex(6)}",
            role=found.role,
            name=name,
            link_version=found.version,
        )
        return await self._principal(claim, sign_resume(self._secret, claim), found)

    async def _member(self, token: str) -> Principal:
        """A roll member's personal link: always the same participant, from any device;
        the link itself is the member's resume token (it stays valid when the shared
        links are rotated)."""
        found = await access.member_access(self._sessions, token)
        if found is None:
            raise Refused("bad_token", "this personal link is not valid")
        self._refuse_retired(found.room)
        await self._refuse_lost(found.room)
        claim = ResumeClaim(
            room=found.room.room,
            participant=found.participant,
            role=Role.PARTICIPANT,
            name=found.name,
            link_version=0,
        )
        return await self._principal(claim, token, found.room, personal=True)

    async def _principal(
        self,
        claim: ResumeClaim,
        resume_token: str,
        found: access.RoomAccess,
        *,
        personal: bool = False,
    ) -> Principal:
        role = Role(claim.role)
        # The ballot secret, from the vault (created at the room's first hello); an
        # archived room's was destroyed, and none is made again.
        ballot_secret = None
        if self._vault is not None and role not in (Role.OBSERVER, Role.CAPTIONER):
            ballot_secret = await self._secrets.get((claim.room, found.archived_at is None))
        member = Member(
            actor=Actor(claim.participant, role),
            name=claim.name,
            ballot_secret=ballot_secret,
            link_version=claim.link_version,
            personal=personal,
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

    async def _refuse_lost(self, found: access.RoomAccess) -> None:
        if self.verify is not None:
            await self.verify(found.room, found.status)

    def _refuse_retired(self, found: access.RoomAccess) -> None:
        """Past its retention the live log of an archived session is gone (its keys
        expire in Redis): the minutes are the record, and the room is not reopened."""
        archived = found.archived_at
        if archived is None:
            return
        until = found.log_expires_at or archived + self._retention
        if datetime.now(UTC) >= until:
            raise Refused(
                "session_archived", "this town hall has ended; its minutes are the record"
            )

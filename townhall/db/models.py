"""The SQL schema: one SQLModel table class per relation, shared by SQLite and PostgreSQL.

Every archive table is keyed by ``room`` (the town hall id) first, so the archive writer
can replace one room's rows with a single ``DELETE ... WHERE room = ?`` per table, and
ordinals (``n``) rather than database sequences give rows their identity: rerunning the
archive reproduces the same keys. Times are timezone-aware UTC; SQLite hands them back
naive, which ``townhall.db.types.UTCDateTime`` repairs on the way out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from townhall.db.archive_models import (
    AgendaItemRow,
    AttendanceRow,
    BallotRow,
    CheerRow,
    DecisionRow,
    HandRow,
    IrvRoundRow,
    ModerationRow,
    PollEligibleRow,
    PollProxyRow,
    PollRow,
    PollVoterRow,
    ProposalRow,
    ProxyRow,
    QuestionRow,
    ReactionRow,
    RecordEventRow,
    RollMemberRow,
    StatementRow,
    TallyRow,
    TranscriptRow,
    TurnRow,
)
from townhall.db.types import JSONText, UTCDateTime, time_field

__all__ = [
    "AgendaItemRow",
    "ApiKeyRow",
    "AttendanceRow",
    "BallotRow",
    "CheerRow",
    "ConsoleSessionRow",
    "DecisionRow",
    "HandRow",
    "InstanceRow",
    "IrvRoundRow",
    "LinkRow",
    "MemberRow",
    "MinutesRenderRow",
    "MinutesVersionRow",
    "ModerationRow",
    "ParticipantRow",
    "PollEligibleRow",
    "PollProxyRow",
    "PollRow",
    "PollVoterRow",
    "ProposalRow",
    "ProxyRow",
    "QuestionRow",
    "ReactionRow",
    "RecordEventRow",
    "RollMemberRow",
    "RoomCommandRow",
    "RoomLogRow",
    "StatementRow",
    "TallyRow",
    "TownHallRow",
    "TranscriptRow",
    "TurnRow",
    "UploadRow",
    "metadata",
]

metadata = SQLModel.metadata


# Live tables, written by REST, auth and the durable log store. The archive tables live in
# townhall.db.archive_models and are re-exported here: import every model from this module.


class TownHallRow(SQLModel, table=True):
    __tablename__ = "townhall"

    id: str = Field(primary_key=True, max_length=64)
    title: str
    description: str = ""
    language: str = Field(default="en", max_length=8)  # "en" | "ko"
    visibility: str = Field(default="private", max_length=16)  # "public" | "private"
    status: str = Field(default="scheduled", max_length=16, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    started_at: datetime | None = time_field()
    ended_at: datetime | None = time_field()
    archived_at: datetime | None = time_field()
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSONText, nullable=False)
    peak_observers: int = 0
    access: str = Field(default="open", max_length=8)  # "open" | "roll" (SPEC §7)
    # When the live log of the archived session goes (its links then answer
    # session_archived): archive time + retention, or at once when the live copy held
    # secret ballots (docs/decisions/0007-ballot-vault.md). The ballot secret itself is
    # never in SQL (townhall/ballots.py).
    log_expires_at: datetime | None = time_field()
    # The archive's failures in a row, the last one's reason and the next try
    # (townhall/archiving.py): past a few the room is quarantined, shown on /health.
    archive_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    archive_error: str | None = Field(default=None, max_length=500)
    archive_retry_at: datetime | None = time_field()
    # The organiser console (SPEC §9): when and where, who owns it, what is streamed.
    starts_at: datetime | None = time_field()
    timezone: str | None = Field(default=None, max_length=64)  # IANA name
    stream_url: str | None = Field(default=None, max_length=2000)
    owner: str | None = Field(default=None, max_length=64, index=True)  # api_key.id, "env"
    place: str = ""
    chair: str = ""
    secretary: str = ""


class LinkRow(SQLModel, table=True):
    """An invite link of one role; rotating a link adds a version and revokes the old."""

    __tablename__ = "link"

    room: str = Field(
        primary_key=True, max_length=64, foreign_key="townhall.id", ondelete="CASCADE"
    )
    role: str = Field(primary_key=True, max_length=16)
    version: int = Field(primary_key=True)
    token_hash: str = Field(max_length=128, unique=True)
    # The participant link's short join code (/j/CODE), hashed like the token.
    short_hash: str | None = Field(default=None, max_length=128, unique=True)
    created_at: datetime | None = time_field()
    expires_at: datetime | None = time_field()
    revoked_at: datetime | None = time_field()


class MemberRow(SQLModel, table=True):
    """A member of a town hall's roll, with the hash of their personal link's token.

    ``participant`` is the member's server-issued id in the room: every hello with the
    personal link is that participant. ``ref`` is the organiser's own reference (a member
    number, say), unique in the town hall; ``n`` keeps the roll's order."""

    __tablename__ = "member"
    __table_args__ = (sa.UniqueConstraint("room", "ref", name="uq_member_room_ref"),)

    room: str = Field(
        primary_key=True, max_length=64, foreign_key="townhall.id", ondelete="CASCADE"
    )
    participant: str = Field(primary_key=True, max_length=64)
    n: int
    ref: str = Field(max_length=100)
    name: str
    token_hash: str = Field(max_length=128, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ApiKeyRow(SQLModel, table=True):
    __tablename__ = "api_key"

    id: str = Field(primary_key=True, max_length=64)
    key_hash: str = Field(max_length=128, unique=True)
    label: str = ""
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = time_field()
    admin: bool = False  # sees and manages every town hall, not only its own


class ConsoleSessionRow(SQLModel, table=True):
    """A signed-in organiser console: the cookie holds a random id, this row its hash."""

    __tablename__ = "console_session"

    id_hash: str = Field(primary_key=True, max_length=128)
    key_id: str = Field(max_length=64, index=True)  # api_key.id, or "env"
    admin: bool = False
    csrf: str = Field(max_length=128)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class UploadRow(SQLModel, table=True):
    """A document uploaded for an agenda item (PDF or image), served as an attachment."""

    __tablename__ = "upload"

    room: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    filename: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    size: int
    data: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class MinutesVersionRow(SQLModel, table=True):
    """A version of the minutes: a draft, approved by someone at a time; a correction is
    a new version that names the one it corrects (both are kept)."""

    __tablename__ = "minutes_version"

    room: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    status: str = Field(default="draft", max_length=16)  # draft | approved
    place: str = ""
    chair: str = ""
    secretary: str = ""
    corrections: str = ""  # what this version corrects, in words
    corrects: int | None = None
    approved_by: str | None = None
    approved_at: datetime | None = time_field()
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class MinutesRenderRow(SQLModel, table=True):
    """A rendered document of one minutes version: made once, then served from here."""

    __tablename__ = "minutes_render"

    room: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    format: str = Field(primary_key=True, max_length=8)
    public: bool = Field(primary_key=True)
    content: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class InstanceRow(SQLModel, table=True):
    """One row: the random id of this database, made by the migration that created the
    table. /health reports it, so a command that made an organiser key in one database
    can tell that a server uses another (and say so instead of "not valid")."""

    __tablename__ = "instance"

    id: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ParticipantRow(SQLModel, table=True):
    """A server-issued identity in one room (written at join, completed by the archive)."""

    __tablename__ = "participant"

    room: str = Field(primary_key=True, max_length=64)
    id: str = Field(primary_key=True, max_length=64)
    name: str
    role: str = Field(max_length=16)
    banned: bool = False
    muted: bool = False


class RoomLogRow(SQLModel, table=True):
    """One event of a room's log; ``data`` is the JSON text and ``at`` the ISO 8601 string
    exactly as the log produced them, so the durable store round-trips them losslessly."""

    __tablename__ = "room_log"

    room: str = Field(primary_key=True, max_length=64)
    epoch: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    name: str = Field(max_length=64)
    data: str = Field(sa_type=sa.Text)
    at: str = Field(max_length=40)
    cause: str | None = Field(default=None, max_length=200)


class RoomCommandRow(SQLModel, table=True):
    """Applied command keys of a room's log: what makes a resent command idempotent."""

    __tablename__ = "room_command"

    room: str = Field(primary_key=True, max_length=64)
    command_key: str = Field(primary_key=True, max_length=200)
    result: str = Field(sa_type=sa.Text)  # JSON text of the ack result
    first_seq: int
    last_seq: int

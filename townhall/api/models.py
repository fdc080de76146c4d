"""Request and response bodies of the REST API (SPEC §4); the OpenAPI schemas come from
these models, so the document cannot drift from what the server validates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from facilitation.limits import MAX_DESCRIPTION, MAX_NAME, MAX_PARTICIPANTS, MAX_TITLE
from facilitation.text import bad_character
from townhall.archiving import QUARANTINE_AFTER
from townhall.db.models import TownHallRow

Language = Literal["en", "ko"]
Visibility = Literal["public", "private"]
LinkRole = Literal["facilitator", "participant", "observer"]
MinutesFormat = Literal["md", "html", "pdf", "json"]
Access = Literal["open", "roll"]
ALL_ROLES: tuple[LinkRole, ...] = ("facilitator", "participant", "observer")

MAX_ITEMS = 100
MAX_MEMBERS = 5000  # members added by one request (a roll may grow by several)
MAX_REF = 100


class _Strict(BaseModel):
    # An unknown field is an error, not silently dropped: a typo must not pass as done.
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        # The room's own rule for every text (facilitation.text): no NUL, no C0 control
        # but tab and newline, no lone surrogate; any of them used to reach the archive.
        if isinstance(value, str) and (bad := bad_character(value)) is not None:
            raise ValueError(f"may not contain the control character {bad}")
        return value


class AgendaItemIn(_Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    duration_s: int = Field(gt=0, le=24 * 3600, description="Planned duration in seconds.")
    description: str = Field(default="", max_length=MAX_DESCRIPTION)


class RoomSettings(_Strict):
    """The keys of the ``room.settings`` command; omitted keys keep their value."""

    queue_policy: Literal["fifo", "fair"] | None = None
    turn_s: int | None = Field(default=None, gt=0, le=3600)
    auto_advance: bool | None = None
    max_turns_per_item: int | None = Field(
        default=None, ge=1, le=100, description="null lifts the cap."
    )
    slow_mode_s: int | None = Field(default=None, ge=0, le=3600)
    statements: bool | None = None
    questions: bool | None = None
    lobby: bool | None = None
    max_participants: int | None = Field(
        default=None, ge=1, le=MAX_PARTICIPANTS, description="Participants the room admits."
    )

    def command_data(self) -> dict[str, Any]:
        # Only what the client sent: ``max_turns_per_item: null`` means "no cap".
        return self.model_dump(exclude_unset=True)


class MemberIn(_Strict):
    """A member of the roll; ``ref`` is the organiser's own reference (a member number,
    say), unique in the town hall; without one the member's participant id is used."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    ref: str | None = Field(default=None, min_length=1, max_length=MAX_REF)

    @field_validator("name", "ref")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value.strip() if value is not None else None

    @field_validator("ref")
    @classmethod
    def _ref(cls, value: str | None) -> str | None:
        # A ref names a member in URL paths (DELETE .../proxies/{ref}).
        if value is not None and ("/" in value or not value.isprintable()):
            raise ValueError("a ref is printable and has no '/'")
        return value


class ProxyIn(_Strict):
    """Member ``from`` gives their proxy to member ``to`` (refs)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    giver: str = Field(alias="from", min_length=1, max_length=MAX_REF)
    holder: str = Field(alias="to", min_length=1, max_length=MAX_REF)


class Proxy(BaseModel):
    giver: str = Field(serialization_alias="from")
    holder: str = Field(serialization_alias="to")


class ProxyList(BaseModel):
    proxies: list[Proxy]


class PersonalLink(BaseModel):
    name: str
    ref: str
    url: str = Field(description="The member's personal page URL; ``token`` holds their token.")


class RollAdd(_Strict):
    members: list[MemberIn] = Field(min_length=1, max_length=MAX_MEMBERS)


class RollAdded(BaseModel):
    personal: list[PersonalLink]


class RollMember(BaseModel):
    participant: str
    name: str
    ref: str
    proxy: str | None = Field(description="The ref of the member holding this one's proxy.")


class Roll(BaseModel):
    access: Access
    members: list[RollMember]


def _future(value: datetime | None) -> datetime | None:
    if value is not None and value <= datetime.now(UTC):
        raise ValueError("must be in the future")
    return value


class TownHallCreate(_Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    language: Language = "en"
    visibility: Visibility = "private"
    agenda: list[AgendaItemIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    settings: RoomSettings | None = None
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the three links stop admitting new people."
    )
    access: Access = Field(
        default="open",
        description="open: the participant link admits anyone; roll: members only, each "
        "by their personal link.",
    )
    roll: list[MemberIn] = Field(default_factory=list, max_length=MAX_MEMBERS)
    proxies: list[ProxyIn] = Field(default_factory=list, max_length=MAX_MEMBERS)

    @field_validator("expires_at")
    @classmethod
    def _expiry(cls, value: datetime | None) -> datetime | None:
        return _future(value)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class TownHallPatch(_Strict):
    """Edits before the session starts; ``agenda`` replaces the whole agenda."""

    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    language: Language | None = None
    visibility: Visibility | None = None
    agenda: list[AgendaItemIn] | None = Field(default=None, max_length=MAX_ITEMS)
    settings: RoomSettings | None = None
    access: Access | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value.strip() if value is not None else None


class RotateLinks(_Strict):
    roles: list[LinkRole] = Field(default_factory=lambda: list(ALL_ROLES), min_length=1)
    expires_at: AwareDatetime | None = None

    @field_validator("expires_at")
    @classmethod
    def _expiry(cls, value: datetime | None) -> datetime | None:
        return _future(value)


class Links(BaseModel):
    """Page URLs; the query parameter ``token`` holds the role's token."""

    facilitator: str
    participant: str
    observer: str
    personal: list[PersonalLink] | None = Field(
        default=None, description="One link per roll member, when a roll was given."
    )


class TownHallCreated(BaseModel):
    id: str
    links: Links


class RotatedLinks(BaseModel):
    links: dict[LinkRole, str]


class ArchiveState(BaseModel):
    """How the archive of an ended session is doing, while it keeps failing."""

    failures: int = Field(description="Failed attempts in a row.")
    error: str | None = Field(description="The last failure's kind and first line.")
    retry_at: datetime | None = Field(description="When the next attempt is due.")
    quarantined: bool = Field(
        description="Failed often enough to be retried only hourly; an operator should look."
    )


class TownHall(BaseModel):
    id: str
    title: str
    description: str
    language: str
    visibility: str
    status: Literal["scheduled", "live", "ended", "archived"]
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    archived_at: datetime | None
    settings: dict[str, Any]
    access: Access = "open"
    room: dict[str, Any] | None = Field(
        default=None, description="The live room as the organiser sees it (before archive)."
    )
    archive: ArchiveState | None = Field(
        default=None, description="Set while the session's archive keeps failing."
    )

    @classmethod
    def of(cls, row: TownHallRow, room: dict[str, Any] | None = None) -> TownHall:
        return cls(
            id=row.id,
            title=row.title,
            description=row.description,
            language=row.language,
            visibility=row.visibility,
            status=row.status,
            created_at=row.created_at,
            started_at=row.started_at,
            ended_at=row.ended_at,
            archived_at=row.archived_at,
            settings=row.settings,
            access="roll" if row.access == "roll" else "open",
            room=room,
            archive=None
            if not row.archive_failures
            else ArchiveState(
                failures=row.archive_failures,
                error=row.archive_error,
                retry_at=row.archive_retry_at,
                quarantined=row.archive_failures >= QUARANTINE_AFTER,
            ),
        )


class TownHallList(BaseModel):
    townhalls: list[TownHall]


class PublicTownHall(BaseModel):
    id: str
    title: str
    description: str
    language: str
    status: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    minutes: dict[str, str] = Field(
        default_factory=dict, description="Format -> URL, once the session is archived."
    )


class PublicTownHallList(BaseModel):
    townhalls: list[PublicTownHall]


class FieldError(BaseModel):
    field: str
    message: str
    type: str


class Error(BaseModel):
    code: str = Field(description="Stable machine-readable code.")
    message: str
    fields: list[FieldError] | None = None

"""Request and response bodies of the REST API (SPEC §4); the OpenAPI schemas come from
these models, so the document cannot drift from what the server validates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from facilitation.agenda import is_web_url
from facilitation.limits import (
    MAX_DESCRIPTION,
    MAX_DOCUMENTS,
    MAX_NAME,
    MAX_PARTICIPANTS,
    MAX_PRESENTERS,
    MAX_TEXT,
    MAX_TITLE,
    MAX_URL,
)
from facilitation.text import bad_character
from townhall.archiving import QUARANTINE_AFTER
from townhall.db.models import TownHallRow
from townhall.stream import StreamError, check_stream_url, embed_url

Language = Literal["en", "ko"]
Visibility = Literal["public", "private"]
LinkRole = Literal["facilitator", "participant", "observer"]
# Every role a link may have: the three made with a town hall, and the captioner link
# made on request (SPEC §10).
AnyLinkRole = Literal["facilitator", "participant", "observer", "captioner"]
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


class DocumentIn(_Strict):
    """A document of an agenda item: a title and an absolute http(s) URL (an uploaded
    file's ``url`` from ``POST /api/townhalls/{id}/uploads`` is one)."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    url: str = Field(min_length=1, max_length=MAX_URL)

    @field_validator("title", "url")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("url")
    @classmethod
    def _web(cls, value: str) -> str:
        if not is_web_url(value):
            raise ValueError("must be an http or https address")
        return value


class AgendaItemIn(_Strict):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    duration_s: int = Field(gt=0, le=24 * 3600, description="Planned duration in seconds.")
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    documents: list[DocumentIn] = Field(
        default_factory=list, max_length=MAX_DOCUMENTS, description="A budget PDF, a plan."
    )
    presenters: list[str] = Field(
        default_factory=list, max_length=MAX_PRESENTERS, description="Names, for cheering."
    )

    def command_data(self) -> dict[str, Any]:
        """The ``agenda.add`` data (empty lists left out)."""
        data = self.model_dump()
        return {k: v for k, v in data.items() if v != []}


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
    auto_advance_items: bool | None = Field(
        default=None, description="At an item's deadline plus the grace the next item starts."
    )
    item_grace_s: int | None = Field(default=None, ge=0, le=3600)
    questions_premoderated: bool | None = Field(
        default=None, description="New questions wait for a facilitator's approval."
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
    qr: str | None = Field(
        default=None, description="Its QR code as a data: URI, when asked for (``qr: true``)."
    )


class RollAdd(_Strict):
    members: list[MemberIn] = Field(min_length=1, max_length=MAX_MEMBERS)
    qr: bool = Field(
        default=False, description="Also answer each personal link's QR code (the console)."
    )


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


def _zone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone such as Asia/Seoul or Europe/Berlin") from None
    return value


def _stream(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return check_stream_url(value)
    except StreamError as exc:
        raise ValueError(str(exc)) from None


class _Meeting(_Strict):
    """When and where a town hall meets, who chairs it, what is streamed (SPEC §9)."""

    starts_at: AwareDatetime | None = Field(
        default=None, description="ISO 8601 with offset, e.g. 2026-12-03T19:00:00+09:00."
    )
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA name: the minutes use this zone."
    )
    stream_url: str | None = Field(
        default=None, max_length=2000, description="HTTPS page of the livestream."
    )
    place: str | None = Field(default=None, max_length=MAX_TITLE)
    chair: str | None = Field(default=None, max_length=MAX_TITLE)
    secretary: str | None = Field(default=None, max_length=MAX_TITLE)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return _zone(value)

    @field_validator("stream_url")
    @classmethod
    def _stream_url(cls, value: str | None) -> str | None:
        return _stream(value)

    def meeting_fields(self) -> dict[str, Any]:
        """The columns these set (empty texts for omitted place, chair, secretary)."""
        data = self.model_dump(
            include={"starts_at", "timezone", "stream_url", "place", "chair", "secretary"},
            exclude_unset=True,
        )
        for key in ("place", "chair", "secretary"):
            if key in data and data[key] is None:
                data[key] = ""
        return data


class TownHallCreate(_Meeting):
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


class TownHallPatch(_Meeting):
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
    starts_at: datetime | None = None
    timezone: str | None = None
    stream_url: str | None = None
    place: str = ""
    chair: str = ""
    secretary: str = ""
    room: dict[str, Any] | None = Field(
        default=None, description="The live room as the organiser sees it (before archive)."
    )
    archive: ArchiveState | None = Field(
        default=None, description="Set while the session's archive keeps failing."
    )

    @classmethod
    def of(cls, row: TownHallRow, room: dict[str, Any] | None = None) -> TownHall:
        return cls(
            starts_at=row.starts_at,
            timezone=row.timezone,
            stream_url=row.stream_url,
            place=row.place,
            chair=row.chair,
            secretary=row.secretary,
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


class PollRecount(BaseModel):
    poll: str
    question: str
    match: bool = Field(description="The recount from the ballot rows equals the record.")
    recorded: dict[str, Any] = Field(
        description="turnout, counts (per option; score polls: sums), winner, quorum_met, "
        "rounds (instant runoff), as archived at the close."
    )
    recounted: dict[str, Any] = Field(description="The same, recomputed from the ballots.")


class Recount(BaseModel):
    polls: list[PollRecount]


class PublicTownHall(BaseModel):
    id: str
    title: str
    description: str
    language: str
    status: str
    starts_at: datetime | None = None
    timezone: str | None = None
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


class LinkQuery(_Strict):
    token: str = Field(min_length=1, max_length=2048, description="A link's token.")


class Stream(BaseModel):
    url: str
    embed: str = Field(description="The address to frame (YouTube, PeerTube made embeddable).")

    @classmethod
    def of(cls, url: str | None) -> Stream | None:
        return None if not url else cls(url=url, embed=embed_url(url))


class JoinCode(BaseModel):
    url: str = Field(description="The participant link.")
    short_url: str = Field(description="The same link, short: /j/CODE.")
    qr: str = Field(description="A QR code of short_url as an SVG data: URI.")


class LinkInfo(BaseModel):
    """What a link opens, for the page before it connects (title, start, stream, join)."""

    room: str
    role: AnyLinkRole
    title: str
    description: str
    language: str
    status: Literal["scheduled", "live", "ended", "archived"]
    starts_at: datetime | None
    timezone: str | None
    started_at: datetime | None
    ended_at: datetime | None
    stream: Stream | None
    join: JoinCode | None = Field(description="The join code; null where it cannot be shown.")


class LinkView(BaseModel):
    url: str
    qr: str = Field(description="SVG data: URI of the QR code (of short_url when there is one).")
    short_url: str | None = None


class TownHallLinks(BaseModel):
    """The live links of a town hall; a role is missing when its link cannot be shown
    again (made before links were derived, or expired): rotate it."""

    links: dict[AnyLinkRole, LinkView]


class CaptionerLinkIn(_Strict):
    rotate: bool = Field(
        default=False, description="Replace the captioner link; the old one stops working."
    )


class CaptionerLink(BaseModel):
    """The captioner link: its holder may only append transcript text (SPEC §10)."""

    url: str = Field(description="The page URL; its query parameter `token` holds the token.")
    token: str = Field(description="For `POST .../captions` as `Authorization: Bearer TOKEN`.")
    captions_url: str = Field(description="Where a speech-to-text bot posts its captions.")
    made: bool = Field(description="Whether this request made a new link (else: shown again).")


class CaptionIn(_Strict):
    text: str = Field(description=f"What was said: 1 to {MAX_TEXT} characters, not blank.")


class CaptionAccepted(BaseModel):
    seq: int = Field(description="The room log's sequence number of the caption's event.")


class MinutesVersion(BaseModel):
    version: int
    status: Literal["draft", "approved"]
    place: str
    chair: str
    secretary: str
    corrections: str
    corrects: int | None
    approved_by: str | None
    approved_at: datetime | None
    created_at: datetime


class MinutesRender(_Strict):
    """Which document to render: a format of the organiser's edition, a version (the
    latest when omitted)."""

    format: Literal["md", "html", "pdf", "json", "csv"]
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class MinutesRendered(BaseModel):
    ready: bool = Field(description="True once `url` answers at once (from the cache).")
    progress: float = Field(description="0..1 while rendering.")
    version: int
    url: str = Field(description="The download, with `?version=`.")


class MinutesVersions(BaseModel):
    versions: list[MinutesVersion]


class ApproveMinutes(_Strict):
    approved_by: str = Field(min_length=1, max_length=MAX_TITLE, description="Who approves.")

    @field_validator("approved_by")
    @classmethod
    def _who(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class CorrectMinutes(_Strict):
    corrections: str = Field(min_length=1, max_length=MAX_DESCRIPTION, description="What changed.")
    place: str | None = Field(default=None, max_length=MAX_TITLE)
    chair: str | None = Field(default=None, max_length=MAX_TITLE)
    secretary: str | None = Field(default=None, max_length=MAX_TITLE)


class Upload(BaseModel):
    """A file uploaded for an agenda item; ``url`` goes into an item's ``documents``."""

    id: str
    url: str = Field(description="Where anyone holding it downloads the file (an attachment).")
    filename: str
    content_type: str = Field(description="The type its content was checked to be.")
    size: int = Field(description="Bytes.")
    created_at: datetime


class UploadList(BaseModel):
    uploads: list[Upload]

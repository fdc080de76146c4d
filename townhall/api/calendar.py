"""The public calendar (SPEC §9): ``GET /api/public/townhalls.ics`` lists every public
town hall with a start time, ``/api/public/townhalls/{id}.ics`` one of them, as iCalendar
(RFC 5545) that any calendar program subscribes to. Times are UTC (``...Z``) with the
town hall's zone named in the description; an event lasts its agenda's planned time when
the live room has one, else two hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from townhall import rooms
from townhall.api.context import Api
from townhall.api.errors import ApiError
from townhall.db.models import TownHallRow

__all__ = ["calendar", "calendar_one", "ics"]

MEDIA = "text/calendar; charset=utf-8"
DEFAULT_LENGTH = timedelta(hours=2)


def _text(value: str) -> str:
    # RFC 5545 3.3.11: backslash, semicolon, comma and newline are escaped.
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    )  # fmt: skip


def _fold(line: str) -> str:
    # Lines longer than 75 octets continue on the next line after CRLF and a space,
    # never inside a UTF-8 sequence.
    out: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not out else 74
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(row: TownHallRow, base_url: str, length: timedelta, now: datetime) -> list[str]:
    assert row.starts_at is not None
    host = urlsplit(base_url).hostname or "townhall"
    start = row.starts_at
    end = row.ended_at if row.ended_at and row.ended_at > start else start + length
    description = row.description
    if row.timezone:
        local = start.astimezone(ZoneInfo(row.timezone))
        note = f"{local:%Y-%m-%d %H:%M} {row.timezone} (UTC{local:%z})"
        description = f"{description}\n\n{note}" if description else note
    lines = [
        "BEGIN:VEVENT",
        f"UID:{row.id}@{host}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(end)}",
        f"SUMMARY:{_text(row.title)}",
        f"URL:{base_url.rstrip('/')}/api/public/townhalls/{row.id}",
        "STATUS:CONFIRMED",
    ]
    if description:
        lines.append(f"DESCRIPTION:{_text(description)}")
    if row.place:
        lines.append(f"LOCATION:{_text(row.place)}")
    lines.append("END:VEVENT")
    return lines


def ics(rows: list[TownHallRow], base_url: str, *, now: datetime | None = None) -> str:
    """An iCalendar document with one event per town hall that has a start time."""
    moment = now or datetime.now(UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Townhall//Town halls//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Townhall",
    ]
    for row in rows:
        if row.starts_at is not None:
            lines += _event(row, base_url, DEFAULT_LENGTH, moment)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


async def calendar(api: Api, request: Request) -> Response:
    rows = await rooms.list_public(api.sessions)
    return Response(ics(rows, api.base_url), media_type=MEDIA)


async def calendar_one(api: Api, request: Request) -> Response:
    row = await rooms.get_townhall(api.sessions, request.path_params["id"])
    if row is None or row.visibility != "public" or row.starts_at is None:
        raise ApiError("not_found", "no public town hall with a start time has this id")
    return Response(
        ics([row], api.base_url),
        media_type=MEDIA,
        headers={"content-disposition": f'attachment; filename="townhall-{row.id}.ics"'},
    )

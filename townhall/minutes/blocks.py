"""The minutes' document tree: a few block types and the number formats they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, ClassVar

__all__ = [
    "Block", "Document", "Heading", "Para", "Quote", "Table", "clock", "duration", "utc_offset",
]  # fmt: skip


@dataclass(frozen=True)
class Heading:
    kind: ClassVar[str] = "heading"  # what the templates branch on
    level: int  # 1 (title) .. 4
    text: str


@dataclass(frozen=True)
class Para:
    kind: ClassVar[str] = "para"
    text: str
    strong: str = ""  # a bold lead-in ("Dissent:")


@dataclass(frozen=True)
class Quote:
    kind: ClassVar[str] = "quote"
    text: str
    by: str  # "18:03 Bob"
    note: str = ""  # e.g. why it was hidden


@dataclass(frozen=True)
class Table:
    kind: ClassVar[str] = "table"
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


Block = Heading | Para | Quote | Table


@dataclass(frozen=True)
class Document:
    language: str
    title: str
    blocks: tuple[Block, ...]
    # The minutes themselves, for templates that want more than the blocks (a city's
    # letterhead may print the place or the chair). Not compared: a tree is its blocks.
    minutes: Any = field(default=None, compare=False, repr=False)


def clock(value: datetime | None, zone: tzinfo | None = None) -> str:
    """``HH:MM:SS`` in ``zone`` (the town hall's; UTC when none is given)."""
    if value is None:
        return ""
    return (value.astimezone(zone) if zone is not None else value).strftime("%H:%M:%S")


def utc_offset(value: datetime, zone: tzinfo) -> str:
    """``+09:00`` — the offset of ``zone`` from UTC at ``value``."""
    raw = value.astimezone(zone).strftime("%z") or "+0000"
    return f"{raw[:3]}:{raw[3:]}"


def duration(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour); signed when asked for a difference."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"

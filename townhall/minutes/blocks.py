"""The minutes' document tree: a few block types and the number formats they share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Block", "Document", "Heading", "Para", "Quote", "Table", "clock", "duration"]


@dataclass(frozen=True)
class Heading:
    level: int  # 1 (title) .. 4
    text: str


@dataclass(frozen=True)
class Para:
    text: str
    strong: str = ""  # a bold lead-in ("Dissent:")


@dataclass(frozen=True)
class Quote:
    text: str
    by: str  # "18:03 Bob"
    note: str = ""  # e.g. why it was hidden


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


Block = Heading | Para | Quote | Table


@dataclass(frozen=True)
class Document:
    language: str
    title: str
    blocks: tuple[Block, ...]


def clock(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%H:%M:%S")


def duration(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour); signed when asked for a difference."""
    if seconds is None:
        return ""
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"

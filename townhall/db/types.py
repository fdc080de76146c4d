"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no time zones: it stores what it is given and returns naive datetimes, while
PostgreSQL's ``timestamptz`` returns aware ones. ``UTCDateTime`` stores UTC on both and
always returns aware UTC, so rows read back compare equal to what was written.
``JSONText`` stores compact JSON in a TEXT column rather than a native JSON type, because
the minutes must come back byte-stable on both databases (PostgreSQL's jsonb would
reorder keys) and nothing queries inside these documents.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

__all__ = ["JSONText", "UTCDateTime", "dumps", "time_field"]


def dumps(value: Any) -> str:
    """Compact JSON that keeps Korean (and all non-ASCII) text readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class UTCDateTime(TypeDecorator[datetime]):
    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the archive stores aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONText(TypeDecorator[Any]):
    impl = sa.Text()
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else dumps(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


def time_field() -> Any:
    """A nullable aware-UTC time column (``None`` until it happens)."""
    return Field(default=None, sa_type=UTCDateTime, nullable=True)

"""Events as JSON: the lossless form the room log stores (datetimes as ISO 8601 UTC)."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, fields, is_dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from facilitation.base import Event, refuse
from facilitation.room import EVENTS


@lru_cache(maxsize=32768)
def to_iso(at: datetime) -> str:
    # The one wire form of a time, as realtime.wire.timestamp: UTC to the millisecond,
    # "2026-11-25T15:00:04.000Z" (fixed width, so the strings sort as the times do).
    # Remembered: a snapshot writes every statement's, question's and stay's time, the
    # same ones at every welcome (isoformat was most of a welcome's cost in a room of
    # 3,000 statements). Equal datetimes are the same instant, so the same string.
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_BY_NAME: dict[str, type[Event]] = {cls.name: cls for cls in EVENTS}


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        # A record inside an event (attendance.recorded's changes): an object.
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    return value


def event_to_wire(event: Event) -> tuple[str, dict[str, object]]:
    data = {f.name: _encode(getattr(event, f.name)) for f in fields(event) if f.name != "at"}
    return event.name, data


def _decode(hint: object, value: object, name: str) -> object:
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is not type(None):
                try:
                    return _decode(option, value, name)
                except ValueError:
                    continue
        raise ValueError(name)
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(name)
        item = typing.get_args(hint)[0]
        return tuple(_decode(item, v, name) for v in value)
    if hint is datetime:
        if not isinstance(value, str):
            raise ValueError(name)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(name)
        return parsed.astimezone(UTC)
    if isinstance(hint, type) and is_dataclass(hint):
        return _record(hint, value, name)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float) and isinstance(value, bool):
        raise ValueError(name)
    if isinstance(hint, type) and isinstance(value, hint):
        return value
    raise ValueError(name)


def _record(cls: type[Any], value: object, name: str) -> object:
    """A record inside an event, from its object (fields with defaults may be absent)."""
    if not isinstance(value, Mapping):
        raise ValueError(name)
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in value:
            kwargs[f.name] = _decode(hints[f.name], value[f.name], name)
        elif f.default is MISSING:
            raise ValueError(name)
    return cls(**kwargs)


_HINTS: dict[type[Event], dict[str, object]] = {cls: typing.get_type_hints(cls) for cls in EVENTS}


def event_from_wire(name: str, data: Mapping[str, object], at: datetime) -> Event:
    cls = _BY_NAME.get(name)
    if cls is None:
        raise refuse("unknown_command", f"unknown event {name}")
    hints = _HINTS[cls]
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name == "at" or (f.name not in data and f.default is not MISSING):
            continue  # a field added later keeps its default in older logs
        if f.name not in data:
            raise refuse("invalid_data", f"missing field {f.name}")
        try:
            kwargs[f.name] = _decode(hints[f.name], data[f.name], f.name)
        except ValueError:
            raise refuse("invalid_data", f.name) from None
    return cls(at=at, **kwargs)

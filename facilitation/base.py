"""The vocabulary every feature shares: roles, actors, commands, events, refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from facilitation.errors import ERRORS

_T = TypeVar("_T")


def changed(obj: _T, **changes: Any) -> _T:
    """``dataclasses.replace`` for the state's frozen dataclasses that keep a ``__dict__``
    and have no ``__post_init__`` (``RoomState``, ``People``): a copy of the instance dict
    with ``changes`` over it. Every event folds through it, and a join storm folds
    thousands: ``replace`` calls ``__init__``, which sets each of ``RoomState``'s 24 fields
    through ``object.__setattr__`` (frozen), several times slower. Unknown names are
    refused as ``replace`` refuses them."""
    old = obj.__dict__
    if not changes.keys() <= old.keys():
        unknown = sorted(changes.keys() - old.keys())
        raise TypeError(f"{type(obj).__name__} has no field {', '.join(unknown)}")
    new = object.__new__(type(obj))
    fields = new.__dict__
    fields.update(old)
    fields.update(changes)
    return new


class Role(StrEnum):
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"
    OBSERVER = "observer"
    CAPTIONER = "captioner"


@dataclass(frozen=True, slots=True)
class Actor:
    participant: str
    role: Role


# Server-issued bookkeeping (presence counts) acts as this facilitator-role actor; it has
# no person record and is never reachable from the wire (see facilitation.codec).
SYSTEM = Actor("system", Role.FACILITATOR)
ORGANISER = Actor("organiser", Role.ORGANISER)


@dataclass(frozen=True, kw_only=True)
class Command:
    name: ClassVar[str] = ""
    actor: Actor
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Event:
    name: ClassVar[str] = ""
    at: datetime


class DomainError(Exception):
    """A refused command. `code` is stable and listed in facilitation.errors.ERRORS."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        self.code = code
        base = ERRORS[code]
        self.message = f"{base} ({detail})" if detail else base
        super().__init__(f"{code}: {self.message}")


class Forbidden(DomainError):
    """The actor may not do this (role, mute, removal, lobby)."""


class NotFound(DomainError):
    """The command names an object that does not exist."""


class Conflict(DomainError):
    """The command does not fit the current state of the room."""


class InvalidInput(DomainError):
    """The command's data is malformed or out of range."""


_FORBIDDEN = {
    "forbidden",
    "not_present",
    "not_admitted",
    "muted",
    "removed",
    "banned",
    "room_locked",
    "rate_limited",
    "target_is_facilitator",
    "not_eligible",
    "proxy_given",
    "roll_only",
    "not_your_turn",
}
_INPUT = {
    "unknown_command",
    "invalid_data",
    "text_too_long",
    "text_empty",
    "invalid_poll",
    "invalid_choice",
    "invalid_order",
    "proxy_self",
}


def refuse(code: str, detail: str | None = None) -> DomainError:
    """The refusal for `code`, as the subclass its category calls for."""
    if code in _FORBIDDEN:
        return Forbidden(code, detail)
    if code in _INPUT:
        return InvalidInput(code, detail)
    if code.endswith("_not_found"):
        return NotFound(code, detail)
    return Conflict(code, detail)

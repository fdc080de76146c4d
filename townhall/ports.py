"""Seams inside townhall: what the REST API, auth and the live room ask of each other.

The REST layer never touches the room log directly: organiser actions on a room go
through ``RoomCommands`` (the same decide/append path as WebSocket commands), so the
log stays the one record of everything that happened in a room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

# Who appended a caption posted over HTTP (the transcript's ``by``, the minutes' author):
# a captioner is no person in the room; the minutes print it as "Captioner".
CAPTIONER_ID = "captioner"


class CommandRefused(Exception):
    """A command was refused by the rules of the room (stable ``code``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class RoomCommands(Protocol):
    async def run_as_organiser(
        self, room: str, type: str, data: dict[str, Any], key: str | None = None
    ) -> dict[str, str]:
        """Decide and append ``type`` as the organiser; returns the ack result.

        Raises ``CommandRefused``. ``key`` makes it idempotent (same key: applied once).
        """
        ...

    async def run_as_captioner(
        self, room: str, captioner: str, text: str, key: str | None = None
    ) -> int:
        """Append ``text`` to the room's transcript as the captioner ``captioner``, on the
        same decide/append path as a WebSocket command; returns the event's seq.

        Raises ``CommandRefused`` (``session_not_live``, ``text_empty`` ...)."""
        ...

    async def room_view(self, room: str) -> dict[str, Any]:
        """The organiser's snapshot of the room's live state (agenda, status, counts)."""
        ...

    async def disconnect(self, room: str, roles: frozenset[str]) -> None:
        """Close every live connection of ``room`` holding one of ``roles`` (all workers)."""
        ...

    async def drop(self, room: str) -> None:
        """Forget the room's live log (after delete)."""
        ...


@dataclass(frozen=True)
class LinkGrant:
    """What a valid link token grants: a role in a room, at one link version."""

    room: str
    role: str  # "facilitator" | "participant" | "observer" | "captioner"
    version: int
    expires_at: datetime | None

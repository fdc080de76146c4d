"""The moderation log: one entry per moderation act, for the record and the minutes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class ModerationEntry:
    at: datetime
    actor: str
    action: str  # the command name, e.g. "participant.mute"
    target: str | None
    reason: str | None


def log(
    room: RoomState,
    at: datetime,
    actor: str,
    action: str,
    target: str | None,
    reason: str | None = None,
) -> RoomState:
    entry = ModerationEntry(at=at, actor=actor, action=action, target=target, reason=reason)
    return replace(room, moderation=(*room.moderation, entry))

"""The moderation log: one entry per moderation act, for the record and the minutes.

Public in every view: who acted (`actor`), on whom (`target`, a participant id, or None
when the act names no person or must not, as for an anonymous question), why (`reason`)
and what changed (`detail`: the objects involved, or a settings change as
`{"changes": {setting: [old, new]}}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class ModerationEntry:
    at: datetime
    actor: str
    action: str  # the command name, e.g. "participant.mute"
    target: str | None
    reason: str | None
    detail: Mapping[str, Any] | None = None


def log(
    room: RoomState,
    at: datetime,
    actor: str,
    action: str,
    target: str | None,
    reason: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> RoomState:
    entry = ModerationEntry(
        at=at, actor=actor, action=action, target=target, reason=reason, detail=detail
    )
    return replace(room, moderation=(*room.moderation, entry))

"""A small Domain and Authenticator to drive the hub in tests: a shared counter and chat.

Audiences: "public" (participants, observers) and "facilitator" (also sees secret notes).
Tokens: "<role>@<room>" creates a new principal; the welcome's resume token brings the
same one back; "expired@<room>" and unknown rooms are refused with "bad_token".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from realtime.application import Principal, Refused
from realtime.fanout import Outbox, Traffic
from realtime.log import NewEvent, Record

ROOMS = frozenset({"main", "r1", "r2", "r3"})
ROLES = frozenset({"participant", "facilitator", "observer"})
MAX_TEXT = 20_000


@dataclass(frozen=True)
class ToyState:
    room: str
    total: int = 0
    said: int = 0
    notes: int = 0
    members: frozenset[str] = frozenset()
    claimed: frozenset[str] = frozenset()
    presence: tuple[tuple[str, int], ...] = ()


class ToyDomain:
    def __init__(self, together: bool = False) -> None:
        # With ``together``, member joins next to each other in a batch become one
        # "members.joined" (Domain.together); a name starting with "banned" is refused.
        self._together = together

    def together(self, principal: Principal, type: str) -> bool:
        return self._together and type == "member.join"

    def decide_together(
        self,
        state: ToyState,
        commands: list[tuple[Principal, str, dict[str, Any]]],
        at: datetime,
        new_id: str,
    ) -> tuple[list[NewEvent], list[Refused | None]]:
        who: list[str] = []
        refusals: list[Refused | None] = []
        for principal, _, _ in commands:
            if str(principal.you.get("name") or "").startswith("banned"):
                refusals.append(Refused("banned", "not in this room"))
            else:
                refusals.append(None)
                who.append(principal.key)
        return ([NewEvent("members.joined", {"who": who}, at)] if who else []), refusals

    def initial(self, room: str) -> ToyState:
        return ToyState(room)

    def load(self, record: Record) -> NewEvent:
        return NewEvent(record.name, record.data, record.at)

    def dump(self, event: NewEvent) -> NewEvent:
        return event

    def command_key(self, principal: Principal, type: str, id: str) -> str:
        return f"{principal.key}:{id}"

    def apply(self, state: ToyState, event: NewEvent) -> ToyState:
        d = event.data
        match event.name:
            case "counter.added":
                return replace(state, total=d["total"])
            case "chat.said":
                return replace(state, said=state.said + 1)
            case "note.added":
                return replace(state, notes=state.notes + 1)
            case "member.joined":
                return replace(state, members=state.members | {d["who"]})
            case "members.joined":
                return replace(state, members=state.members | set(d["who"]))
            case "member.left":
                return replace(state, members=state.members - {d["who"]})
            case "once.claimed":
                return replace(state, claimed=state.claimed | {d["who"]})
            case "presence.updated":
                return replace(state, presence=tuple(sorted(d["counts"].items())))
        return state

    def decide(
        self,
        state: ToyState,
        principal: Principal,
        type: str,
        data: dict[str, Any],
        at: datetime,
        new_id: str,
    ) -> tuple[list[NewEvent], dict[str, str]]:
        who = principal.key
        match type:
            case "counter.add":
                n = data.get("n", 1)
                if not isinstance(n, int) or isinstance(n, bool):
                    raise Refused("invalid_data", "n must be an integer")
                total = state.total + n
                return [NewEvent("counter.added", {"n": n, "total": total, "by": who}, at)], {
                    "total": str(total)
                }
            case "chat.say":
                text = data.get("text")
                if not isinstance(text, str) or len(text) > MAX_TEXT:
                    raise Refused("invalid_data", "text must be a string")
                return [NewEvent("chat.said", {"text": text, "by": who}, at)], {}
            case "note.add":
                if principal.audience != "facilitator":
                    raise Refused("forbidden", "facilitators only")
                return [NewEvent("note.added", {"text": str(data.get("text", ""))}, at)], {}
            case "item.create":
                return [NewEvent("item.created", {"item": new_id}, at)], {"item": new_id}
            case "once.claim":
                if who in state.claimed:
                    raise Refused("already_claimed", "claimed already")
                return [NewEvent("once.claimed", {"who": who}, at)], {}
            case "noop":
                return [], {"head": str(state.total)}
            case "member.join":
                return [NewEvent("member.joined", {"who": who}, at)], {}
            case "member.leave":
                return [NewEvent("member.left", {"who": who}, at)], {}
            case "presence.update" if principal.key == "server":
                return [NewEvent("presence.updated", {"counts": data["counts"]}, at)], {}
        raise Refused("unknown_command", f"unknown command {type!r}")

    def snapshot(self, state: ToyState, principal: Principal) -> dict[str, Any]:
        snap: dict[str, Any] = {
            "total": state.total,
            "said": state.said,
            "members": sorted(state.members),
            "claimed": sorted(state.claimed),
            "presence": dict(state.presence),
        }
        if principal.audience == "facilitator":
            snap["notes"] = state.notes
        return snap

    def view(self, audience: str) -> str:
        return audience

    def render(self, state: ToyState, event: NewEvent, audience: str) -> dict[str, Any] | None:
        if event.name == "note.added" and audience != "facilitator":
            return None
        return event.data

    def lazy(self, event: NewEvent, view: str) -> bool:
        return False  # every toy event goes at once (tests/realtime/test_feed.py: lazy ones)

    def stale(self, then: ToyState, now: ToyState) -> bool:
        return False  # the toy withdraws nothing

    def replay(
        self, then: ToyState, now: ToyState, event: NewEvent, view: str
    ) -> dict[str, Any] | None:
        return self.render(then, event, view)

    def on_join(self, principal: Principal) -> tuple[str, dict[str, Any]] | None:
        return ("member.join", {}) if principal.can_send else None

    def on_leave(self, principal: Principal) -> tuple[str, dict[str, Any]] | None:
        return ("member.leave", {}) if principal.can_send else None


async def authenticate(token: str, data: dict[str, Any]) -> Principal:
    """Toy tokens: "<role>@<room>" or the resume token "resume:<role>@<room>:<key>"."""
    key = None
    if token.startswith("resume:"):
        token, _, key = token.removeprefix("resume:").rpartition(":")
    role, _, room = token.partition("@")
    if role == "expired":
        raise Refused("bad_token", "the token has expired")
    if role not in ROLES or room not in ROOMS:
        raise Refused("bad_token", "unknown token")
    key = key or uuid.uuid4().hex[:12]
    audience = "facilitator" if role == "facilitator" else "public"
    can_send = role != "observer"
    you = {"participant": key, "role": role, "name": data.get("name")}
    return Principal(room, key, audience, can_send, you, f"resume:{role}@{room}:{key}")


class Recording(Outbox):
    """An outbox that keeps every text pushed to it."""

    def __init__(self) -> None:
        async def send(text: str) -> None: ...

        async def close(code: int, reason: str) -> None: ...

        super().__init__(send, close, 1 << 20, Traffic())
        self.pushed: list[str] = []

    def push(self, text: str, count: int = 1) -> None:
        self.pushed.append(text)
        super().push(text, count)

"""What the hub needs from an application: the Domain protocol and the Authenticator.

The hub knows nothing of town halls. An application (townhall; the tests' toy) injects
its rules as a ``Domain`` (decide/apply/render over an opaque state ``S``) and its
identity check as an ``Authenticator``. Both are re-exported by ``realtime.engine``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from realtime.log.contract import NewEvent, Record

__all__ = ["Authenticator", "Domain", "Principal", "Refused"]

S = TypeVar("S")


class Refused(Exception):
    """A domain refusal; becomes ``{"type": "error", "code": code, "message": message}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Principal:
    """Who is on a connection, as the authenticator decided."""

    room: str
    key: str  # stable identity scoping command ids (participant id, or per-connection id)
    audience: str  # which rendering this connection receives ("public", "facilitator")
    can_send: bool  # False for read-only connections: every command but ping is "forbidden"
    you: dict[str, Any]  # sent in welcome as "you"
    resume_token: str | None  # sent in welcome as "resume_token"
    info: Any = None  # opaque to realtime; the domain's own data


class Domain(Protocol[S]):
    def initial(self, room: str) -> S: ...

    def apply(self, state: S, record: Record) -> S: ...

    def decide(
        self, state: S, principal: Principal, type: str, data: dict[str, Any], at: str, new_id: str
    ) -> tuple[list[NewEvent], dict[str, str]]:
        """The events a command produces and its ack result; raises Refused."""
        ...

    def snapshot(self, state: S, principal: Principal) -> dict[str, Any]: ...

    def view(self, audience: str) -> str:
        """The rendering ``audience`` receives: audiences that share a view (counted apart,
        seen alike) get each event rendered and encoded once between them."""
        ...

    def render(self, state: S, record: Record, view: str) -> dict[str, Any] | None:
        """The event data for ``view`` (``state`` is after ``record``); None: not sent."""
        ...

    def stale(self, then: S, now: S) -> bool:
        """Whether an event rendered at ``then`` may show what ``now`` has withdrawn (a
        hidden text): a replay at ``now`` then renders it again with ``replay``."""
        ...

    def replay(self, then: S, now: S, record: Record, view: str) -> dict[str, Any] | None:
        """The event data a replay at ``now`` sends for ``view`` (``then``: the state
        right after ``record``): what ``render`` gave, less what was withdrawn since."""
        ...

    def on_join(self, principal: Principal) -> tuple[str, dict[str, Any]] | None:
        """A command run as ``principal`` when it connects, before its welcome."""
        ...

    def on_leave(self, principal: Principal) -> tuple[str, dict[str, Any]] | None:
        """A command run when the principal's last connection on this worker closes."""
        ...


# (token, the whole hello data) -> Principal; raises Refused("bad_token", ...). The hub
# sets the data's "peer" to the client's address (ASGI scope client), whatever it sent.
Authenticator = Callable[[str, dict[str, Any]], Awaitable[Principal]]

"""What the hub needs from an application: the Domain protocol and the Authenticator.

The hub knows nothing of town halls. An application (townhall; the tests' toy) injects
its rules as a ``Domain`` (decide/apply/render over an opaque state ``S`` and events
``E`` of its own) and its identity check as an ``Authenticator``. Both are re-exported
by ``realtime.engine``.

Each event is decoded and folded once per worker: a command's events come out of
``decide`` as ``E`` and are folded then (the batch's scratch state is the one the room
adopts once the append is durable); a record another worker appended is ``load``-ed
once, then folded once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from realtime.log.contract import NewEvent, Record

__all__ = ["Authenticator", "Domain", "Principal", "Refused"]

S = TypeVar("S")
E = TypeVar("E")


class Refused(Exception):
    """A domain refusal; becomes ``{"type": "error", "code": code, "message": message}``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is on a connection, as the authenticator decided."""

    room: str
    key: str  # stable identity scoping command ids (participant id, or per-connection id)
    audience: str  # which rendering this connection receives ("public", "facilitator")
    can_send: bool  # False for read-only connections: every command but ping is "forbidden"
    you: dict[str, Any]  # sent in welcome as "you"
    resume_token: str | None  # sent in welcome as "resume_token"
    info: Any = None  # opaque to realtime; the domain's own data


class Domain(Protocol[S, E]):
    def initial(self, room: str) -> S: ...

    def load(self, record: Record) -> E:
        """A record of the log as the domain's event (its one decoding on this worker)."""
        ...

    def dump(self, event: E) -> NewEvent:
        """An event as the log stores it (name, JSON-ready data, time)."""
        ...

    def apply(self, state: S, event: E) -> S:
        """Fold one event (total: never raises for an event the log holds)."""
        ...

    def decide(
        self,
        state: S,
        principal: Principal,
        type: str,
        data: dict[str, Any],
        at: datetime,
        new_id: str,
    ) -> tuple[list[E], dict[str, str]]:
        """The events a command produces and its ack result; raises Refused."""
        ...

    def together(self, principal: Principal, type: str) -> bool:
        """Whether this server-made command (no idempotency key: a join, a leave) may be
        decided together with the commands next to it in a batch that say yes too, as
        one ``decide_together``: a join storm then appends one event per batch, not one
        per person, and every connection gets one small event instead of hundreds."""
        ...

    def decide_together(
        self,
        state: S,
        commands: list[tuple[Principal, str, dict[str, Any]]],
        at: datetime,
        new_id: str,
    ) -> tuple[list[E], list[Refused | None]]:
        """Commands ``together`` said yes to, in order, decided as one: the events they
        make between them, and for each command its refusal (decided as if it had come
        alone after the ones before it) or None."""
        ...

    def command_key(self, principal: Principal, type: str, id: str) -> str:
        """The log's idempotency key of a client command, stored as its events' cause;
        clients only ever see the part after its last ``:`` (their own command id).
        Usually ``f"{principal.key}:{id}"``; a domain keeps the sender out of it for
        commands whose events must not name them (a secret vote)."""
        ...

    def snapshot(self, state: S, principal: Principal) -> dict[str, Any]: ...

    def view(self, audience: str) -> str:
        """The rendering ``audience`` receives: audiences that share a view (counted apart,
        seen alike) get each event rendered and encoded once between them."""
        ...

    def render(self, state: S, event: E, view: str) -> dict[str, Any] | None:
        """The event data for ``view`` (``state`` is after ``event``); None: not sent."""
        ...

    def lazy(self, event: E, view: str) -> bool:
        """Whether ``view``'s copy of ``event`` may wait for the next pass over its
        connections (at most ``RealtimeConfig.lazy_delay`` seconds) instead of starting
        one: for news of the crowd (arrivals and departures as counts), which during a
        join storm would otherwise be a frame to every connection per batch. Order and
        exactly-once delivery are the same either way; only the moment changes."""
        ...

    def stale(self, then: S, now: S) -> bool:
        """Whether an event rendered at ``then`` may show what ``now`` has withdrawn (a
        hidden text): a replay at ``now`` then renders it again with ``replay``."""
        ...

    def replay(self, then: S, now: S, event: E, view: str) -> dict[str, Any] | None:
        """The event data a replay at ``now`` sends for ``view`` (``then``: the state
        right after ``event``): what ``render`` gave, less what was withdrawn since."""
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

"""The wire protocol, version 1: the envelope of every message, and every stable code.

Client -> server: ``{"type": "<noun>.<verb>", "id": "<client id>", "data": {...}}``; the
first message is ``hello`` (its fields may sit in ``data`` or at the top level).
Server -> client: ``welcome``, ``event``, ``ack``, ``error``, ``resync``, ``pong``; a frame
holds one message object or a JSON array of them.

The structs below are what the server validates with (msgspec) and what
``realtime.schema`` exports as JSON Schema into docs/protocol/, so the documentation
cannot drift from the code.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Annotated, Any

import msgspec

__all__ = [
    "ERRORS",
    "Ack",
    "CloseCode",
    "Command",
    "Error",
    "Event",
    "HelloData",
    "Pong",
    "Resume",
    "Resync",
    "Welcome",
    "decode_command",
    "encode",
    "timestamp",
]

# A type name is "hello", "ping" or "<noun>.<verb>": lowercase, so a forged type can never
# smuggle markup or whitespace into logs and error messages.
TypeName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")]
# A client id is stored in the log as part of its command key: no control characters
# (PostgreSQL refuses NUL in text, which would fail the append or the archive).
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]


class Resume(msgspec.Struct, frozen=True):
    """Where a reconnecting client left off: the last ``seq`` it holds in ``epoch``."""

    epoch: Annotated[str, msgspec.Meta(max_length=128)]
    seq: Annotated[int, msgspec.Meta(ge=0)]


class HelloData(msgspec.Struct, frozen=True):
    """The first message's data. ``token`` is handed to the injected authenticator."""

    token: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    resume: Resume | None = None


class Command(msgspec.Struct, frozen=True):
    """Any client message. ``id`` makes a command idempotent; ``hello`` may omit it."""

    type: TypeName
    id: ClientId | None = None
    data: dict[str, Any] = {}
    # hello fields are also accepted at the top level, for terse bots
    token: str | None = None
    name: str | None = None
    resume: Resume | None = None

    def hello(self) -> HelloData:
        """The hello data, from ``data`` or the top level; raises msgspec.ValidationError."""
        merged: dict[str, Any] = {k: v for k, v in self.data.items() if k in _HELLO_FIELDS}
        for key in _HELLO_FIELDS:
            value = getattr(self, key)
            if value is not None and key not in merged:
                merged[key] = msgspec.to_builtins(value)
        return msgspec.convert(merged, HelloData)


_HELLO_FIELDS = ("token", "name", "resume")


class Welcome(msgspec.Struct, tag="welcome", tag_field="type"):
    """Sent once authenticated (and again after ``resync``).

    ``seq`` is the last event folded into ``snapshot``; the next event has ``seq + 1``. With
    ``resumed`` true the snapshot is null and the events after the client's ``seq`` follow.
    """

    you: dict[str, Any]
    resume_token: str | None
    snapshot: dict[str, Any] | None
    epoch: str
    seq: int
    resumed: bool = False


class Event(msgspec.Struct, tag="event", tag_field="type"):
    seq: int
    name: str
    data: dict[str, Any]
    at: str
    cause: str | None = None


class Ack(msgspec.Struct, tag="ack", tag_field="type"):
    """A command's events are durable; ``seq`` is its last event (or the head if none)."""

    id: str
    seq: int
    result: dict[str, str] = {}


class Error(msgspec.Struct, tag="error", tag_field="type"):
    id: str | None
    code: str
    message: str


class Resync(msgspec.Struct, tag="resync", tag_field="type"):
    """Replay is impossible (epoch changed, or past the retained window): a welcome follows."""

    reason: str


class Pong(msgspec.Struct, tag="pong", tag_field="type"):
    """Answer to a ``ping`` sent without an ``id`` (with an id, ping is acked)."""

    seq: int


ServerMessage = Welcome | Event | Ack | Error | Resync | Pong
ClientMessage = Command

# Every error code the hub itself emits (domains add their own through Refused).
ERRORS: dict[str, str] = {
    "bad_json": "the frame is not valid JSON (or is nested too deeply)",
    "invalid_message": "the message does not match the envelope {type, id, data}",
    "missing_id": "a command needs an id (unique per command) to be idempotent",
    "hello_required": "the first message must be hello",
    "bad_hello": "hello data is invalid",
    "bad_token": "the token was refused",
    "already_hello": "hello was already accepted on this connection",
    "forbidden": "this connection may not send commands",
    "rate_limited": "too many messages; slow down",
    "busy": "too many commands in flight on this connection",
    "binary_frame": "binary frames are not accepted; send JSON text",
    "internal": "the server failed to run the command",
    "unavailable": "the room log is unavailable; retry later",
}


class CloseCode(IntEnum):
    """WebSocket close codes the hub uses. 4xxx are ours; a client may resume after any."""

    NORMAL = 1000
    GOING_AWAY = 1001
    UNSUPPORTED_DATA = 1003  # binary frame
    TOO_BIG = 1009  # frame over the 64 KiB cap (uvicorn closes before the app sees it)
    INTERNAL = 1011
    HELLO_TIMEOUT = 4001  # no hello within the hello timeout
    HELLO_REQUIRED = 4002  # first message was not a valid hello
    BAD_TOKEN = 4003  # the authenticator refused the token
    ORIGIN_REFUSED = 4004  # the page's Origin is not one the server accepts
    RATE_LIMITED = 4008  # sustained flooding past rate_limited errors
    SLOW_CONSUMER = 4009  # outgoing queue passed its byte budget: reconnect and resume
    RESYNC_LOOP = 4010  # the room log changed epoch under this connection
    REVOKED = 4011  # the application revoked this connection's credentials (do not resume)


_decoder = msgspec.json.Decoder(Command)
_encoder = msgspec.json.Encoder()


class BadFrame(Exception):
    """A client frame that could not be decoded; ``code`` is one of ERRORS."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def decode_command(text: str | bytes) -> Command:
    """Decode one client frame; raises BadFrame(bad_json | invalid_message)."""
    try:
        return _decoder.decode(text)
    except msgspec.ValidationError as exc:
        raise BadFrame("invalid_message", str(exc)) from None
    except (msgspec.DecodeError, RecursionError) as exc:
        raise BadFrame("bad_json", str(exc)[:200]) from None


def encode(message: ServerMessage) -> str:
    """One server message as JSON text (text frames carry str in ASGI)."""
    return _encoder.encode(message).decode()


def timestamp(at: datetime) -> str:
    """The one form a time leaves the hub in: ISO 8601 UTC to the millisecond,
    ``2026-11-25T15:00:00.123Z`` (an event's ``at`` on the wire and in the room log)."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

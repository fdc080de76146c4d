"""One connection's protocol logic, sans I/O: fed frames and the time, drained of actions.

The server's socket loop does nothing but feed ``ConnectionProtocol`` what arrives and
carry out what it returns, so every rule here (hello first, hello timeout, rate limits,
envelope validation, close codes) is tested without a socket. As in websockets, the
no-I/O object is a protocol and the object doing the I/O a connection
(``realtime.connection.Connection``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import msgspec

from realtime.config import Limits
from realtime.throttle import TokenBucket
from realtime.wire import (
    ERRORS,
    BadFrame,
    CloseCode,
    Command,
    Error,
    HelloData,
    decode_command,
    encode,
)

__all__ = ["Action", "Authenticate", "Close", "ConnectionProtocol", "Phase", "Reply", "RunCommand"]


class Phase(Enum):
    HELLO = "hello"  # waiting for the first message
    AUTH = "auth"  # hello received, the authenticator is running
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Reply:
    text: str


@dataclass(frozen=True, slots=True)
class Close:
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class Authenticate:
    hello: HelloData
    data: dict[str, Any]  # the whole hello data, for authenticators that read more fields


@dataclass(frozen=True, slots=True)
class RunCommand:
    type: str
    id: str | None
    data: dict[str, Any]


Action = Reply | Close | Authenticate | RunCommand


def _error(code: str, id: str | None = None, message: str | None = None) -> Reply:
    return Reply(encode(Error(id=id, code=code, message=message or ERRORS[code])))


class ConnectionProtocol:
    """The state machine of one connection: HELLO -> AUTH -> OPEN -> CLOSED."""

    def __init__(self, limits: Limits, now: float) -> None:
        self.phase = Phase.HELLO
        self.limits = limits
        self.deadline: float | None = now + limits.hello_timeout
        self._bucket = TokenBucket(limits.rate, limits.burst, now)

    def receive_text(self, text: str, now: float) -> list[Action]:
        if self.phase is Phase.CLOSED:
            return []
        if self.phase is Phase.HELLO:
            return self._hello(text)
        cmd: Command | None = None
        bad: BadFrame | None = None
        try:
            cmd = decode_command(text)
        except BadFrame as exc:
            bad = exc
        # Decoding first costs little (frames are capped at 64 KiB) and lets a refusal
        # carry the command's id, so the client knows which command to send again.
        if not self._bucket.take(now):
            if self._bucket.strikes >= self.limits.abuse:
                return self._close(CloseCode.RATE_LIMITED, "rate_limited")
            return [_error("rate_limited", cmd.id if cmd is not None else None)]
        if cmd is None:
            assert bad is not None
            return [_error(bad.code, message=bad.message)]
        if cmd.type == "hello":
            return [_error("already_hello", cmd.id)]
        if cmd.type == "ping":
            return [RunCommand("ping", cmd.id, cmd.data)]
        if cmd.id is None:
            return [_error("missing_id")]
        # While the authenticator runs (AUTH), commands queue behind the welcome in order.
        return [RunCommand(cmd.type, cmd.id, cmd.data)]

    def receive_bytes(self, data: bytes, now: float) -> list[Action]:
        """Binary frames are not part of the protocol: refuse and close (1003)."""
        if self.phase is Phase.CLOSED:
            return []
        return [_error("binary_frame"), *self._close(CloseCode.UNSUPPORTED_DATA, "binary_frame")]

    def timeout(self, now: float) -> list[Action]:
        if self.deadline is None or now < self.deadline or self.phase is not Phase.HELLO:
            return []
        return self._close(CloseCode.HELLO_TIMEOUT, "hello_timeout")

    def authenticated(self, bucket: TokenBucket | None = None) -> None:
        """Open for commands; ``bucket``: the participant's, shared by their connections."""
        if self.phase is Phase.AUTH:
            self.phase = Phase.OPEN
            if bucket is not None:
                self._bucket = bucket

    def refused(self, code: str, message: str, close: int = CloseCode.BAD_TOKEN) -> list[Action]:
        """The authenticator (or the room) refused: say why, then close (4003 by default)."""
        if self.phase is Phase.CLOSED:
            return []
        return [_error(code, message=message), *self._close(close, code)]

    def _hello(self, text: str) -> list[Action]:
        try:
            cmd = decode_command(text)
        except BadFrame as exc:
            return [_error(exc.code, message=exc.message), *self._hello_required()]
        if cmd.type != "hello":
            return [_error("hello_required", cmd.id), *self._hello_required()]
        try:
            hello = cmd.hello()
        except msgspec.ValidationError as exc:
            return [_error("bad_hello", cmd.id, str(exc)), *self._hello_required()]
        self.phase = Phase.AUTH
        self.deadline = None
        data = dict(cmd.data)
        data.update(msgspec.to_builtins(hello))
        return [Authenticate(hello, data)]

    def _hello_required(self) -> list[Action]:
        return self._close(CloseCode.HELLO_REQUIRED, "hello_required")

    def _close(self, code: int, reason: str) -> list[Action]:
        self.phase = Phase.CLOSED
        self.deadline = None
        return [Close(code, reason)]

"""Townhall's own WebSocket server protocol (RFC 6455) below ASGI, for uvicorn.

uvicorn hands a socket that asks to upgrade to the class its ``ws=`` option names:
``FrameProtocol(config=..., server_state=..., app_state=...)``, then
``connection_made(transport)`` and ``data_received(<the request it re-assembled>)``, then
the transport's protocol is switched to it; ``shutdown()`` at server exit. This class
answers the opening handshake, builds the ASGI ``websocket`` scope as uvicorn does, runs
``config.loaded_app`` (so uvicorn's proxy-headers middleware still applies) on one task
per connection, and parses and writes frames itself. ``UVICORN_WS_OPTIONS`` selects it.

Why not uvicorn's ``websockets-sansio`` protocol: per idle socket it held about 7 KB
that this one does not (its instance dict, websockets' ``ServerProtocol`` and parser
generator, the parsed handshake, a queue and an event, a ping and a pong timer) and
spent about 0.27 ms per handshake in generic parsing and validation
(docs/decisions/0008-own-websocket-protocol.md). What it keeps per socket is a
``__slots__`` object: no dict, deque, Event or timer while idle. Keepalive pings are
sent by ONE timer per server that sweeps its connections (``_Server``).

The scope extension ``realtime.frames`` holds a ``FrameWriter``: the hub's flusher
writes ready frames (a server-to-client frame is not masked, so the same bytes go to
every connection of an audience) straight to the transport, about 8 us per frame
against about 30 us for an ASGI ``send``. Under another server the extension is absent
and the hub falls back to ``send``.

Covered of RFC 6455: the server's opening handshake (§4.2: GET, HTTP/1.1, ``Upgrade:
websocket``, ``Connection: Upgrade``, ``Sec-WebSocket-Version: 13``, a base64
``Sec-WebSocket-Key`` of 16 bytes; else HTTP 400 or 426 with a plain-text reason),
subprotocol selection by the app, framing (§5: masked client frames, reserved bits and
opcodes, 7/16/64-bit lengths, fragmentation, control frames of at most 125 bytes and
never fragmented, UTF-8 text and close reasons), ping/pong (§5.5.2-3), the closing
handshake (§5.5.1, §7; close codes checked per §7.4). Not covered: extensions (no
permessage-deflate is negotiated, whatever ``ws_per_message_deflate`` says), HTTP/2.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import hashlib
import logging
import math
import struct
import weakref
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, unquote

from uvicorn.protocols.utils import get_local_addr, get_remote_addr, is_ssl

from realtime.transport.frames import EXTENSION

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets built without its C extension

    def apply_mask(data: bytes | bytearray | memoryview, mask: bytes | bytearray) -> bytes:
        n = len(data)
        key = int.from_bytes((bytes(mask) * (n // 4 + 1))[:n], "little")
        return (int.from_bytes(data, "little") ^ key).to_bytes(n, "little")


__all__ = ["CLOSE_TIMEOUT", "ClientDisconnected", "FrameProtocol", "FrameWriter"]

# How long a peer has to answer our close frame before its socket is cut off (as uvicorn).
CLOSE_TIMEOUT = 10.0
# The largest opening handshake read (uvicorn's parser has already limited the headers).
MAX_HANDSHAKE = 16 * 1024

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_PING = b"\x89\x00"  # an empty ping: any pong answers it

# Connection states.
_HANDSHAKE = 0  # the request is not read yet
_CONNECTING = 1  # the app decides: accept, close (403) or its own HTTP response
_OPEN = 2
_CLOSING = 3  # our close frame is sent, the peer's answer awaited
_CLOSED = 4  # closed or closing the transport; nothing more is read or written
_GONE = 5  # the transport is lost

# Close codes a peer may send (RFC 6455 §7.4.1, IANA registry); 3000-4999 are also valid.
_PEER_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})

log = logging.getLogger("uvicorn.error")


class ClientDisconnected(OSError):
    """``send`` after the peer went away (an ``OSError``, as ASGI frameworks expect)."""


def _close_frame(code: int, reason: str = "") -> bytes:
    data = reason.encode()
    if len(data) > 123:  # a control frame holds at most 125 bytes: cut at a character
        data = data[:123].decode(errors="ignore").encode()
    payload = struct.pack("!H", code) + data
    return bytes((0x88, len(payload))) + payload


def _frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x80 | opcode, 126, n) + payload
    return struct.pack("!BBQ", 0x80 | opcode, 127, n) + payload


def _response(status: int, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> bytes:
    try:
        phrase = HTTPStatus(status).phrase.encode()
    except ValueError:
        phrase = b""
    lines = [b"HTTP/1.1 %d %s" % (status, phrase)]
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _tokens(value: bytes) -> set[bytes]:
    return {token.strip().lower() for token in value.split(b",")}


class _Server:
    """What the connections of one uvicorn server share, and their keepalive sweep.

    One timer per server: every ``ws_ping_interval`` it pings every open connection that
    has no ping in flight, and closes (1011) one whose ping is unanswered after
    ``ws_ping_timeout`` (counted in sweeps: at the first sweep once it has passed).
    """

    __slots__ = (
        "__weakref__",
        "app",
        "app_state",
        "asgi_version",
        "connections",
        "interval",
        "max_size",
        "root_path",
        "round",
        "state_ref",
        "tasks",
        "timeout_rounds",
        "timer",
    )

    def __init__(self, config: Any, server_state: Any, app_state: dict[str, Any]) -> None:
        if not config.loaded:
            config.load()  # pragma: no cover - uvicorn loads it before serving
        self.app = config.loaded_app
        self.app_state = app_state
        self.asgi_version = config.asgi_version
        self.root_path: str = config.root_path
        self.max_size: int = config.ws_max_size
        # Weakly: this object is the value of a WeakKeyDictionary keyed by server_state.
        self.state_ref = weakref.ref(server_state)
        self.connections: set[Any] = server_state.connections
        self.tasks: set[asyncio.Task[None]] = server_state.tasks
        interval = config.ws_ping_interval
        self.interval: float = interval if interval and interval > 0 else 0.0
        timeout = config.ws_ping_timeout
        self.timeout_rounds = (
            max(1, math.ceil(timeout / self.interval)) if self.interval and timeout else 0
        )
        self.timer: asyncio.TimerHandle | None = None
        self.round = 0

    def default_headers(self) -> list[tuple[bytes, bytes]]:
        """uvicorn's ``server`` and ``date`` headers (it renews the date every second)."""
        state = self.state_ref()
        return list(state.default_headers) if state is not None else []

    def arm(self) -> None:
        if self.timer is None and self.interval:
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(self.interval, self.sweep)

    def sweep(self) -> None:
        self.timer = None
        self.round += 1
        sockets = [c for c in self.connections if isinstance(c, FrameProtocol)]
        if sockets:
            self._sweep(sockets, 0, self.round)

    def _sweep(self, sockets: list[FrameProtocol], start: int, this: int) -> None:
        # In slices, the loop running in between: a ping is a write (a few us), and a
        # worker may hold many thousands of sockets.
        end = start + 500
        for sock in sockets[start:end]:
            if sock._state == _OPEN:
                sock._keepalive(this, self.timeout_rounds)
        if end < len(sockets):
            asyncio.get_running_loop().call_soon(self._sweep, sockets, end, this)
        else:
            self.arm()


_SERVERS: weakref.WeakKeyDictionary[Any, _Server] = weakref.WeakKeyDictionary()


class FrameWriter:
    """Synchronous writes of ready frames, and the close handshake, for one connection."""

    __slots__ = ("_p",)

    def __init__(self, protocol: FrameProtocol) -> None:
        self._p = protocol

    @property
    def open(self) -> bool:
        """Frames may still go out: the connection is open and so is the socket."""
        p = self._p
        return p._state == _OPEN and not p.transport.is_closing()

    def write(self, frame: bytes) -> bool:
        """Queue ``frame`` on the transport (never blocks); False once the socket is gone."""
        if not self.open:
            return False
        self._p.transport.write(frame)
        return True

    def buffered(self) -> int:
        """Bytes written but not yet taken by the kernel: what a slow reader leaves behind."""
        return self._p.transport.get_write_buffer_size()

    def close(self, code: int, reason: str) -> None:
        """Send the close frame after what is queued, without waiting for the peer to read
        first (a slow consumer never would). The app's next receive() is the disconnect;
        the socket is closed once the peer answers, or cut off after ``CLOSE_TIMEOUT``."""
        if self.open:
            self._p._start_close(code, reason)


class FrameProtocol(asyncio.Protocol):
    """One WebSocket connection under uvicorn (see the module's docstring)."""

    __slots__ = (
        "_buf",
        "_closer",
        "_drain",
        "_ended",
        "_frags",
        "_inbox",
        "_key",
        "_opcode",
        "_paused",
        "_ping",
        "_reply",
        "_scope",
        "_server",
        "_size",
        "_state",
        "_waiter",
        "_write_paused",
        "transport",
    )

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        server = _SERVERS.get(server_state)
        if server is None or server.app_state is not app_state:
            server = _SERVERS[server_state] = _Server(config, server_state, app_state)
        self._server = server
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self._state = _HANDSHAKE
        self._buf: bytearray | None = None  # bytes received, not parsed yet
        self._key: bytes | None = None  # Sec-WebSocket-Accept, until the app answers
        self._scope: dict[str, Any] | None = None  # until the app answers (for the log)
        self._reply: list[Any] | None = None  # [status, headers, body] of a refusal
        self._frags: list[bytes] | None = None  # a fragmented message's parts so far
        self._opcode = 0  # of the message being reassembled (0: none)
        self._size = 0  # its bytes so far
        self._inbox: list[dict[str, Any]] | None = None  # for the app's receive()
        self._waiter: asyncio.Future[None] | None = None  # the app waiting in receive()
        self._ended = 0  # the close code once the disconnect is queued for the app
        self._paused = False  # reading paused until the app takes what it was given
        self._write_paused = False
        self._drain: asyncio.Future[None] | None = None  # sends waiting for the buffer
        self._closer: asyncio.TimerHandle | None = None  # our close unanswered: abort
        self._ping = 0  # the sweep that sent the ping in flight (0: none)

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._server.connections.add(self)
        # uvicorn's HTTP protocol that read the request is done with this socket, but its
        # httptools parser refers back to it: a cycle only a full collection frees (the
        # GC pacer freezes it), holding the request's scope and headers. Break it now,
        # as its own connection_lost does.
        previous = transport.get_protocol()
        parser = getattr(previous, "parser", None)
        if previous is not self and parser is not None and hasattr(parser, "feed_data"):
            previous.parser = None  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        state = self._state
        if state >= _CLOSED:
            return
        buf = self._buf
        if buf is None:
            buf = self._buf = bytearray(data)
        else:
            buf += data
        if state == _HANDSHAKE:
            self._handshake(buf)
        elif state == _CONNECTING:
            self._pause()  # frames before the answer wait for it
        else:
            self._parse()

    def eof_received(self) -> None:
        return None  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._state = _GONE
        self._buf = self._frags = None
        if self._closer is not None:
            self._closer.cancel()
            self._closer = None
        self._disconnect(1006)  # no close frame came: abnormal closure (RFC 6455 §7.1.5)
        self.resume_writing()  # a sender waiting for the socket to drain goes on (and fails)
        if exc is None:
            self.transport.close()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain
        if drain is not None:
            self._drain = None
            if not drain.done():
                drain.set_result(None)

    def shutdown(self) -> None:
        """The server is stopping: an open socket is closed with 1012 (service restart)."""
        state = self._state
        if state == _OPEN:
            self._disconnect(1012)
            self.transport.write(_close_frame(1012))
            self._state = _CLOSED
        elif state in (_HANDSHAKE, _CONNECTING) and self._reply is None:
            self._http_500()
        if self._closer is not None:
            self._closer.cancel()
            self._closer = None
        if state != _GONE:
            self._state = max(self._state, _CLOSED)
            self.transport.close()

    # -- the opening handshake ----------------------------------------------------------

    def _handshake(self, buf: bytearray) -> None:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HANDSHAKE:
                self._refuse(400, "the request headers are too large")
            return
        head = bytes(buf[:end])
        del buf[: end + 4]
        if not buf:
            self._buf = None
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or parts[2] != b"HTTP/1.1":
            self._refuse(400, "the request line must be 'GET <path> HTTP/1.1'")
            return
        method, target, _ = parts
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                self._refuse(400, "a request header is malformed")
                return
            headers.append((name.lower(), value.strip(b" \t")))
        if method != b"GET":
            self._refuse(400, "the method must be GET")
            return
        upgrade: set[bytes] = set()
        connection: set[bytes] = set()
        keys: list[bytes] = []
        versions: list[bytes] = []
        subprotocols: list[str] = []
        for name, value in headers:
            if name == b"upgrade":
                upgrade |= _tokens(value)
            elif name == b"connection":
                connection |= _tokens(value)
            elif name == b"sec-websocket-key":
                keys.append(value)
            elif name == b"sec-websocket-version":
                versions.append(value)
            elif name == b"sec-websocket-protocol":
                subprotocols.extend(t.strip() for t in value.decode("latin-1").split(","))
        if b"websocket" not in upgrade:
            self._refuse(426, "the Upgrade header must be 'websocket'")
            return
        if b"upgrade" not in connection:
            self._refuse(426, "the Connection header must include 'Upgrade'")
            return
        if versions != [b"13"]:
            version = ((b"Sec-WebSocket-Version", b"13"),)
            self._refuse(426, "Sec-WebSocket-Version must be 13", version)
            return
        try:
            (key,) = keys
            if len(base64.b64decode(key, validate=True)) != 16:
                raise ValueError(key)
        except (ValueError, binascii.Error):
            self._refuse(400, "Sec-WebSocket-Key must be one base64-encoded 16-byte value")
            return
        raw_path, _, query = target.partition(b"?")
        try:
            path = raw_path.decode("ascii")
        except UnicodeDecodeError:
            self._refuse(400, "the request target must be ASCII")
            return
        server = self._server
        root = server.root_path
        transport = self.transport
        self._key = base64.b64encode(hashlib.sha1(key + _GUID, usedforsecurity=False).digest())
        scope: dict[str, Any] = {
            "type": "websocket",
            "asgi": {"version": server.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if is_ssl(transport) else "ws",
            "server": get_local_addr(transport),
            "client": get_remote_addr(transport),
            "root_path": root,
            "path": root + unquote(path),
            "raw_path": root.encode("ascii") + raw_path,
            "query_string": query,
            "headers": headers,
            "subprotocols": subprotocols,
            "state": server.app_state.copy(),
            "extensions": {"websocket.http.response": {}, EXTENSION: {"writer": FrameWriter(self)}},
        }
        self._scope = scope
        self._state = _CONNECTING
        self._queue({"type": "websocket.connect"})
        task = asyncio.get_running_loop().create_task(self._run(scope))
        server.tasks.add(task)
        task.add_done_callback(server.tasks.discard)

    def _refuse(
        self, status: int, reason: str, extra: tuple[tuple[bytes, bytes], ...] = ()
    ) -> None:
        """Answer a handshake that is not a valid WebSocket one, and close."""
        log.info("WebSocket handshake refused (%d): %s", status, reason)
        body = f"invalid WebSocket handshake: {reason}\n".encode()
        headers = [
            *self._server.default_headers(),
            *extra,
            (b"Content-Type", b"text/plain; charset=utf-8"),
            (b"Content-Length", str(len(body)).encode()),
            (b"Connection", b"close"),
        ]
        self.transport.write(_response(status, headers, body))
        self._state = _CLOSED
        self._buf = None
        self.transport.close()

    def _http_500(self) -> None:
        if self._state in (_HANDSHAKE, _CONNECTING) and self._reply is None:
            body = b"Internal Server Error"
            headers = [
                *self._server.default_headers(),
                (b"Content-Type", b"text/plain; charset=utf-8"),
                (b"Content-Length", str(len(body)).encode()),
                (b"Connection", b"close"),
            ]
            self.transport.write(_response(500, headers, body))
            self._state = _CLOSED
            self._key = self._scope = None

    # -- the app ------------------------------------------------------------------------

    async def _run(self, scope: dict[str, Any]) -> None:
        try:
            result = await self._server.app(scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except BaseException:
            log.exception("Exception in ASGI application\n")
            self._http_500()
        else:
            if self._state == _CONNECTING:
                log.error("ASGI callable returned without completing handshake.")
                self._http_500()
            elif result is not None:
                log.error("ASGI callable should return None, but returned '%s'.", result)
        if self._closer is None:
            self.transport.close()
            if self._state < _CLOSED:
                self._state = _CLOSED

    async def receive(self) -> dict[str, Any]:
        inbox = self._inbox
        while not inbox:
            if self._ended:  # the disconnect was the last message: it stays the answer
                return {"type": "websocket.disconnect", "code": self._ended}
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
            inbox = self._inbox
        message = inbox.pop(0)
        if not inbox:
            self._inbox = None
            if self._paused and self._state in (_OPEN, _CLOSING):
                self._resume()
        return message

    async def send(self, message: Any) -> None:
        while self._write_paused:
            drain = self._drain
            if drain is None or drain.done():
                drain = self._drain = asyncio.get_running_loop().create_future()
            # Shielded: a sender cancelled while waiting must not cancel the others' wait.
            await asyncio.shield(drain)
        kind = message["type"]
        state = self._state
        if state == _OPEN:
            if kind == "websocket.send":
                data = message.get("bytes")
                if data is not None:
                    self.transport.write(_frame(0x2, data))
                else:
                    text = message.get("text")
                    if text is not None:
                        self.transport.write(_frame(0x1, text.encode()))
            elif kind == "websocket.close":
                self._start_close(message.get("code", 1000), message.get("reason") or "")
            else:
                raise RuntimeError(
                    "Expected ASGI message 'websocket.send' or 'websocket.close', "
                    f"but got '{kind}'."
                )
        elif state == _CONNECTING and self._reply is None:
            if kind == "websocket.accept":
                self._accept(message)
            elif kind == "websocket.close":
                self._log_answer("403")
                self._disconnect(1006)
                self._reply = [403, [], b""]
                self._send_reply()
            elif kind == "websocket.http.response.start":
                status = message["status"]
                if not 100 <= status < 600:
                    raise RuntimeError(f"Invalid HTTP status code '{status}' in response.")
                self._log_answer(str(status))
                self._reply = [status, list(message.get("headers", [])), b""]
            else:
                raise RuntimeError(
                    "Expected ASGI message 'websocket.accept', 'websocket.close' "
                    f"or 'websocket.http.response.start' but got '{kind}'."
                )
        elif state == _CONNECTING:  # a refusal's body
            if kind != "websocket.http.response.body":
                raise RuntimeError(
                    f"Expected ASGI message 'websocket.http.response.body' but got '{kind}'."
                )
            reply = self._reply
            assert reply is not None
            reply[2] += message.get("body", b"")
            if not message.get("more_body", False):
                self._disconnect(1006)
                self._send_reply()
        elif kind == "websocket.send" or (state == _GONE and kind == "websocket.accept"):
            raise ClientDisconnected()
        elif kind not in ("websocket.close", "websocket.http.response.body"):
            raise RuntimeError(f"Unexpected ASGI message '{kind}', after the socket closed.")

    def _accept(self, message: Any) -> None:
        self._log_answer("[accepted]")
        headers = [
            (b"Upgrade", b"websocket"),
            (b"Connection", b"Upgrade"),
            (b"Sec-WebSocket-Accept", self._key or b""),
            *self._server.default_headers(),
            *message.get("headers", []),
        ]
        subprotocol = message.get("subprotocol")
        if subprotocol:
            headers.append((b"Sec-WebSocket-Protocol", subprotocol.encode()))
        self._key = self._scope = None
        self.transport.write(_response(101, headers))
        self._state = _OPEN
        self._server.arm()
        if self._paused:
            self._resume()
        elif self._buf:  # frames that came with the request
            self._parse()

    def _send_reply(self) -> None:
        reply = self._reply
        assert reply is not None
        status, given, body = reply
        headers = [(bytes(n), bytes(v)) for n, v in given]
        defaults = (
            *self._server.default_headers(),  # server, date (as uvicorn's other answers)
            (b"date", email.utils.formatdate(usegmt=True).encode()),
            (b"connection", b"close"),
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"text/plain; charset=utf-8"),
        )
        names = {n.lower() for n, _ in headers}
        for name, value in defaults:
            if name.lower() not in names:
                names.add(name.lower())
                headers.append((name, value))
        self.transport.write(_response(status, headers, bytes(body)))
        self._reply = None
        self._key = self._scope = None
        self._state = _CLOSED
        self._buf = None
        self.transport.close()

    def _log_answer(self, what: str) -> None:
        scope = self._scope
        if scope is None or not log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        path = quote(scope["root_path"] + scope["path"])
        if scope["query_string"]:
            path += "?" + scope["query_string"].decode("ascii", "replace")
        peer = f"{client[0]}:{client[1]}" if client else ""
        log.info('%s - "WebSocket %s" %s', peer, path, what)

    # -- to the app ---------------------------------------------------------------------

    def _queue(self, message: dict[str, Any]) -> None:
        inbox = self._inbox
        if inbox is None:
            self._inbox = [message]
        else:
            inbox.append(message)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _disconnect(self, code: int, reason: str | None = None) -> None:
        """The app's last message (once): the socket is closing or gone."""
        if self._ended:
            return
        self._ended = code
        message: dict[str, Any] = {"type": "websocket.disconnect", "code": code}
        if reason is not None:
            message["reason"] = reason
        self._queue(message)

    def _pause(self) -> None:
        if not self._paused:
            self._paused = True
            self.transport.pause_reading()

    def _resume(self) -> None:
        self._paused = False
        self.transport.resume_reading()
        if self._buf:
            self._parse()

    # -- closing ------------------------------------------------------------------------

    def _start_close(self, code: int, reason: str) -> None:
        """Our close frame after what is queued; the peer's answer is read, and a peer
        that does not answer in time is aborted (``close()`` would wait for the buffered
        frames to drain, which a peer that does not read never lets happen)."""
        if self.transport.is_closing():
            return
        self._disconnect(code, reason)
        self.transport.write(_close_frame(code, reason))
        self._state = _CLOSING
        self._closer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self.transport.abort)
        if self._paused:
            self._resume()

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 §7.1.7): our close frame, then close the socket."""
        if self._state == _OPEN:
            self.transport.write(_close_frame(code, reason))
        self._disconnect(code, reason)
        self._state = _CLOSED
        self._buf = self._frags = None
        if self._closer is not None:
            self._closer.cancel()
            self._closer = None
        self.transport.close()

    def _keepalive(self, this: int, timeout_rounds: int) -> None:
        sent = self._ping
        if not sent:
            self._ping = this
            self.transport.write(_PING)
        elif timeout_rounds and this - sent >= timeout_rounds:
            # A dead peer: no ping answered. abort(): close() would wait for a buffer
            # that a dead peer never drains.
            self.transport.write(_close_frame(1011, "keepalive ping timeout"))
            self._disconnect(1011, "keepalive ping timeout")
            self._state = _CLOSED
            self._buf = self._frags = None
            self.transport.abort()

    # -- frames from the peer -----------------------------------------------------------

    def _parse(self) -> None:
        buf = self._buf
        if buf is None:
            return
        n = len(buf)
        pos = 0
        max_size = self._server.max_size
        while True:
            state = self._state
            if state == _OPEN:
                if self._inbox:  # the app has not taken the last message: read no more
                    self._pause()
                    break
            elif state != _CLOSING:
                return  # failed or closed: the buffer is gone
            if n - pos < 2:
                break
            b0 = buf[pos]
            b1 = buf[pos + 1]
            if b0 & 0x70:
                self._fail(1002, "reserved bits must be 0")
                return
            if not b1 & 0x80:
                self._fail(1002, "a client frame must be masked")
                return
            opcode = b0 & 0x0F
            fin = b0 & 0x80
            length = b1 & 0x7F
            head = pos + 2
            if length == 126:
                if n - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = pos + 4
            elif length == 127:
                if n - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = pos + 10
                if length >> 63:
                    self._fail(1002, "the payload length's top bit must be 0")
                    return
            if opcode >= 8:
                if opcode > 10:
                    self._fail(1002, f"unknown opcode {opcode}")
                    return
                if not fin:
                    self._fail(1002, "a control frame must not be fragmented")
                    return
                if length > 125:
                    self._fail(1002, "a control frame holds at most 125 bytes")
                    return
            else:
                if opcode > 2:
                    self._fail(1002, f"unknown opcode {opcode}")
                    return
                if (opcode == 0) != (self._opcode != 0):
                    if opcode == 0:
                        self._fail(1002, "a continuation frame without a message")
                    else:
                        self._fail(1002, "a new message before the last one ended")
                    return
                if self._size + length > max_size:
                    self._fail(1009, f"message over {max_size} bytes")
                    return
            end = head + 4 + length
            if n < end:
                break  # the rest of this frame is still to come (bounded just above)
            mask = bytes(buf[head : head + 4])
            with memoryview(buf) as view, view[head + 4 : end] as data:
                payload = apply_mask(data, mask) if length else b""
            pos = end
            if opcode >= 8:
                self._control(opcode, payload)
            else:
                self._data(opcode, fin, payload)
        if self._state >= _CLOSED:
            return
        if pos >= n:
            self._buf = None
        elif pos:
            del buf[:pos]

    def _data(self, opcode: int, fin: int, payload: bytes) -> None:
        if fin and not self._opcode:
            kind = opcode
            data = payload
        else:
            if opcode:  # the first fragment
                self._opcode = opcode
                self._frags = [payload]
            else:
                frags = self._frags
                assert frags is not None
                frags.append(payload)
            self._size += len(payload)
            if not fin:
                return
            kind = self._opcode
            data = b"".join(self._frags or ())
            self._opcode = self._size = 0
            self._frags = None
        if self._state != _OPEN:
            return  # past our close frame: what the peer still sends is discarded
        if kind == 1:
            try:
                text = data.decode()
            except UnicodeDecodeError:
                self._fail(1007, "invalid UTF-8 in a text message")
                return
            self._queue({"type": "websocket.receive", "text": text})
        else:
            self._queue({"type": "websocket.receive", "bytes": data})

    def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == 9:  # ping
            if self._state == _OPEN:
                self.transport.write(bytes((0x8A, len(payload))) + payload)
        elif opcode == 10:  # pong
            self._ping = 0
        else:  # close
            if len(payload) == 1:
                self._fail(1002, "a close frame's payload must be empty or hold a code")
                return
            code = 1005
            reason = ""
            if payload:
                code = (payload[0] << 8) | payload[1]
                if code not in _PEER_CODES and not 3000 <= code < 5000:
                    self._fail(1002, f"invalid close code {code}")
                    return
                try:
                    reason = payload[2:].decode()
                except UnicodeDecodeError:
                    self._fail(1007, "invalid UTF-8 in a close reason")
                    return
            if self._state == _CLOSING:  # the peer answered our close: done
                if self._closer is not None:
                    self._closer.cancel()
                    self._closer = None
            else:  # the peer closes: echo its code, then close the socket
                self.transport.write(bytes((0x88, len(payload))) + payload)
                self._disconnect(code, reason)
            self._state = _CLOSED
            self._buf = self._frags = None
            self.transport.close()

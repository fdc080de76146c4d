"""RFC 6455 conformance of Townhall's WebSocket protocol (realtime.transport.protocol),
on real sockets against a real uvicorn: the opening handshake, framing, control frames,
the closing handshake, keepalive, flow control, shutdown and hostile bytes."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from realtime.transport import protocol as protocol_module
from realtime.transport.protocol import FrameProtocol

WS = "realtime.transport.protocol:FrameProtocol"
KEY = b"dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3's example
ACCEPT = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@dataclass
class Echo:
    """An ASGI app that accepts (with the first subprotocol offered), echoes every
    message and records what it receives; ``deny`` answers HTTP instead; ``hold``
    stops it receiving until set."""

    received: list[dict[str, Any]] = field(default_factory=list)
    deny: tuple[int, bytes] | None = None
    hold: asyncio.Event | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        self.received.append(await receive())
        if self.deny is not None:
            status, body = self.deny
            await send({"type": "websocket.http.response.start", "status": status, "headers": []})
            await send({"type": "websocket.http.response.body", "body": body})
            return
        subprotocols = scope["subprotocols"]
        await send(
            {"type": "websocket.accept", "subprotocol": subprotocols[0] if subprotocols else None}
        )
        while True:
            if self.hold is not None:
                await self.hold.wait()
            message = await receive()
            self.received.append(message)
            if message["type"] == "websocket.disconnect":
                return
            await send(
                {"type": "websocket.send", **{k: v for k, v in message.items() if k != "type"}}
            )


@dataclass
class Served:
    host: str
    port: int
    server: uvicorn.Server
    peers: list[Peer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/"

    async def close_peers(self) -> None:
        for peer in self.peers:
            peer.writer.close()
            with contextlib.suppress(Exception):
                await peer.writer.wait_closed()


Start = Callable[..., Awaitable[Served]]


@pytest.fixture
async def start(caplog: pytest.LogCaptureFixture) -> AsyncIterator[Start]:
    """Start ``app`` under uvicorn with our protocol; uvicorn's own log (which does not
    propagate to the root logger) goes to ``caplog`` too."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    running: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    made: list[Served] = []

    async def run(app: Any, **options: Any) -> Served:
        options.setdefault("ws_max_size", 64 * 1024)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, ws=WS, log_level="warning", lifespan="off", **options)
        server = uvicorn.Server(config)  # the config has set uvicorn's logging up
        uvicorn_log.addHandler(caplog.handler)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        running.append((server, task))
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        made.append(Served("127.0.0.1", sock.getsockname()[1], server))
        return made[-1]

    yield run
    for server, task in running:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
    for served in made:
        await served.close_peers()
    uvicorn_log.removeHandler(caplog.handler)


class Peer:
    """A raw client: writes exactly the bytes a test wants, reads the server's frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, served: Served) -> Peer:
        reader, writer = await asyncio.open_connection(served.host, served.port)
        peer = cls(reader, writer)
        served.peers.append(peer)
        return peer

    async def request(
        self, headers: dict[str, str] | None = None, method: str = "GET"
    ) -> tuple[int, dict[str, str], bytes]:
        fields = {
            "Host": "x",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": KEY.decode(),
            "Sec-WebSocket-Version": "13",
        }
        for name, value in (headers or {}).items():
            if value == "":
                fields.pop(name, None)
            else:
                fields[name] = value
        lines = [f"{method} /chat HTTP/1.1", *(f"{k}: {v}" for k, v in fields.items()), "", ""]
        self.writer.write("\r\n".join(lines).encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *rest = head.decode("latin-1").split("\r\n")
        answer = {k.lower(): v.strip() for k, _, v in (r.partition(":") for r in rest if r)}
        body = b""
        if "content-length" in answer:
            body = await self.reader.readexactly(int(answer["content-length"]))
        return int(status_line.split(" ")[1]), answer, body

    async def handshake(self) -> None:
        status, headers, _ = await self.request()
        assert status == 101
        assert headers["sec-websocket-accept"] == ACCEPT.decode()

    def send(
        self, opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True, rsv: int = 0
    ) -> None:
        self.writer.write(frame(opcode, payload, fin=fin, mask=mask, rsv=rsv))

    async def recv(self) -> tuple[int, bytes]:
        b0, b1 = await self.reader.readexactly(2)
        assert not b1 & 0x80, "a server frame is never masked"
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
        return b0 & 0x0F, await self.reader.readexactly(n)

    async def close_code(self) -> int:
        """The next frame is a close: its code."""
        opcode, payload = await self.recv()
        assert opcode == 8, (opcode, payload)
        code: int = struct.unpack("!H", payload[:2])[0]
        return code

    async def eof(self) -> bool:
        """The server closed the socket (after anything still to read)."""
        with contextlib.suppress(ConnectionError):
            while await self.reader.read(65536):
                pass
        return True

    def close(self) -> None:
        self.writer.close()


def frame(
    opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True, rsv: int = 0
) -> bytes:
    b0 = (0x80 if fin else 0) | rsv << 4 | opcode
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head = bytes((b0, m | n))
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


# -- the opening handshake ----------------------------------------------------------------


@pytest.mark.parametrize("http", ["httptools", "h11"])  # each re-assembles the request
async def test_a_valid_handshake_is_accepted_with_the_apps_subprotocol(
    start: Start, http: str
) -> None:
    app = Echo()
    served = await start(app, http=http)
    peer = await Peer.open(served)
    status, headers, _ = await peer.request({"Sec-WebSocket-Protocol": "chat, superchat"})
    assert status == 101
    assert headers["upgrade"].lower() == "websocket"
    assert headers["connection"].lower() == "upgrade"
    expected = base64.b64encode(
        hashlib.sha1(KEY + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
    )
    assert headers["sec-websocket-accept"] == expected.decode() == ACCEPT.decode()
    assert headers["sec-websocket-protocol"] == "chat"
    peer.send(1, b"hi")
    assert await peer.recv() == (1, b"hi")
    peer.close()


async def test_the_scope_is_built_as_uvicorn_builds_it(start: Start) -> None:
    scopes: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        scopes.append(scope)
        await receive()
        await send({"type": "websocket.accept"})
        await receive()

    served = await start(app, root_path="/base")
    async with connect(served.url + "a%20b/c?x=1&y=%20", subprotocols=["p1", "p2"]) as ws:  # type: ignore[list-item]
        await ws.ping()
    (scope,) = scopes
    assert scope["type"] == "websocket"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["scheme"] == "ws"
    assert scope["server"] == ("127.0.0.1", served.port)
    assert scope["client"][0] == "127.0.0.1"
    assert scope["root_path"] == "/base"
    assert scope["path"] == "/base/a b/c"
    assert scope["raw_path"] == b"/base/a%20b/c"
    assert scope["query_string"] == b"x=1&y=%20"
    assert (b"sec-websocket-version", b"13") in scope["headers"]
    assert scope["subprotocols"] == ["p1", "p2"]
    assert scope["state"] == {}
    assert set(scope["extensions"]) == {"websocket.http.response", "realtime.frames"}


async def test_proxy_headers_still_apply(start: Start) -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["client"], scope["scheme"]))
        await receive()
        await send({"type": "websocket.accept"})
        await receive()

    served = await start(app, forwarded_allow_ips="127.0.0.1")
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    async with connect(served.url, additional_headers=headers) as ws:
        await ws.ping()
    assert seen == [(("203.0.113.9", 0), "wss")]


@pytest.mark.parametrize(
    ("headers", "method", "status", "says"),
    [
        ({"Sec-WebSocket-Key": ""}, "GET", 400, "Sec-WebSocket-Key"),
        ({"Sec-WebSocket-Key": "c2hvcnQ="}, "GET", 400, "Sec-WebSocket-Key"),  # 5 bytes
        ({"Sec-WebSocket-Key": "not base64!!"}, "GET", 400, "Sec-WebSocket-Key"),
        ({"Sec-WebSocket-Version": "8"}, "GET", 426, "Sec-WebSocket-Version must be 13"),
        ({"Sec-WebSocket-Version": ""}, "GET", 426, "Sec-WebSocket-Version must be 13"),
        ({}, "POST", 400, "the method must be GET"),
    ],
)
async def test_a_bad_handshake_is_answered_not_crashed(
    start: Start,
    caplog: pytest.LogCaptureFixture,
    headers: dict[str, str],
    method: str,
    status: int,
    says: str,
) -> None:
    app = Echo()
    served = await start(app)
    peer = await Peer.open(served)
    got, answer, body = await peer.request(headers, method)
    assert got == status
    assert says in body.decode()
    assert answer["connection"] == "close"
    if status == 426:
        assert answer["sec-websocket-version"] == "13"
    assert await peer.eof()
    assert app.received == []  # the app never saw it
    async with connect(served.url) as ws:  # and the worker still serves
        await ws.send("still here")
        assert await ws.recv() == "still here"
    assert errors(caplog) == []


async def test_the_apps_http_refusal_reaches_the_client(start: Start) -> None:
    app = Echo(deny=(403, b"origin_not_allowed"))
    served = await start(app)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(served.url):
            pass
    assert refused.value.response.status_code == 403
    assert refused.value.response.body == b"origin_not_allowed"
    assert app.received == [{"type": "websocket.connect"}]


async def test_a_close_before_accept_is_a_403(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.close"})
        assert (await receive())["type"] == "websocket.disconnect"

    served = await start(app)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(served.url):
            pass
    assert refused.value.response.status_code == 403
    assert errors(caplog) == []


async def test_an_app_that_fails_before_accepting_gets_a_500(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("boom")

    served = await start(app)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(served.url):
            pass
    assert refused.value.response.status_code == 500
    assert any("Exception in ASGI application" in e for e in errors(caplog))


async def test_frames_sent_before_the_accept_wait_for_it(start: Start) -> None:
    """A client that sends frames right behind its request, while the app has not
    answered yet: they are kept (reading paused) and read after the accept, in order."""
    go = asyncio.Event()
    received: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await go.wait()
        await send({"type": "websocket.accept"})
        while (message := await receive())["type"] == "websocket.receive":
            received.append(message["text"])

    served = await start(app)
    peer = await Peer.open(served)
    request = (
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + KEY + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    peer.writer.write(request)
    await peer.writer.drain()
    try:
        protocol = None
        for _ in range(500):
            ours = [
                c for c in served.server.server_state.connections if isinstance(c, FrameProtocol)
            ]
            if ours and ours[0]._state == protocol_module._CONNECTING:
                protocol = ours[0]
                break
            await asyncio.sleep(0.01)
        assert protocol is not None
        peer.send(1, b"one")
        peer.send(1, b"two")
        await peer.writer.drain()
        for _ in range(500):
            if protocol._buf:
                break
            await asyncio.sleep(0.01)
        assert protocol._buf
        assert received == []
    finally:
        go.set()
    await peer.reader.readuntil(b"\r\n\r\n")  # the 101
    for _ in range(500):
        if len(received) == 2:
            break
        await asyncio.sleep(0.01)
    assert received == ["one", "two"]


# -- frames -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (frame(1, b"x", mask=False), 1002),  # client frames must be masked
        (frame(1, b"x", rsv=4), 1002),  # RSV1 without an extension
        (frame(3, b"x"), 1002),  # reserved data opcode
        (frame(11, b""), 1002),  # reserved control opcode
        (frame(9, b"x", fin=False), 1002),  # fragmented control frame
        (frame(9, b"x" * 126), 1002),  # control frame over 125 bytes
        (frame(0, b"x"), 1002),  # continuation without a message
        (frame(1, b"a", fin=False) + frame(1, b"b"), 1002),  # a new message mid-message
        (frame(8, b"\x03"), 1002),  # a close payload of one byte
        (frame(8, struct.pack("!H", 1005)), 1002),  # a code that must not be sent
        (frame(1, b"\xff\xfe"), 1007),  # not UTF-8
        (frame(1, "é".encode()[:1], fin=False) + frame(0, b"z"), 1007),  # split, invalid
        (frame(8, struct.pack("!H", 1000) + b"\xff"), 1007),  # close reason not UTF-8
    ],
    # Named, not shown: the frames carry random mask keys, and ids drawn from them differ
    # between pytest-xdist processes, which must all collect the same tests.
    ids=[
        "unmasked",
        "rsv1",
        "reserved-data-opcode",
        "reserved-control-opcode",
        "fragmented-control",
        "long-control",
        "lone-continuation",
        "new-message-mid-message",
        "one-byte-close",
        "close-1005",
        "not-utf8",
        "split-not-utf8",
        "close-reason-not-utf8",
    ],
)
async def test_a_protocol_error_closes_with_its_code(
    start: Start, caplog: pytest.LogCaptureFixture, data: bytes, code: int
) -> None:
    app = Echo()
    served = await start(app)
    peer = await Peer.open(served)
    await peer.handshake()
    peer.writer.write(data)
    assert await peer.close_code() == code
    assert await peer.eof()
    for _ in range(500):
        if app.received[-1]["type"] == "websocket.disconnect":
            break
        await asyncio.sleep(0.01)
    assert app.received[-1]["type"] == "websocket.disconnect"
    assert app.received[-1]["code"] == code
    assert errors(caplog) == []


async def test_fragments_are_reassembled_with_control_frames_between(start: Start) -> None:
    served = await start(Echo())
    peer = await Peer.open(served)
    await peer.handshake()
    text = "héllo wörld"
    data = text.encode()
    peer.send(1, data[:2], fin=False)  # splits the é
    peer.send(9, b"mid")  # a ping between fragments is allowed
    peer.send(0, data[2:7], fin=False)
    peer.send(0, data[7:])
    assert await peer.recv() == (10, b"mid")
    assert await peer.recv() == (1, data)
    peer.send(2, b"\x00\x01", fin=False)
    peer.send(0, b"\x02")
    assert await peer.recv() == (2, b"\x00\x01\x02")
    peer.close()


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
async def test_lengths_of_every_encoding_up_to_the_cap(start: Start, size: int) -> None:
    served = await start(Echo(), ws_max_size=65536)
    async with connect(served.url, max_size=None) as ws:
        payload = os.urandom(size)
        await ws.send(payload)
        assert await ws.recv() == payload


async def test_a_message_over_the_cap_is_1009_before_it_is_read(start: Start) -> None:
    app = Echo()
    served = await start(app, ws_max_size=1024)
    peer = await Peer.open(served)
    await peer.handshake()
    # Announce 1 MB and send none of it: refused from the header alone.
    peer.writer.write(struct.pack("!BBQ", 0x82, 0x80 | 127, 1 << 20) + os.urandom(4))
    assert await peer.close_code() == 1009
    assert await peer.eof()
    # Fragments count together.
    peer = await Peer.open(served)
    await peer.handshake()
    peer.send(2, b"x" * 600, fin=False)
    peer.send(0, b"x" * 600)
    assert await peer.close_code() == 1009


async def test_ping_is_answered_with_its_payload(start: Start) -> None:
    served = await start(Echo())
    peer = await Peer.open(served)
    await peer.handshake()
    peer.send(9, b"are you there")
    assert await peer.recv() == (10, b"are you there")
    peer.send(10, b"unsolicited")  # ignored
    peer.send(1, b"after")
    assert await peer.recv() == (1, b"after")
    peer.close()


# -- the closing handshake ----------------------------------------------------------------


async def test_a_peer_close_is_echoed_and_the_app_told(start: Start) -> None:
    app = Echo()
    served = await start(app)
    peer = await Peer.open(served)
    await peer.handshake()
    peer.send(8, struct.pack("!H", 4321) + "bye ✓".encode())
    opcode, payload = await peer.recv()
    assert opcode == 8
    assert struct.unpack("!H", payload[:2])[0] == 4321
    assert await peer.eof()
    for _ in range(500):
        if len(app.received) == 2:
            break
        await asyncio.sleep(0.01)
    assert app.received[1] == {"type": "websocket.disconnect", "code": 4321, "reason": "bye ✓"}


async def test_an_empty_close_is_1005_for_the_app(start: Start) -> None:
    app = Echo()
    served = await start(app)
    peer = await Peer.open(served)
    await peer.handshake()
    peer.send(8, b"")
    assert await peer.recv() == (8, b"")
    assert await peer.eof()
    for _ in range(500):
        if len(app.received) == 2:
            break
        await asyncio.sleep(0.01)
    assert app.received[1]["code"] == 1005


async def test_the_apps_close_reaches_a_websockets_client_with_code_and_reason(
    start: Start,
) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "last"})
        await send({"type": "websocket.close", "code": 4000, "reason": "done"})
        assert (await receive()) == {"type": "websocket.disconnect", "code": 4000, "reason": "done"}

    served = await start(app)
    async with connect(served.url) as ws:
        assert await ws.recv() == "last"
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4000, "done")
    for _ in range(500):
        if not served.server.server_state.connections:
            break
        await asyncio.sleep(0.01)
    assert not served.server.server_state.connections


async def test_a_peer_that_ignores_our_close_is_cut_off(
    start: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol_module, "CLOSE_TIMEOUT", 0.2)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 1000})
        await receive()

    served = await start(app)
    peer = await Peer.open(served)
    await peer.handshake()
    assert await peer.close_code() == 1000  # read, but never answered
    assert await peer.eof()  # cut off by the server
    for _ in range(500):
        if not served.server.server_state.connections:
            break
        await asyncio.sleep(0.01)
    assert not served.server.server_state.connections


async def test_shutdown_closes_open_sockets_with_1012(start: Start) -> None:
    app = Echo()
    served = await start(app)
    async with connect(served.url) as ws:
        await ws.send("x")
        assert await ws.recv() == "x"
        served.server.should_exit = True
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012
    for _ in range(500):
        if app.received[-1]["type"] == "websocket.disconnect":
            break
        await asyncio.sleep(0.01)
    assert app.received[-1] == {"type": "websocket.disconnect", "code": 1012}


# -- keepalive and flow control -----------------------------------------------------------


async def test_keepalive_pings_and_closes_a_peer_that_never_answers(start: Start) -> None:
    app = Echo()
    served = await start(app, ws_ping_interval=0.1, ws_ping_timeout=0.1)
    async with connect(served.url, ping_interval=None) as alive:  # answers pings itself
        silent = await Peer.open(served)
        await silent.handshake()
        assert await silent.recv() == (9, b"")  # pinged; never answers
        assert await silent.close_code() == 1011
        assert await silent.eof()
        await alive.send("still open")  # several sweeps later, the answering one is open
        assert await alive.recv() == "still open"
    disconnects = [m for m in app.received if m["type"] == "websocket.disconnect"]
    assert {
        "type": "websocket.disconnect",
        "code": 1011,
        "reason": "keepalive ping timeout",
    } in disconnects


async def test_reading_waits_for_the_app_to_take_each_message(start: Start) -> None:
    """Flow control: while the app has not taken a message, no more is parsed and the
    socket is not read; when it takes it, reading resumes and nothing was lost."""
    app = Echo(hold=asyncio.Event())
    served = await start(app)
    peer = await Peer.open(served)
    await peer.handshake()
    for n in range(200):
        peer.send(1, str(n).encode() * 500)
    await peer.writer.drain()
    (protocol,) = served.server.server_state.connections
    assert isinstance(protocol, FrameProtocol)
    for _ in range(500):
        if protocol._paused:
            break
        await asyncio.sleep(0.01)
    assert protocol._paused
    assert protocol._inbox is not None
    assert len(protocol._inbox) == 1
    assert app.hold is not None
    app.hold.set()
    got = [await peer.recv() for _ in range(200)]
    assert [payload for _, payload in got] == [str(n).encode() * 500 for n in range(200)]
    peer.close()


async def test_asgi_send_waits_while_the_peer_does_not_read(start: Start) -> None:
    """Backpressure: ``send`` waits while the transport is paused; a waiting sender that
    is cancelled does not cancel another's wait, which ends once the peer reads."""
    blocked = asyncio.Event()
    finished: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        chunk = b"x" * 60_000
        while True:
            first = asyncio.ensure_future(send({"type": "websocket.send", "bytes": chunk}))
            for _ in range(50):
                await asyncio.sleep(0)
            if not first.done():
                break
        second = asyncio.ensure_future(send({"type": "websocket.send", "text": "after"}))
        await asyncio.sleep(0)
        blocked.set()
        first.cancel()
        await second
        finished.append("after")
        await receive()

    served = await start(app)
    peer = await Peer.open(served)
    await peer.handshake()
    await asyncio.wait_for(blocked.wait(), 30)
    (protocol,) = served.server.server_state.connections
    assert isinstance(protocol, FrameProtocol)
    assert protocol._write_paused
    assert finished == []
    while True:  # now read: the second sender goes on
        opcode, payload = await peer.recv()
        if opcode == 1:
            break
    assert payload == b"after"
    for _ in range(500):
        if finished:
            break
        await asyncio.sleep(0.01)
    assert finished == ["after"]


# -- hostile bytes ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(chunks=st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=8))
def test_random_bytes_after_a_handshake_never_crash_the_worker(chunks: list[bytes]) -> None:
    async def scenario() -> None:
        app = Echo()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(app, ws=WS, log_level="warning", lifespan="off", ws_max_size=4096)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        for _ in range(2000):
            if server.started:
                break
            await asyncio.sleep(0.005)
        served = Served("127.0.0.1", sock.getsockname()[1], server)
        try:
            peer = await Peer.open(served)
            await peer.handshake()
            with contextlib.suppress(OSError):  # the server may have closed already
                for chunk in chunks:
                    peer.writer.write(chunk)
                    await asyncio.sleep(0)
                await peer.writer.drain()
                peer.writer.write_eof()
            await asyncio.wait_for(peer.eof(), 10)  # answered or closed, never hung
            async with connect(served.url) as ws:  # the worker still serves
                await ws.send("ok")
                assert await ws.recv() == "ok"
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 30)
            await served.close_peers()

    asyncio.run(scenario())

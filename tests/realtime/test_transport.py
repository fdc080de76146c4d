"""Pre-encoded frames below the ASGI send path: the frame encoder, the flusher's outboxes,
the FrameWriter of Townhall's own protocol on a real uvicorn, and the fallback to ASGI
``send``. The protocol's RFC 6455 conformance is in test_ws_protocol.py."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from realtime.client import Client
from realtime.fanout import Flusher, Outbox, RoomFanout, Traffic
from realtime.transport import protocol as protocol_module
from realtime.transport.frames import EXTENSION, text_frame
from realtime.transport.protocol import FrameProtocol, FrameWriter
from realtime.wire import CloseCode
from tests.realtime.conftest import ServeFn


def _parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser: Generator[None, None, Frame] = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        assert not reader.buffer
        return frame
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_text_frame_is_what_a_websocket_parser_reads(size: int) -> None:
    payload = ("가" * size).encode()[:size]
    frame = _parse(text_frame(payload))
    assert (frame.opcode, frame.fin, frame.rsv1) == (Opcode.TEXT, True, False)
    assert bytes(frame.data) == payload


class FakeSocket:
    """A FrameSink that records frames; ``backlog`` is what the kernel has not taken."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.closed: tuple[int, str] | None = None
        self.backlog = 0
        self.gone = False

    def write(self, frame: bytes) -> bool:
        if self.gone:
            return False
        self.frames.append(frame)
        return True

    def buffered(self) -> int:
        return self.backlog

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def texts(self) -> list[str]:
        return [bytes(_parse(f).data).decode() for f in self.frames]


async def _never(text: str) -> None:
    raise AssertionError("a direct outbox never uses ASGI send")


async def _never_close(code: int, reason: str) -> None:
    raise AssertionError("a direct outbox never uses ASGI send")


def _outbox(sock: FakeSocket, flusher: Flusher, budget: int = 10_000) -> Outbox:
    return Outbox(_never, _never_close, budget, Traffic(), frames=(sock, flusher))


async def _ticks(n: int = 3) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_one_pass_per_tick_one_frame_per_connection_encoded_once() -> None:
    flusher = Flusher()
    socks = [FakeSocket() for _ in range(3)]
    fanout = RoomFanout()
    for sock in socks:
        fanout.add("public", _outbox(sock, flusher))
    for n in range(1, 4):
        fanout.publish("public", json.dumps({"n": n}))
    fanout.publish("public", '{"n":4},{"n":5}', 2)
    await _ticks()
    assert flusher.passes == 1
    assert [s.texts() for s in socks] == [['[{"n": 1},{"n": 2},{"n": 3},{"n":4},{"n":5}]']] * 3
    assert socks[0].frames[0] is socks[1].frames[0] is socks[2].frames[0]  # built once
    fanout.publish("public", "6")
    await _ticks()
    assert [s.texts()[-1] for s in socks] == ["6"] * 3  # a lone message goes out alone


async def test_while_messages_keep_coming_passes_are_an_interval_apart() -> None:
    flusher = Flusher(interval=3600.0)
    sock = FakeSocket()
    outbox = _outbox(sock, flusher)
    outbox.push("1")
    await _ticks()
    assert sock.texts() == ["1"]  # the first message after a quiet spell: next tick
    outbox.push("2")
    outbox.push("3")
    await _ticks()
    assert sock.texts() == ["1"]  # waits for the interval, joining what comes meanwhile
    flusher.close()
    assert sock.texts() == ["1", "[2,3]"]


async def test_a_transport_backlog_past_the_budget_closes_4009() -> None:
    flusher = Flusher()
    metrics = Traffic()
    sock = FakeSocket()
    outbox = Outbox(_never, _never_close, 100, metrics, frames=(sock, flusher))
    outbox.grant(1000)  # a resume's replay may exceed the budget once
    sock.backlog = 900
    outbox.push("r" * 900)
    await _ticks()
    assert sock.closed is None
    sock.backlog = 0
    outbox.push("x")
    await _ticks()
    assert not outbox.closing  # drained: back to the base budget of 100
    sock.backlog = 150  # the client stopped reading
    outbox.push("y" * 50)
    await _ticks()
    assert outbox.close_code == CloseCode.SLOW_CONSUMER
    assert sock.closed == (CloseCode.SLOW_CONSUMER, "slow_consumer")
    assert metrics.closes == {CloseCode.SLOW_CONSUMER: 1}
    outbox.push("z")
    await _ticks()
    assert len(sock.frames) == 3  # nothing more after the close


async def test_queued_past_the_budget_is_dropped_and_closed_without_a_write() -> None:
    flusher = Flusher()
    sock = FakeSocket()
    outbox = _outbox(sock, flusher, budget=10)
    outbox.push("a" * 8)
    outbox.push("b" * 8)
    await _ticks()
    assert sock.frames == []
    assert sock.closed == (CloseCode.SLOW_CONSUMER, "slow_consumer")


async def test_a_vanished_peer_is_going_away_and_others_still_get_their_frames() -> None:
    flusher = Flusher()
    gone, fine = FakeSocket(), FakeSocket()
    gone.gone = True
    fanout = RoomFanout()
    fanout.add("public", _outbox(gone, flusher))
    fanout.add("public", _outbox(fine, flusher))
    fanout.publish("public", "1")
    await _ticks()
    assert fine.texts() == ["1"]
    fanout.publish("public", "2")  # the closed one is dropped from the room here
    assert fanout.counts() == {"public": 1}


@dataclass
class Direct:
    """A bare ASGI app on a real uvicorn server with FrameProtocol: each socket is
    accepted, then ``script`` runs with its FrameWriter; what the app receives after
    that is kept in ``received``."""

    url: str
    server: uvicorn.Server
    writers: list[FrameWriter] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def direct() -> AsyncIterator[Callable[[Script], Awaitable[Direct]]]:
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(script: Script) -> Direct:
        made: list[Direct] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "websocket":
                return
            here = made[0]
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            writer = scope["extensions"][EXTENSION]["writer"]
            assert isinstance(writer, FrameWriter)
            here.writers.append(writer)
            await script(writer)
            while True:
                message = await receive()
                here.received.append(message)
                if message["type"] == "websocket.disconnect":
                    here.done.set()
                    return

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            app, ws="realtime.transport.protocol:FrameProtocol", log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        servers.append((server, task))
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        made.append(Direct(f"ws://127.0.0.1:{sock.getsockname()[1]}/", server))
        return made[0]

    yield start
    for server, task in servers:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


Script = Callable[[FrameWriter], Awaitable[None]]


async def test_frames_and_the_close_reach_a_real_client_and_the_handshake_ends(
    direct: Callable[[Script], Awaitable[Direct]], caplog: pytest.LogCaptureFixture
) -> None:
    """What the hub relies on, checked on uvicorn itself: frames written below ``send``
    arrive whole and in order, the close frame after them; the app's next receive is
    the disconnect; once the peer answers, uvicorn closes the socket; later writes are
    refused; nothing is logged as an error."""

    async def script(writer: FrameWriter) -> None:
        for n in range(3):
            assert writer.write(text_frame(json.dumps({"n": n}).encode()))
        writer.close(CloseCode.SLOW_CONSUMER, "slow_consumer")
        assert not writer.open
        assert not writer.write(text_frame(b'"late"'))

    served = await direct(script)
    async with connect(served.url) as ws:
        got = [json.loads(await ws.recv()) for _ in range(3)]
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert got == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4009, "slow_consumer")
    await asyncio.wait_for(served.done.wait(), 10)
    assert served.received[0] == {
        "type": "websocket.disconnect",
        "code": CloseCode.SLOW_CONSUMER,
        "reason": "slow_consumer",
    }
    for _ in range(500):  # the socket is closed once the handshake is over
        if not served.server.server_state.connections:
            break
        await asyncio.sleep(0.01)
    assert not served.server.server_state.connections
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


async def test_a_peer_that_never_reads_is_closed_after_the_close_timeout(
    direct: Callable[[Script], Awaitable[Direct]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A slow consumer: the kernel buffers fill, the transport holds the rest
    (``buffered``), the close frame goes behind it without waiting for the peer, and
    the socket is closed when the peer does not answer in time."""
    monkeypatch.setattr(protocol_module, "CLOSE_TIMEOUT", 0.2)

    async def script(writer: FrameWriter) -> None:
        chunk = text_frame(b'"' + b"x" * 60_000 + b'"')
        while writer.buffered() < 1_000_000:
            assert writer.write(chunk)
            await asyncio.sleep(0)
        writer.close(CloseCode.SLOW_CONSUMER, "slow_consumer")

    served = await direct(script)
    host, port = served.url.removeprefix("ws://").rstrip("/").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await asyncio.wait_for(served.done.wait(), 10)  # the app's receive ends at once
    for _ in range(500):  # and the socket goes once the peer failed to answer
        if not served.server.server_state.connections:
            break
        await asyncio.sleep(0.01)
    assert not served.server.server_state.connections
    writer.close()
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


async def test_the_protocol_is_light_and_keeps_nothing_of_the_handshake(
    direct: Callable[[Script], Awaitable[Direct]],
) -> None:
    """Per socket: a slotted object (no dict), the handshake dropped once answered, and
    uvicorn's HTTP protocol that read the upgrade request not kept alive by its parser's
    reference cycle (checked with the cycle collector off: only reference counts free)."""

    async def script(writer: FrameWriter) -> None:
        return None

    served = await direct(script)
    gc.collect()
    gc.disable()
    try:
        async with connect(served.url) as ws:
            await ws.ping()  # served: the app is past the accept
            (protocol,) = served.server.server_state.connections
            assert isinstance(protocol, FrameProtocol)
            assert not hasattr(protocol, "__dict__")
            assert protocol._key is None
            assert protocol._scope is None
            assert protocol._inbox is None
            assert protocol._buf is None
            http = [o for o in gc.get_objects() if type(o).__name__ == "HttpToolsProtocol"]
            assert http == []
            await ws.send("hello")  # and it still carries what the peer sends
            for _ in range(500):
                if served.received:
                    break
                await asyncio.sleep(0.01)
            assert served.received[0] == {"type": "websocket.receive", "text": "hello"}
    finally:
        gc.enable()


@pytest.mark.parametrize("ws", ["realtime.transport.protocol:FrameProtocol", "websockets-sansio"])
async def test_the_hub_writes_frames_directly_or_falls_back_to_asgi_send(
    serve: ServeFn, ws: str
) -> None:
    s = await serve(ws=ws)
    adder, watcher = Client(s.url, "participant@main"), Client(s.url, "observer@main")
    await adder.connect()
    await watcher.connect()
    ack = await adder.request("counter.add", {"n": 5})
    while (event := await watcher.next_event())["seq"] < ack["seq"]:
        pass
    assert event["data"]["total"] == 5
    await adder.close()
    await watcher.close()
    direct = ws.startswith("realtime.")
    assert (s.rt.flusher.passes > 0) is direct
    assert s.rt.traffic.messages_sent >= 4  # welcomes, ack, events: counted either way


async def test_the_extension_is_offered_in_the_scope(serve: ServeFn) -> None:
    seen: list[Any] = []
    s = await serve()
    original = s.rt.__class__.__call__

    async def spy(self: Any, scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["extensions"].get(EXTENSION))
        await original(self, scope, receive, send)

    s.rt.__class__.__call__ = spy  # type: ignore[method-assign]
    try:
        client = Client(s.url, "observer@main")
        await client.connect()
        await client.close()
    finally:
        s.rt.__class__.__call__ = original  # type: ignore[method-assign]
    assert seen
    assert set(seen[0]) == {"writer"}


class StepClock:
    """A clock that moves ``step`` seconds each time it is read (one read per check)."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


async def test_a_long_pass_is_written_in_slices_with_the_loop_in_between() -> None:
    # Every read of the clock says 1 ms went by: a 0.5 ms slice stops at its first check
    # (every 64 writes) and the rest waits for the next loop iteration.
    flusher = Flusher(slice=0.0005, clock=StepClock(0.001))
    socks = [FakeSocket() for _ in range(200)]
    outboxes = [_outbox(sock, flusher) for sock in socks]
    for outbox in outboxes:  # a pass writes in the order the outboxes got messages
        outbox.push("1")
    await asyncio.sleep(0)
    assert flusher.passes == 1
    assert sum(1 for s in socks if s.frames) == 64  # the first slice
    written_first = [s for s in socks if s.frames]
    # Between slices: a connection already written this pass waits for the next pass,
    # one not reached yet takes the new message in this one, in order.
    first, last = outboxes[0], outboxes[-1]
    assert socks[0].frames
    assert not socks[-1].frames
    first.push("2")
    last.push("2")
    await _ticks(6)
    assert all(s.frames for s in socks)
    assert socks[-1].texts() == ["[1,2]"]
    assert socks[0].texts()[0] == "1"
    flusher.close()
    assert socks[0].texts() == ["1", "2"]
    assert len(written_first) == 64


async def test_the_gap_between_passes_keeps_writing_to_half_the_loop() -> None:
    clock = StepClock(0.0)
    flusher = Flusher(interval=0.001, share=0.5, clock=clock)
    assert flusher.gap == 0.001  # nothing written yet: the configured interval
    sock = FakeSocket()
    outbox = _outbox(sock, flusher)
    clock.step = 0.01  # the pass reads the clock twice: it took 10 ms of writing
    outbox.push("1")
    await _ticks()
    assert sock.texts() == ["1"]
    assert flusher.gap == pytest.approx(0.02)  # 10 ms / 0.5
    clock.step = 0.0
    outbox.push("2")
    await _ticks()
    assert sock.texts() == ["1"]  # not before 20 ms after the last pass started
    await asyncio.sleep(0.03)
    assert sock.texts() == ["1", "2"]
    assert flusher.gap == 0.001  # that pass took no time: back to the interval


async def test_close_finishes_a_running_pass_then_writes_what_is_pending() -> None:
    flusher = Flusher(slice=0.0, clock=StepClock(0.001))
    socks = [FakeSocket() for _ in range(100)]
    outboxes = [_outbox(sock, flusher) for sock in socks]
    for outbox in outboxes:
        outbox.push("a")
    await asyncio.sleep(0)
    assert sum(1 for s in socks if s.frames) == 64
    outboxes[0].push("b")  # written already this pass: pending for the next
    flusher.close()
    assert [s.texts() for s in socks[1:]] == [["a"]] * 99
    assert socks[0].texts() == ["a", "b"]

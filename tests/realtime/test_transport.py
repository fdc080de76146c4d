"""Pre-encoded frames below the ASGI send path: the frame encoder, the flusher's outboxes,
uvicorn's protocol as FrameProtocol extends it, and the fallback to ASGI ``send``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Generator
from typing import Any

import pytest
import uvicorn
from uvicorn.server import ServerState
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from realtime.client import Client
from realtime.fanout import Flusher, Outbox, RoomFanout, Traffic
from realtime.transport.frames import EXTENSION, text_frame
from realtime.transport.protocol import FrameProtocol, _Flag, _Inbox
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


async def test_inbox_keeps_order_and_a_cancelled_get_loses_nothing() -> None:
    inbox = _Inbox()
    assert inbox.empty()
    waiting = asyncio.create_task(inbox.get())
    await _ticks()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert not inbox.empty()
    getter = asyncio.create_task(inbox.get())
    assert await getter == 1
    assert await inbox.get() == 2
    later = asyncio.create_task(inbox.get())
    await _ticks()
    assert not later.done()
    inbox.put_nowait(3)
    assert await later == 3


async def test_flag_blocks_while_cleared() -> None:
    flag = _Flag()
    await flag.wait()  # set at first: writable
    flag.clear()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(2)]
    await _ticks()
    assert not any(w.done() for w in waiters)
    flag.set()
    await asyncio.gather(*waiters)
    assert flag.is_set()


async def test_the_uvicorn_internals_frame_writer_relies_on_exist() -> None:
    # async: the protocol takes the running loop (a sync test found none after others ran)
    async def app(scope: Any, receive: Any, send: Any) -> None: ...

    config = uvicorn.Config(app, ws="realtime.transport.protocol:FrameProtocol")
    config.load()
    assert config.ws_protocol_class is FrameProtocol
    protocol = FrameProtocol(config, ServerState(), {})
    for name in (
        "close_sent",
        "handshake_complete",
        "disconnected",
        "read_paused",
        "close_timeout",
        "close_timer",
    ):
        assert hasattr(protocol, name), name
    for name in ("conn", "loop", "queue", "writable", "transport"):
        assert name in vars(protocol), name
    assert isinstance(protocol.queue, _Inbox)
    assert isinstance(protocol.writable, _Flag)


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

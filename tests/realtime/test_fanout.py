"""Outboxes and room fan-out, driven by an in-memory writer that can be held back."""

from __future__ import annotations

import asyncio
import json

from realtime.fanout import Outbox, RoomFanout, Traffic
from realtime.wire import CloseCode


class Sink:
    """Collects frames; ``gate`` cleared makes the writer wait like a slow socket."""

    def __init__(self) -> None:
        self.frames: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.gate = asyncio.Event()
        self.gate.set()

    async def send(self, text: str) -> None:
        await self.gate.wait()
        self.frames.append(text)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def messages(frames: list[str]) -> list[int]:
    out: list[int] = []
    for frame in frames:
        decoded = json.loads(frame)
        out.extend(decoded if isinstance(decoded, list) else [decoded])
    return out


async def test_one_waiting_message_is_sent_alone_many_are_coalesced() -> None:
    sink = Sink()
    outbox = Outbox(sink.send, sink.close, 10_000, Traffic())
    writer = asyncio.create_task(outbox.run())
    outbox.push("1")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert sink.frames == ["1"]
    sink.gate.clear()
    outbox.push("2")
    await asyncio.sleep(0)  # the writer takes "2" and waits on the slow socket
    for n in range(3, 8):
        outbox.push(str(n))
    sink.gate.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert sink.frames == ["1", "2", "[3,4,5,6,7]"]
    assert messages(sink.frames) == list(range(1, 8))
    outbox.close_soon(1000, "")
    await asyncio.wait_for(writer, 1)
    assert sink.closed == (1000, "")


async def test_past_its_budget_a_client_is_closed_4009_without_blocking_the_pusher() -> None:
    sink = Sink()
    metrics = Traffic()
    outbox = Outbox(sink.send, sink.close, 100, metrics)
    writer = asyncio.create_task(outbox.run())
    sink.gate.clear()
    outbox.push("0" * 10)
    await asyncio.sleep(0)
    for _ in range(20):  # never awaits: the socket is stuck, the pusher is not
        outbox.push("1" * 10)
    assert outbox.closing
    assert outbox.close_code == CloseCode.SLOW_CONSUMER
    assert outbox.queued == 0  # the backlog is dropped: the client resumes from its seq
    sink.gate.set()
    await asyncio.wait_for(writer, 1)
    assert sink.frames == ["0" * 10]
    assert sink.closed == (CloseCode.SLOW_CONSUMER, "slow_consumer")
    assert metrics.closes == {CloseCode.SLOW_CONSUMER: 1}


async def test_publish_reaches_only_the_audience_and_drops_closed_outboxes() -> None:
    fanout = RoomFanout()
    sinks = [Sink() for _ in range(3)]
    boxes = [Outbox(s.send, s.close, 25, Traffic()) for s in sinks]
    fanout.add("public", boxes[0])
    fanout.add("public", boxes[1])
    fanout.add("facilitator", boxes[2])
    fanout.publish("public", "x" * 20)
    fanout.publish("facilitator", "y")
    assert [b.queued for b in boxes] == [20, 20, 1]
    boxes[1].close_soon(1000, "")
    fanout.publish("public", "z")
    assert fanout.counts() == {"public": 1, "facilitator": 1}
    fanout.publish("public", "w" * 10)  # past the 25 budget: dropped from the room at once
    assert fanout.counts() == {"public": 0, "facilitator": 1}
    assert len(fanout) == 1


async def test_a_batch_pushed_as_one_chunk_is_sent_as_a_json_array() -> None:
    sink = Sink()
    metrics = Traffic()
    outbox = Outbox(sink.send, sink.close, 10_000, metrics)
    writer = asyncio.create_task(outbox.run())
    outbox.push("1,2,3", 3)  # a batch of three events, joined once for every connection
    for _ in range(3):
        await asyncio.sleep(0)
    outbox.push("4")
    for _ in range(3):
        await asyncio.sleep(0)
    assert sink.frames == ["[1,2,3]", "4"]
    assert metrics.messages_sent == 4
    assert metrics.frames_sent == 2
    outbox.close_soon(1000, "")
    await asyncio.wait_for(writer, 1)


async def test_room_fanout_publishes_a_batch_once_per_connection() -> None:
    sinks = [Sink() for _ in range(3)]
    outboxes = [Outbox(s.send, s.close, 10_000, Traffic()) for s in sinks]
    writers = [asyncio.create_task(o.run()) for o in outboxes]
    fanout = RoomFanout()
    for outbox in outboxes:
        fanout.add("public", outbox)
    fanout.publish("public", "5,6", 2)
    for _ in range(3):
        await asyncio.sleep(0)
    assert [messages(s.frames) for s in sinks] == [[5, 6]] * 3
    for outbox in outboxes:
        outbox.close_soon(1000, "")
    await asyncio.gather(*writers)

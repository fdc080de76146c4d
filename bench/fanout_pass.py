"""Server CPU per delivery of the fan-out alone, measured in process time.

    .venv/bin/python -m bench.fanout_pass

N outboxes of one audience (``realtime.fanout``), K events per broadcast, written by the
worker's ``Flusher`` to sinks that only count frames: no sockets, no load generator,
no room log. It reads ``time.process_time``, so other work on a shared machine changes
the figure far less than it changes the socket benchmark's (bench/run.py), where a
server given a small share of the CPU coalesces less and pays more per delivery.
Prints the median and minimum of five runs of 200 broadcasts for each shape.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time

from realtime.fanout import Flusher, Outbox, RoomFanout, Traffic

EVENT = (
    '{"type":"event","seq":1,"name":"chat.said","data":{"text":"hello world"},'
    '"at":"2026-12-07T20:00:00.000Z"}'
)
SHAPES = ((2000, 1), (2000, 10), (5000, 1))  # (connections, events per broadcast)


class Written:
    """Frames written over every sink; ``done`` once ``target`` is reached."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.done = asyncio.Event()


class CountingSink:
    """A ``FrameSink`` that takes every frame and keeps only the count."""

    def __init__(self, written: Written) -> None:
        self._written = written

    def write(self, frame: bytes) -> bool:
        written = self._written
        written.count += 1
        if written.count >= written.target:
            written.done.set()
        return True

    def buffered(self) -> int:
        return 0

    def close(self, code: int, reason: str) -> None:
        return None


async def _no_send(text: str) -> None:
    raise AssertionError("a direct outbox never uses ASGI send")


async def _no_close(code: int, reason: str) -> None:
    raise AssertionError("a direct outbox never uses ASGI send")


async def us_per_delivery(connections: int, events: int, broadcasts: int = 200) -> float:
    flusher = Flusher()
    fanout = RoomFanout()
    written = Written()
    for _ in range(connections):
        sink = CountingSink(written)
        fanout.add("public", Outbox(_no_send, _no_close, 10**9, Traffic(), frames=(sink, flusher)))
    chunk = ",".join([EVENT] * events)

    async def broadcast() -> None:
        written.target = written.count + connections  # one frame per connection
        written.done.clear()
        fanout.publish("public", chunk, events)
        await written.done.wait()

    for _ in range(20):  # warm up
        await broadcast()
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        for _ in range(broadcasts):
            await broadcast()
        took = time.process_time() - start
    finally:
        gc.enable()
    flusher.close()
    return took / (broadcasts * events * connections) * 1e6


async def main() -> None:
    for connections, events in SHAPES:
        runs = [await us_per_delivery(connections, events) for _ in range(5)]
        print(
            f"{connections} connections, {events} event(s) per broadcast: "
            f"{statistics.median(runs):.3f} µs per delivery (min {min(runs):.3f})"
        )


if __name__ == "__main__":
    asyncio.run(main())

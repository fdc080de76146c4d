"""Concurrent reads of one key share one query that starts after each of them arrived.

A join storm sends thousands of ``hello`` with the same link token within seconds; each
used to read the link's row on its own (a SQL round trip through the database's thread,
about 2 ms of the event loop each). ``SharedReads`` keeps at most one read per key in
flight: callers that arrive while it runs wait for the *next* read, which starts once
the running one is done and answers all of them. So every caller still gets an answer
read after it arrived (a link rotated or a town hall archived a moment before a
``hello`` counts for it, as with a read of its own), and a storm costs one read per
round trip instead of one per person.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SharedReads"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SharedReads(Generic[K, V]):
    def __init__(self, read: Callable[[K], Awaitable[V]]) -> None:
        self._read = read
        self._waiting: dict[K, list[asyncio.Future[V]]] = {}  # for the next read
        self._running: dict[K, asyncio.Task[None]] = {}
        self.reads = 0  # reads made (for tests and benchmarks)

    async def get(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if key not in self._running:
            self._running[key] = asyncio.create_task(self._run(key))
        return await future

    async def _run(self, key: K) -> None:
        callers: list[asyncio.Future[V]] = []
        try:
            while (waiting := self._waiting.pop(key, None)) is not None:
                callers = [f for f in waiting if not f.done()]  # a closed socket's hello
                if not callers:
                    continue
                self.reads += 1
                try:
                    value = await self._read(key)
                except Exception as exc:
                    _settle(callers, exc)
                    continue
                _settle(callers, value)
            callers = []
        except asyncio.CancelledError:  # the server is stopping: nobody waits forever
            _settle([*callers, *self._waiting.pop(key, [])], ConnectionError("stopping"))
            raise
        finally:
            self._running.pop(key, None)


def _settle(futures: list[asyncio.Future[V]], outcome: V | Exception) -> None:
    for future in futures:
        if future.done():
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)

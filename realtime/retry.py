"""Commands the log could not take yet, tried again in the background (a leave whose
connection closed during a Redis outage): with backoff, for a bounded time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from realtime.application import Refused

__all__ = ["Retries"]

log = logging.getLogger("realtime.retry")


class Retries:
    def __init__(self, window_s: float = 600.0, first_delay: float = 0.5) -> None:
        self._window = window_s
        self._first = first_delay
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Commands still being retried."""
        return len(self._tasks)

    def spawn(self, attempt: Callable[[], Awaitable[object]], what: str) -> None:
        """Call ``attempt`` again until it returns, is refused, or the window has passed."""
        task = asyncio.create_task(self._run(attempt, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, attempt: Callable[[], Awaitable[object]], what: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._window
        delay = self._first
        while True:
            await asyncio.sleep(delay)
            try:
                await attempt()
                return
            except Refused as exc:
                log.info("retried %s refused: %s", what, exc.code)
                return
            except Exception as exc:
                if loop.time() > deadline:
                    log.error("gave up on %s: %r", what, exc)
                    return
            delay = min(delay * 2, 10.0)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

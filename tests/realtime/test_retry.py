"""Background retries of commands the log could not take yet."""

from __future__ import annotations

import asyncio

from realtime.application import Refused
from realtime.retry import Retries


async def _settle(retries: Retries) -> None:
    for _ in range(500):
        if not retries._tasks:
            return
        await asyncio.sleep(0.002)
    raise AssertionError("retries still running")


async def test_tries_again_until_the_log_takes_it() -> None:
    calls: list[int] = []

    async def attempt() -> None:
        calls.append(len(calls))
        if len(calls) < 3:
            raise ConnectionError("log unreachable")

    retries = Retries(window_s=60, first_delay=0.001)
    retries.spawn(attempt, "a leave")
    await _settle(retries)
    assert calls == [0, 1, 2]


async def test_a_refusal_or_the_end_of_the_window_stops_it() -> None:
    refused: list[int] = []
    failing: list[int] = []

    async def refuse() -> None:
        refused.append(1)
        raise Refused("session_ended", "nothing can change any more")

    async def fail() -> None:
        failing.append(1)
        raise ConnectionError("log unreachable")

    retries = Retries(window_s=0.0, first_delay=0.001)
    retries.spawn(refuse, "a refused leave")
    retries.spawn(fail, "a leave during a long outage")
    await _settle(retries)
    assert refused == [1]
    assert failing == [1]  # past the window after its first failure: given up


async def test_close_cancels_what_is_still_waiting() -> None:
    async def attempt() -> None:
        raise AssertionError("never reached: closed first")

    retries = Retries(window_s=60, first_delay=3600)
    retries.spawn(attempt, "a leave")
    await retries.close()
    assert not retries._tasks

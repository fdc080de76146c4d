"""Hellos arriving together share one read, each answered by a read that started after
it arrived (townhall.shared_reads, issue 16)."""

from __future__ import annotations

import asyncio

import pytest

from townhall.shared_reads import SharedReads


class Table:
    """A value that changes, read with a delay: what a SQL row does under a storm."""

    def __init__(self) -> None:
        self.value = 0
        self.started: list[int] = []  # the value each read saw when it started
        self.gate = asyncio.Event()

    async def read(self, key: str) -> tuple[str, int]:
        seen = self.value
        self.started.append(seen)
        await self.gate.wait()
        self.gate.clear()
        if key == "bad":
            raise LookupError("no such row")
        return key, seen


async def _settled() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_callers_during_a_read_share_the_next_one_which_sees_what_changed() -> None:
    table = Table()
    reads = SharedReads(table.read)
    first = asyncio.create_task(reads.get("link"))
    await _settled()  # the first read is running
    table.value = 1  # e.g. the link was rotated after it started
    later = [asyncio.create_task(reads.get("link")) for _ in range(50)]
    await _settled()
    table.gate.set()
    assert await first == ("link", 0)
    await _settled()
    table.gate.set()
    answers = await asyncio.gather(*later)
    # The 50 that arrived during the first read got one read of their own, made after
    # they arrived: they all see the change.
    assert answers == [("link", 1)] * 50
    assert table.started == [0, 1]
    assert reads.reads == 2


async def test_keys_are_read_apart_and_errors_reach_every_caller_of_that_read() -> None:
    table = Table()
    reads = SharedReads(table.read)
    good = [asyncio.create_task(reads.get("link")) for _ in range(3)]
    bad = [asyncio.create_task(reads.get("bad")) for _ in range(3)]
    await _settled()
    assert reads.reads == 2  # one per key
    while not all(t.done() for t in good + bad):
        table.gate.set()
        await _settled()
    assert [t.result() for t in good] == [("link", 0)] * 3
    for task in bad:
        with pytest.raises(LookupError):
            task.result()
    # After an error the key is read again for the next caller.
    again = asyncio.create_task(reads.get("bad"))
    await _settled()
    table.gate.set()
    with pytest.raises(LookupError):
        await again
    assert reads.reads == 3


async def test_a_caller_that_left_is_not_read_for_and_stopping_fails_the_rest() -> None:
    table = Table()
    reads = SharedReads(table.read)
    first = asyncio.create_task(reads.get("link"))
    await _settled()
    gone = asyncio.create_task(reads.get("link"))  # waits for the next read
    await _settled()
    gone.cancel()  # its socket closed
    table.gate.set()
    await first
    await _settled()
    assert reads.reads == 1  # nobody left to read for
    waiting = asyncio.create_task(reads.get("link"))
    await _settled()
    (runner,) = reads._running.values()
    runner.cancel()
    with pytest.raises(ConnectionError):
        await waiting

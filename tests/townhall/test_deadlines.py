"""Deadlines fired by the event loop: planned from the room's state at each apply,
cancelled when a later state drops them, fired again (never in a tight loop) while a
firing did not take."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from facilitation.room import Deadline
from townhall import deadlines as module
from townhall.deadlines import Deadlines


class Room:
    """The deadlines a room's state holds, and the firings the planner made."""

    def __init__(self) -> None:
        self.current: list[Deadline] = []
        self.fired: list[Deadline] = []
        self.wake = asyncio.Event()

    async def fire(self, room: str, deadline: Deadline) -> None:
        assert room == "r"
        self.fired.append(deadline)
        self.wake.set()

    def of(self, room: str) -> list[Deadline]:
        return list(self.current)


def soon(seconds: float, ref: str = "i1") -> Deadline:
    return Deadline("agenda", ref, datetime.now(UTC) + timedelta(seconds=seconds))


async def test_a_planned_deadline_fires_once_at_its_time_and_is_then_done() -> None:
    room = Room()
    planner = Deadlines(room.fire, room.of)
    due = soon(0.05)
    room.current = [due]
    planner.plan("r", room.current)
    assert room.fired == []  # not before its time
    await asyncio.wait_for(room.wake.wait(), 10)
    room.current = []  # the firing took: the next state has no such deadline
    planner.plan("r", room.current)
    await asyncio.sleep(0.1)
    assert room.fired == [due]
    await planner.close()


async def test_a_deadline_dropped_by_a_later_state_never_fires() -> None:
    room = Room()
    planner = Deadlines(room.fire, room.of)
    planner.plan("r", [soon(0.05, "old")])
    planner.plan("r", [soon(3600, "new")])  # e.g. the item was extended
    await asyncio.sleep(0.2)
    assert room.fired == []
    await planner.close()


async def test_a_past_deadline_fires_now_and_again_while_it_stays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(module, "RETRY_S", 0.05)
    room = Room()
    planner = Deadlines(room.fire, room.of)
    late = soon(-10)  # planned at start-up, long due
    room.current = [late]
    planner.plan("r", room.current)
    for _ in range(3):  # another worker's firing not read yet: fired again, later
        room.wake.clear()
        await asyncio.wait_for(room.wake.wait(), 10)
        planner.plan("r", room.current)  # a re-plan meanwhile does not fire it at once
    assert room.fired[:3] == [late] * 3
    room.current = []
    planner.plan("r", room.current)
    count = len(room.fired)
    await asyncio.sleep(0.2)
    assert len(room.fired) == count
    await planner.close()

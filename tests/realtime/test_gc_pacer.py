"""The garbage collection pacer: young passes collect new cycles and freeze survivors,
frozen cycles wait for a full pass, which comes only when due and grown, and the pacer
leaves the collector as it found it when the last user releases it."""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterator

import pytest

from realtime.gc_pacer import GcPacer, GcSettings


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> weakref.ref[Node]:
    """A two-object cycle nobody references: only the cycle collector frees it."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def paced() -> AsyncIterator[tuple[GcPacer, Clock]]:
    clock = Clock()
    pacer = GcPacer(clock)
    # A timer that never fires in a test: the test calls tick() itself.
    pacer.acquire(GcSettings(interval=3600, full_every=600, growth=0.25))
    try:
        yield pacer, clock
    finally:
        await pacer.release()


async def test_acquire_freezes_what_exists_and_release_unfreezes_it() -> None:
    pacer = GcPacer()
    assert gc.get_freeze_count() == 0
    pacer.acquire(GcSettings(interval=3600))
    assert gc.get_freeze_count() > 1000  # the test process's modules and objects
    assert pacer.health()["paced"] is True
    report = pacer.health()  # the start-up pass is not counted as a pause
    assert report["max_pause_ms"] < report["last_pass_ms"] / 2
    await pacer.release()
    assert gc.get_freeze_count() == 0
    assert pacer.health()["paced"] is False


async def test_a_young_pass_frees_new_cycles_and_freezes_survivors(
    paced: tuple[GcPacer, Clock],
) -> None:
    pacer, _ = paced
    dead = _cycle()
    kept = Node()
    kept.other = kept
    assert dead() is not None
    pacer.tick()
    assert dead() is None  # collected by the young pass
    assert pacer.young_passes == 1
    assert gc.is_tracked(kept)
    assert kept not in gc.get_objects()  # frozen: automatic collections skip it


async def test_a_frozen_cycle_waits_for_a_full_pass_due_by_time_and_growth(
    paced: tuple[GcPacer, Clock],
) -> None:
    pacer, clock = paced
    holder = [Node()]
    holder[0].other = holder[0]
    survivor = weakref.ref(holder[0])
    pacer.tick()  # frozen now
    holder.clear()  # an unreachable cycle among frozen objects
    pacer.tick()
    assert survivor() is not None  # young passes do not see frozen objects
    clock.now += 601  # a full pass is due by time, but nothing grew: no full pass
    pacer.tick()
    assert pacer.full_passes == 1  # only the one at acquire
    assert survivor() is not None
    growth = [[i] for i in range(gc.get_freeze_count())]  # the frozen set doubles
    pacer.tick()
    clock.now += 601
    pacer.tick()
    assert pacer.full_passes == 2
    assert survivor() is None
    del growth


async def test_every_collection_is_counted_and_the_longest_pause_kept(
    paced: tuple[GcPacer, Clock],
) -> None:
    pacer, _clock = paced
    before = list(pacer.pauses)
    gc.collect(0)
    assert pacer.pauses[0] == before[0] + 1
    report = pacer.health()
    assert set(report) >= {"collections", "max_pause_ms", "young_passes", "full_passes"}


async def test_users_share_one_pacer_until_the_last_release() -> None:
    pacer = GcPacer()
    pacer.acquire(GcSettings(interval=3600))
    pacer.acquire(GcSettings(interval=3600))
    await pacer.release()
    assert gc.get_freeze_count() > 0  # one user left
    await pacer.release()
    assert gc.get_freeze_count() == 0


async def test_interval_zero_leaves_the_collector_alone() -> None:
    pacer = GcPacer()
    pacer.acquire(GcSettings(interval=0))
    assert gc.get_freeze_count() == 0
    assert pacer.health()["paced"] is False
    await pacer.release()

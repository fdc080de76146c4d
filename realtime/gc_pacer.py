"""Garbage collection paced for a real-time worker (docs/decisions/0004-loop-pauses.md).

CPython's cycle collector stops the event loop for a full pass over every tracked
object. A worker holding 2,000 sockets and a busy room's history has millions of them:
such a pass measured 145-223 ms here, once every few seconds under load, which is the
whole p99 of a room's deliveries. Most of those objects live as long as the worker (its
modules, the sockets, the room's state) and almost none of them become cyclic garbage.

So the pacer, every ``interval`` (0.25 s), collects what is *young* (objects tracked
since its last tick, cheap) and then moves the survivors into the permanent generation
with ``gc.freeze()``, which automatic collections skip. Objects there are still freed
by reference counting as usual; only garbage *cycles* among them wait for a full pass:
``gc.unfreeze()`` and ``gc.collect()``, run when the frozen set has grown by ``growth``
since the last full pass and at least ``full_every`` seconds have gone by (a pause of the
old size, at most once per ``full_every``).

Process-wide, as the collector is: the first ``acquire`` starts pacing, the last
``release`` stops it and unfreezes everything (several apps in one test process share it).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["GcPacer", "GcSettings", "pacer"]


@dataclass(frozen=True, slots=True)
class GcSettings:
    interval: float = 0.25  # seconds between young passes; 0 leaves the collector alone
    full_every: float = 600.0  # at least this long between two full passes
    growth: float = 0.25  # ... and only once the frozen set grew by this fraction


class GcPacer:
    """Collects young objects and freezes survivors on a timer; measures every pause."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._users = 0
        self._settings = GcSettings()
        self._task: asyncio.Task[None] | None = None
        self._collecting_since = 0.0
        self._last_full = 0.0
        self._frozen_after_full = 0
        self.young_passes = 0
        self.full_passes = 0
        self.pauses = [0, 0, 0]  # collections per generation, automatic and paced
        self.max_pause_s = 0.0
        self.last_pass_s = 0.0

    @property
    def active(self) -> bool:
        return self._users > 0 and self._settings.interval > 0

    def acquire(self, settings: GcSettings) -> None:
        """Start pacing (the first caller's settings win) on the running loop."""
        self._users += 1
        if self._users > 1:
            return
        self._settings = settings
        if settings.interval <= 0:
            return
        gc.callbacks.append(self._measure)
        self._full()  # what start-up built (modules, settings, the app) is frozen
        self.max_pause_s = 0.0  # that pass ran before serving: not a pause anyone saw
        self._task = asyncio.get_running_loop().create_task(self._run(settings.interval))

    async def release(self) -> None:
        self._users -= 1
        if self._users > 0 or self._settings.interval <= 0:
            return
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        gc.unfreeze()
        if self._measure in gc.callbacks:
            gc.callbacks.remove(self._measure)

    async def _run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.tick()

    def tick(self) -> None:
        """One paced pass: full if due (see the module's note), else young."""
        settings = self._settings
        # get_freeze_count() walks the whole frozen list (40 ms at 2,000 sockets): only
        # once a full pass is due by time.
        if self._clock() - self._last_full >= settings.full_every:
            if gc.get_freeze_count() > self._frozen_after_full * (1 + settings.growth):
                self._full()
                return
            self._last_full = self._clock()  # not grown: look again in full_every
        started = self._clock()
        gc.collect()  # frozen objects are not scanned: this covers the young ones only
        gc.freeze()
        self.young_passes += 1
        self.last_pass_s = self._clock() - started

    def _full(self) -> None:
        started = self._clock()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.full_passes += 1
        self._last_full = self._clock()
        self.last_pass_s = self._last_full - started
        self._frozen_after_full = gc.get_freeze_count()

    def _measure(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._collecting_since = self._clock()
            return
        pause = self._clock() - self._collecting_since
        self.pauses[info["generation"]] += 1
        self.max_pause_s = max(self.max_pause_s, pause)

    def health(self) -> dict[str, Any]:
        """For /health: passes, collections per generation, the longest pause since start."""
        return {
            "paced": self.active,
            "young_passes": self.young_passes,
            "full_passes": self.full_passes,
            "collections": list(self.pauses),
            "max_pause_ms": round(self.max_pause_s * 1000, 1),
            "last_pass_ms": round(self.last_pass_s * 1000, 1),
            "frozen_after_full": self._frozen_after_full,  # counting now would stall
        }


pacer = GcPacer()  # the process's one collector, the process's one pacer

"""Prometheus metrics, exported at ``GET /metrics``.

The metrics live in a registry of their own (not prometheus_client's global one), so
tests and several apps in one process do not collide, and the page shows only ours.

Under ``townhall serve --workers N`` a scrape reaches one worker of N, so the workers
share prometheus_client's multiprocess mode: ``serve`` gives them one empty directory
(``PROMETHEUS_MULTIPROC_DIR``), every worker writes its values there, and whichever
answers the scrape reads them all: one scrape gives the whole server. Counters and
histograms are summed over workers; ``townhall_connections`` and ``townhall_rooms`` are
summed over the live ones (and ``townhall_worker_connections`` shows each, by ``pid``).
Values the hub keeps itself (frames, bytes, closes) are copied into that directory every
second and at each scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from realtime.server import Realtime

__all__ = [
    "CONTENT_TYPE",
    "MULTIPROC_ENV",
    "Metrics",
    "default_metrics",
    "forget_dead_workers",
    "prepare_multiprocess",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client's multiprocess helpers carry no annotations (typed as Any here, not with
# ignores that a typed release would turn into "unused ignore" errors).
_multiprocess: Any = multiprocess
SYNC_S = 1.0  # how often a worker copies the hub's own counters to the shared directory

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Fan-out is measured in milliseconds on a healthy worker; archives in seconds.
FANOUT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ARCHIVE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The metric objects of one process, in their own registry."""

    def __init__(self, shared_dir: str | None = None) -> None:
        """``shared_dir``: the multiprocess directory; by default ``PROMETHEUS_MULTIPROC_DIR``
        (which prometheus_client reads once, at import, to store values in files)."""
        self.shared_dir = shared_dir if shared_dir is not None else os.environ.get(MULTIPROC_ENV)
        self._hub: _HubCollector | None = None
        self._sync: Callable[[], None] | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self.registry = CollectorRegistry()
        self.connections = Gauge(
            "townhall_connections",
            "Open WebSocket connections (summed over the live workers).",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.rooms = Gauge(
            "townhall_rooms",
            "Rooms held live (summed over the live workers; a room may be on several).",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.worker_connections = Gauge(
            "townhall_worker_connections",
            "Open WebSocket connections of each live worker (label pid).",
            registry=self.registry,
            multiprocess_mode="liveall",
        )
        # With several workers the hub's own counters are copied into counters that
        # live in the shared directory (a collector reading process memory would show
        # only the worker that answers the scrape).
        # (In no registry: with one worker the _HubCollector below exports these.)
        self._hub_counters = {
            key: Counter(f"townhall_{key}", text, registry=None)
            for key, text in HUB_COUNTERS.items()
        }
        self._closes = Counter(
            "townhall_closes",
            "Connections closed by the server, by close code.",
            ["code"],
            registry=None,
        )
        self._copied: dict[str, float] = {}
        self.commands = Counter(
            "townhall_commands",
            "Client commands handled, by outcome (ok, refused, unavailable, internal).",
            ["outcome"],
            registry=self.registry,
        )
        self.fanout_latency = Histogram(
            "townhall_fanout_latency_seconds",
            "From a command's durable append to its events queued for every recipient.",
            buckets=FANOUT_BUCKETS,
            registry=self.registry,
        )
        self.archive_duration = Histogram(
            "townhall_archive_duration_seconds",
            "Time to write one session's archive.",
            buckets=ARCHIVE_BUCKETS,
            registry=self.registry,
        )
        self.http_requests = Counter(
            "townhall_api_requests",
            "REST API requests, by response status class.",
            ["status"],
            registry=self.registry,
        )

    def track(
        self,
        *,
        connections: Callable[[], float] | None = None,
        rooms: Callable[[], float] | None = None,
    ) -> None:
        """Read the gauges from the hub at scrape time instead of pushing every change."""
        if self.shared_dir:
            self._sync = self._gauge_sync(connections, rooms)
            return
        if connections is not None:
            self.connections.set_function(connections)
            self.worker_connections.set_function(connections)
        if rooms is not None:
            self.rooms.set_function(rooms)

    def _gauge_sync(
        self, connections: Callable[[], float] | None, rooms: Callable[[], float] | None
    ) -> Callable[[], None]:
        def sync() -> None:
            if connections is not None:
                self.connections.set(connections())
                self.worker_connections.set(connections())
            if rooms is not None:
                self.rooms.set(rooms())

        return sync

    def track_hub(self, counters: Callable[[], Mapping[str, Any]]) -> None:
        """Export the hub's own counters (``realtime.fanout.Traffic.as_dict``) at scrape time:
        frames, messages and bytes sent, and closes by WebSocket close code. A later call
        replaces the source (an app rebuilt in the same process)."""
        if self.shared_dir:
            gauges = self._sync
            self._copied = {}

            def sync() -> None:
                if gauges is not None:
                    gauges()
                self._copy(counters())

            self._sync = sync
            return
        if self._hub is None:
            self._hub = _HubCollector(counters)
            self.registry.register(self._hub)
        else:
            self._hub.counters = counters

    def observe_realtime(self, realtime: Realtime[Any]) -> None:
        """Read connections, live rooms and the hub's counters from ``realtime`` at each
        scrape: the one call an app needs for everything but the event-driven metrics."""
        self.track(
            connections=lambda: float(realtime.traffic.connections),
            rooms=lambda: float(len(realtime.states())),
        )
        outcomes = {
            o: self.commands.labels(o) for o in ("ok", "refused", "unavailable", "internal")
        }
        realtime.observe(
            on_outcome=lambda outcome: outcomes[outcome].inc(),
            on_fanout=self.fanout_latency.observe,
        )

        def counters() -> dict[str, Any]:
            stats = realtime.stats
            return {
                **realtime.traffic.as_dict(),
                "log_appends": stats.get("appends", 0),
                "log_conflicts": stats.get("conflicts", 0),
                "duplicate_commands": stats.get("duplicates", 0),
            }

        self.track_hub(counters)

    def _copy(self, values: Mapping[str, Any]) -> None:
        """Add what the hub counted since the last copy to the shared counters."""
        flat = {key: float(values.get(key, 0)) for key in self._hub_counters}
        flat.update(
            (f"closes:{code}", float(n)) for code, n in dict(values.get("closes", {})).items()
        )
        for key, value in flat.items():
            delta = value - self._copied.get(key, 0.0)
            if delta <= 0:
                continue
            self._copied[key] = value
            if key.startswith("closes:"):
                self._closes.labels(key.removeprefix("closes:")).inc(delta)
            else:
                self._hub_counters[key].inc(delta)

    def start_sync(self) -> None:
        """With several workers: copy the values read at scrape time every ``SYNC_S``
        seconds, so that the worker answering a scrape sees this one's (call in the
        worker's event loop; ``stop_sync`` at shutdown)."""
        if self._sync is None or self._sync_task is not None:
            return
        sync = self._sync

        async def loop() -> None:
            while True:
                sync()
                await asyncio.sleep(SYNC_S)

        self._sync_task = asyncio.get_running_loop().create_task(loop())

    async def stop_sync(self) -> None:
        task, self._sync_task = self._sync_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._sync is not None:
            self._sync()  # the last values, before this worker goes
        if self.shared_dir:
            _multiprocess.mark_process_dead(os.getpid(), self.shared_dir)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (of every worker)."""
        if not self.shared_dir:
            return generate_latest(self.registry)
        if self._sync is not None:
            self._sync()
        everyone = CollectorRegistry()
        _multiprocess.MultiProcessCollector(everyone, self.shared_dir)
        return generate_latest(everyone)


_PID = re.compile(r"_(\d+)\.db$")


def prepare_multiprocess(directory: Path) -> None:
    """Make ``directory`` the empty multiprocess directory of a server about to start its
    workers (values of an earlier run would otherwise be added to this one's)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)


def forget_dead_workers(directory: str) -> None:
    """Live gauges of workers that died without a shutdown (kill -9, a crash) stop
    counting: called by each worker as it starts."""
    for path in Path(directory).glob("gauge_live*.db"):
        found = _PID.search(path.name)
        if found is None:
            continue
        pid = int(found.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            _multiprocess.mark_process_dead(pid, directory)
        except PermissionError:  # alive, another user's
            continue


HUB_COUNTERS = {
    "frames_sent": "WebSocket frames written.",
    "messages_sent": "Protocol messages written (a frame may hold several).",
    "bytes_sent": "Bytes of WebSocket frames written.",
    "log_appends": "Appends to room logs by this worker.",
    "log_conflicts": "Appends that lost a race to another worker (then re-decided).",
    "duplicate_commands": "Resent commands answered from their first result.",
}
ALWAYS = ("frames_sent", "messages_sent", "bytes_sent")


class _HubCollector(Collector):
    def __init__(self, counters: Callable[[], Mapping[str, Any]]) -> None:
        self.counters = counters

    def collect(self) -> Iterator[Metric]:
        values = self.counters()
        for key, help_text in HUB_COUNTERS.items():
            if key in values or key in ALWAYS:
                family = CounterMetricFamily(f"townhall_{key}", help_text)
                family.add_metric([], float(values.get(key, 0)))
                yield family
        closes = CounterMetricFamily(
            "townhall_closes", "Connections closed by the server, by close code.", labels=["code"]
        )
        for code, count in sorted(dict(values.get("closes", {})).items()):
            closes.add_metric([str(code)], float(count))
        yield closes


_default: Metrics | None = None


def default_metrics() -> Metrics:
    """The process-wide metrics (one per worker process)."""
    global _default
    if _default is None:
        _default = Metrics()
    return _default

"""Prometheus metrics of one worker process, exported at ``GET /metrics``.

The metrics live in a registry of their own (not prometheus_client's global one), so
tests and several apps in one process do not collide, and the page shows only ours.
Each worker process exports its own values: behind several uvicorn workers a scrape
reaches one of them, so scrape each worker's port, or sum over instances in queries
(gauges such as connections are per worker by nature).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from realtime.server import Realtime

__all__ = ["CONTENT_TYPE", "Metrics", "default_metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Fan-out is measured in milliseconds on a healthy worker; archives in seconds.
FANOUT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ARCHIVE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The metric objects of one process, in their own registry."""

    def __init__(self) -> None:
        self._hub: _HubCollector | None = None
        self.registry = CollectorRegistry()
        self.connections = Gauge(
            "townhall_connections",
            "Open WebSocket connections on this worker.",
            registry=self.registry,
        )
        self.rooms = Gauge(
            "townhall_rooms",
            "Rooms held live on this worker.",
            registry=self.registry,
        )
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
        if connections is not None:
            self.connections.set_function(connections)
        if rooms is not None:
            self.rooms.set_function(rooms)

    def track_hub(self, counters: Callable[[], Mapping[str, Any]]) -> None:
        """Export the hub's own counters (``realtime.hub.Metrics.as_dict``) at scrape time:
        frames, messages and bytes sent, and closes by WebSocket close code. A later call
        replaces the source (an app rebuilt in the same process)."""
        if self._hub is None:
            self._hub = _HubCollector(counters)
            self.registry.register(self._hub)
        else:
            self._hub.counters = counters

    def observe_realtime(self, realtime: Realtime[Any]) -> None:
        """Read connections, live rooms and the hub's counters from ``realtime`` at each
        scrape: the one call an app needs for everything but the event-driven metrics."""
        self.track(
            connections=lambda: float(realtime.metrics.connections),
            rooms=lambda: float(len(realtime.engine.states())),
        )
        engine = realtime.engine
        outcomes = {
            o: self.commands.labels(o) for o in ("ok", "refused", "unavailable", "internal")
        }
        engine.on_outcome = lambda outcome: outcomes[outcome].inc()
        engine.on_fanout = self.fanout_latency.observe

        def counters() -> dict[str, Any]:
            stats = engine.stats
            return {
                **realtime.metrics.as_dict(),
                "log_appends": stats.get("appends", 0),
                "log_conflicts": stats.get("conflicts", 0),
                "duplicate_commands": stats.get("duplicates", 0),
            }

        self.track_hub(counters)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


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

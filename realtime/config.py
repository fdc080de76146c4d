"""The hub's settings: per-connection limits and the worker's configuration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from realtime.gc_pacer import GcSettings

__all__ = ["MAX_FRAME", "Limits", "RealtimeConfig"]

# Incoming frames above this are refused by uvicorn with close 1009 (see UVICORN_WS_OPTIONS).
MAX_FRAME = 64 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Every per-connection and per-worker limit of the hub.

    ``rate`` messages per second refill a bucket of ``burst``; a message with an empty
    bucket gets a ``rate_limited`` error, and ``abuse`` refusals in a row close the socket
    (4008). ``byte_budget`` bounds what may wait in one connection's outgoing queue (about
    characters of JSON) before it is closed with 4009 and must resume.
    """

    rate: float = 20.0
    burst: int = 60
    abuse: int = 100
    max_connections: int = 10_000
    byte_budget: int = 4 * 1024 * 1024
    hello_timeout: float = 10.0
    max_inflight: int = 256  # commands queued on one connection before "busy"


@dataclass(frozen=True)
class RealtimeConfig:
    """``origins``: allowed ``Origin`` values; empty means the server's own origin only.

    A missing ``Origin`` (not a browser: bots, the Python client) is allowed unless
    ``require_origin``; browsers always send it, which is what the check protects.
    """

    origins: Sequence[str] = ()
    require_origin: bool = False
    limits: Limits = field(default_factory=Limits)
    window: int = 5000  # records per room kept for replay on resume
    # Minimum time between two flusher passes (frames to a connection) while events keep
    # coming: under load, frames carry many events instead of paying the per-frame cost
    # for each; a lone event still leaves at once. 20 ms (at most 50 frames a second to
    # a phone) measured best at 2,000 clients: 0.96 us per delivery and 793 k deliveries/s
    # against 1.42 us and 550 k at 5 ms, with a lower p99 (docs/benchmarks.md).
    flush_interval: float = 0.02
    presence_interval: float = 1.0
    # How long a lazy broadcast (Domain.lazy: a crowd's attendance counts) may wait for
    # the next pass over its connections: during a join storm, a pass over the whole
    # room about once a second instead of one per batch of joins (fanout.Flusher).
    lazy_delay: float = 1.0
    # The cycle collector's full passes stop the loop for 100+ ms at a few thousand
    # sockets: young passes every 0.25 s and frozen survivors instead (gc_pacer.py).
    gc: GcSettings = field(default_factory=GcSettings)

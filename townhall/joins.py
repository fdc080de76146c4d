"""Limits on who may come in how fast: hellos per client address, new participants per
client address and per link (issue 12).

The shared participant link admits anyone, and each hello with it is a new person (the
server cannot tell people apart; docs/security.md). Unbounded, one script opened 177
identities a second, for good. These buckets bound it per worker; the room's own cap
(``max_participants``) bounds it per town hall. The client address is the one uvicorn
gives (behind a proxy, set ``--forwarded-allow-ips`` so it is the real client's).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from realtime.application import Refused
from realtime.throttle import TokenBucket

__all__ = ["JoinLimits", "KeyedBuckets"]


class KeyedBuckets:
    """A token bucket per key (``rate`` per second up to ``burst``); buckets that have
    refilled are forgotten every ``SWEEP`` takes, so a scan of addresses costs no memory
    for long."""

    SWEEP = 1024

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._takes = 0

    def take(self, key: str) -> bool:
        now = self._clock()
        self._takes += 1
        if self._takes % self.SWEEP == 0:
            self._buckets = {k: b for k, b in self._buckets.items() if not b.full(now)}
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self._rate, self._burst, now)
        return bucket.take(now)


@dataclass(frozen=True)
class JoinRates:
    hello_per_s: float = 10.0  # hellos of any kind from one address
    hello_burst: int = 60
    join_per_min: float = 60.0  # new participants from one address
    join_burst: int = 120
    link_join_per_min: float = 1200.0  # new participants by one link, all addresses
    link_join_burst: int = 2000


class JoinLimits:
    def __init__(self, rates: JoinRates, clock: Callable[[], float] = time.monotonic) -> None:
        self._hellos = KeyedBuckets(rates.hello_per_s, rates.hello_burst, clock)
        self._by_peer = KeyedBuckets(rates.join_per_min / 60, rates.join_burst, clock)
        self._by_link = KeyedBuckets(rates.link_join_per_min / 60, rates.link_join_burst, clock)

    def hello(self, peer: str) -> None:
        """Any hello from ``peer``; raises Refused(rate_limited)."""
        if peer and not self._hellos.take(peer):
            raise Refused("rate_limited", "too many connections from your address; wait a moment")

    def new_participant(self, peer: str, link: str) -> None:
        """A hello that would make a new participant by ``link`` from ``peer``."""
        if peer and not self._by_peer.take(peer):
            raise Refused("rate_limited", "too many people joined from your address; wait a minute")
        if not self._by_link.take(link):
            raise Refused("rate_limited", "too many people are joining at once; try again soon")

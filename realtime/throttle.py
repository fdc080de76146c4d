"""Rate limits: the token bucket of a connection, shared by a participant's connections.

Pure objects with the clock passed in, so the connection protocol that uses them stays
testable without sockets or sleeps. The rates are ``realtime.config.Limits``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SharedBuckets", "TokenBucket"]


class TokenBucket:
    """Classic token bucket: ``rate`` tokens per second up to ``burst``."""

    __slots__ = ("_burst", "_last", "_rate", "_tokens", "strikes")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._last = now
        self.strikes = 0  # refusals since the last accepted message

    def take(self, now: float) -> bool:
        """Spend one token if there is one; count a strike otherwise."""
        elapsed = now - self._last
        if elapsed > 0:
            self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
            self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self.strikes = 0
            return True
        self.strikes += 1
        return False

    def full(self, now: float) -> bool:
        """Refilled to its burst by ``now``: forgetting it would give nothing away."""
        return self._tokens + (now - self._last) * self._rate >= self._burst


@dataclass(slots=True)
class _Held:
    bucket: TokenBucket
    holders: int = 0


class SharedBuckets:
    """One bucket per participant on this worker, shared by all of their connections:
    opening more sockets with the same resume token buys no more messages.

    A bucket nobody holds stays until it has refilled, so reconnecting does not reset
    it either; such buckets are swept every ``SWEEP`` acquisitions.
    """

    SWEEP = 256

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = burst
        self._held: dict[tuple[str, str], _Held] = {}
        self._acquired = 0

    def __len__(self) -> int:
        return len(self._held)

    def acquire(self, room: str, key: str, now: float) -> TokenBucket:
        self._acquired += 1
        if self._acquired % self.SWEEP == 0:
            self.sweep(now)
        held = self._held.get((room, key))
        if held is None:
            held = self._held[(room, key)] = _Held(TokenBucket(self._rate, self._burst, now))
        held.holders += 1
        return held.bucket

    def release(self, room: str, key: str) -> None:
        held = self._held.get((room, key))
        if held is not None:
            held.holders -= 1

    def sweep(self, now: float) -> None:
        """Forget the buckets nobody holds that have refilled."""
        for key, held in list(self._held.items()):
            if held.holders <= 0 and held.bucket.full(now):
                del self._held[key]

"""How many observers watch a room, summed over every worker, without an event storm.

Each worker counts its own connections per audience; once a second the counts are
published (in Redis, one hash field per worker with a timestamp, so a dead worker's
count ages out) and, when the room-wide total changed, one ``presence.updated`` event
records it. The minutes' peak observers come from those events.
"""

from __future__ import annotations

import time
import urllib.parse
import uuid

from redis.asyncio import Redis

from townhall.redis_client import redis_from_url

STALE_S = 5.0


def split_prefix(url: str) -> tuple[str, str]:
    """(redis URL without our ``prefix`` parameter, the prefix)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query)
    prefix = "".join(v for k, v in query if k == "prefix")
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "prefix"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), prefix


class Presence:
    """Room-wide observer totals; local only unless given a Redis URL."""

    def __init__(self, redis_url: str | None) -> None:
        self.worker = uuid.uuid4().hex[:12]
        self._redis: Redis | None = None
        self._prefix = ""
        if redis_url:
            url, self._prefix = split_prefix(redis_url)
            self._redis = redis_from_url(url, decode_responses=True)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def total(self, room: str, local: int) -> int:
        if self._redis is None:
            return local
        key = f"{self._prefix}{{room:{room}}}:presence"
        now = time.time()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hset(key, self.worker, f"{local}:{now:.3f}")
            pipe.expire(key, 3600)
            pipe.hgetall(key)
            *_, fields = await pipe.execute()
        total = 0
        stale = []
        for worker, value in fields.items():
            count, _, stamp = value.partition(":")
            if now - float(stamp or 0) > STALE_S:
                stale.append(worker)
            else:
                total += int(count or 0)
        if stale:
            await self._redis.hdel(key, *stale)
        return total

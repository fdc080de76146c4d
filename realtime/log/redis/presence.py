"""Presence on Redis, through the room log's own link (its client, retries and health).

One hash per room, ``<prefix>{room:ID}:presence``: a field per worker holding
``"<unix time> <counts JSON>"``. Each tick a worker writes its field, refreshes the
key's expiry and reads the hash, for every room it holds in one pipelined round trip,
and sums the fields written within ``STALE_S``; a dead worker's field ages out and is
deleted by the next reader.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from realtime.log.redis.link import RedisLink
from realtime.presence import Counts

__all__ = ["STALE_S", "RedisPresence"]

STALE_S = 5.0  # a worker that has not reported for this long is not counted
EXPIRE_S = 3600  # a room nobody reports on leaves no key behind
WITHIN_S = 2.0  # one report's retry budget: presence waits for the next tick, not longer


class RedisPresence:
    def __init__(self, link: RedisLink, prefix: str = "") -> None:
        self._link = link
        self._prefix = prefix
        self.worker = uuid.uuid4().hex[:12]

    def _key(self, room: str) -> str:
        return f"{self._prefix}{{room:{room}}}:presence"

    async def report(self, counts: Mapping[str, Counts]) -> dict[str, Counts]:
        rooms = list(counts)
        if not rooms:
            return {}
        now = time.time()
        client = self._link.client

        async def op() -> list[Any]:
            async with client.pipeline(transaction=False) as pipe:
                for room in rooms:
                    key = self._key(room)
                    pipe.hset(key, self.worker, f"{now:.3f} {json.dumps(counts[room])}")
                    pipe.expire(key, EXPIRE_S)
                    pipe.hgetall(key)
                return list(await pipe.execute())

        replies = await self._link.retry(op, within=WITHIN_S)
        totals: dict[str, Counts] = {}
        stale: dict[str, list[str]] = {}
        for i, room in enumerate(rooms):
            fields: dict[str, str] = replies[3 * i + 2]
            total: Counts = {}
            for worker, value in fields.items():
                stamp, _, body = value.partition(" ")
                try:
                    fresh = now - float(stamp) <= STALE_S
                    theirs = json.loads(body) if fresh else {}
                except ValueError:  # not ours to read (an older worker's format)
                    fresh, theirs = False, {}
                if not fresh:
                    stale.setdefault(room, []).append(worker)
                for audience, n in theirs.items():
                    total[audience] = total.get(audience, 0) + int(n)
            totals[room] = total
        if stale:

            async def drop() -> list[Any]:
                async with client.pipeline(transaction=False) as pipe:
                    for room, workers in stale.items():
                        pipe.hdel(self._key(room), *workers)
                    return list(await pipe.execute())

            await self._link.retry(drop, within=WITHIN_S)
        return totals

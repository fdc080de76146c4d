"""A redis-py client for a Townhall Redis URL, a single server or a Redis Cluster.

``redis+cluster://host:port`` (``rediss+cluster://`` with TLS) names any node of a Redis
Cluster: the client learns the others and sends each command to its key's node. Every
key Townhall keeps carries a room's hash tag (``{room:ID}``), so the commands of one room
meet on one node. The room log builds its own client the same way
(``realtime.log.redis.link``).
"""

from __future__ import annotations

from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

__all__ = ["redis_from_url"]


def redis_from_url(url: str, **options: Any) -> Redis:
    scheme, _, rest = url.partition("://")
    if scheme.endswith("+cluster"):
        cluster = RedisCluster.from_url(f"{scheme.removesuffix('+cluster')}://{rest}", **options)
        return cast("Redis", cluster)  # the same commands, routed by slot
    return Redis.from_url(url, **options)

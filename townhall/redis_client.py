"""A redis-py client for a Townhall Redis URL, a single server or a Redis Cluster.

``redis+cluster://host:port`` (``rediss+cluster://`` with TLS) names any node of a Redis
Cluster: the client learns the others and sends each command to its key's node. Every
key Townhall keeps carries a room's hash tag (``{room:ID}``), so the commands of one room
meet on one node. The room log builds its own client the same way
(``realtime.log.redis.link``).
"""

from __future__ import annotations

import urllib.parse
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

__all__ = ["redis_from_url", "split_prefix"]


def redis_from_url(url: str, **options: Any) -> Redis:
    scheme, _, rest = url.partition("://")
    if scheme.endswith("+cluster"):
        cluster = RedisCluster.from_url(f"{scheme.removesuffix('+cluster')}://{rest}", **options)
        return cast("Redis", cluster)  # the same commands, routed by slot
    return Redis.from_url(url, **options)


def split_prefix(url: str) -> tuple[str, str]:
    """(redis URL without our ``prefix`` parameter, the prefix)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query)
    prefix = "".join(v for k, v in query if k == "prefix")
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "prefix"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), prefix

"""One Redis connection pool as the room log uses it: built from a URL, retried through
outages with backoff, and watched so that ``health()`` tells an outage even when no
command is running.

redis-py's own retries are off: every failure is seen here, reported, and an append
whose reply was lost is known to be in doubt (the log's scripts make a retry safe).
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from realtime.log.contract import LogUnavailable

__all__ = ["CLUSTER_SCHEMES", "TRANSIENT", "RedisLink", "client_from_url"]

# redis+cluster://host:port (rediss+cluster:// with TLS): any node of a Redis Cluster.
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")

T = TypeVar("T")

# Connection trouble: retried with backoff. BusyLoadingError (Redis replaying its AOF after
# a restart) is a ConnectionError subclass, so it is retried too.
TRANSIENT = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def client_from_url(url: str, ours: dict[str, str]) -> tuple[Redis, dict[str, str]]:
    """A client for ``url`` without the query parameters named in ``ours`` (they are
    the log's; their values come back, with ``ours`` as defaults); the rest of the
    query is redis-py's."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    values = dict(ours)
    values.update((k, v) for k, v in query if k in ours)
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k not in ours])
    scheme, cluster = parts.scheme, parts.scheme in CLUSTER_SCHEMES
    if cluster:
        scheme = scheme.removesuffix("+cluster")
    plain = urllib.parse.urlunsplit(parts._replace(scheme=scheme, query=rest))
    options: dict[str, Any] = {
        "decode_responses": True,
        # No hidden retries inside redis-py: we retry ourselves, see every failure,
        # report it on health() and know an append's reply may have been lost.
        "retry": Retry(NoBackoff(), 0),
        "socket_connect_timeout": 2.0,
        "socket_timeout": 5.0,
    }
    if not cluster:
        return Redis.from_url(plain, **options), values
    # Redis Cluster: the client learns the nodes from the one named and sends each
    # command to the node of its key's slot. A room's keys share the hash tag
    # {room:ID}, so each script and transaction runs on one node. RedisCluster offers
    # every command the log uses (the contract tests run against a real cluster).
    return cast("Redis", RedisCluster.from_url(plain, **options)), values


class RedisLink:
    """The client, its retry policy and its health."""

    def __init__(self, client: Redis, op_timeout: float) -> None:
        self.client = client
        self.closed = False
        self._op_timeout = op_timeout
        self._errors: dict[str, str] = {}
        self._health_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.closed = False
        if self._health_task is None:
            self._health_task = asyncio.create_task(self._ping_loop())

    async def close(self) -> None:
        self.closed = True
        if self._health_task is not None:
            self._health_task.cancel()
            await asyncio.gather(self._health_task, return_exceptions=True)
            self._health_task = None

    def health(self) -> dict[str, Any]:
        error = "; ".join(f"{k}: {v}" for k, v in sorted(self._errors.items())) or None
        return {"backend": "redis", "ok": error is None, "error": error}

    def trouble(self, source: str, exc: BaseException) -> None:
        self._errors[source] = f"{type(exc).__name__}: {exc}"

    def recovered(self, source: str) -> None:
        self._errors.pop(source, None)

    async def _ping_loop(self) -> None:
        # health() must reflect an outage even when no command is running. The loop
        # also checks closed: redis-py may turn a cancel landing inside ping() into a
        # connection error, which would otherwise keep this task alive after close().
        while not self.closed:
            try:
                await self.client.ping()
            except Exception as exc:  # any failure (uvloop may raise RuntimeError on a
                self.trouble("redis", exc)  # dead transport) must show, not end the loop
            else:
                self.recovered("redis")
            await asyncio.sleep(0.25)

    async def retry(self, op: Callable[[], Awaitable[T]], within: float | None = None) -> T:
        """Run ``op``, again after connection trouble, for up to ``within`` seconds (the
        link's ``op_timeout`` by default); then ``LogUnavailable``. Other Redis errors
        are reported and raised at once."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self._op_timeout if within is None else within)
        delay = 0.02
        while True:
            try:
                out = await op()
            except TRANSIENT as exc:
                self.trouble("redis", exc)
                if self.closed or loop.time() + delay > deadline:
                    raise LogUnavailable(f"redis: {exc}") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)
                continue
            except RedisError as exc:  # e.g. OOM under noeviction: not retried, but reported
                self.trouble("command", exc)
                raise
            self.recovered("redis")
            self.recovered("command")
            return out

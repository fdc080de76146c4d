"""The ``redis://`` room log: one Redis Stream per room, appended leaderlessly.

Any worker may append to any room. One Lua script does a whole batch atomically: a
command key already applied? -> DuplicateKeys; head != expect? -> Conflict; else XADD the
records with explicit ids ``0-<seq>``, remember each command and PUBLISH the new head.
docs/decisions/0001-room-log.md gives the reasons and the measurements.

Keys of one room share the hash tag ``{room:ID}`` so the scripts run on Redis Cluster:

    <prefix>{room:ID}:log    Stream, entry id 0-<seq>, one field "r" = JSON [name, data, at, cause]
    <prefix>{room:ID}:cmd    Hash command_key -> "<first seq>:<last seq>:<result JSON>"
    <prefix>{room:ID}:epoch  String, random id, set by the first reader or appender
    <prefix>{room:ID}:wake   pub/sub: "<epoch>:<head>" after an append, "trim" after a trim
    <prefix>rooms            Set of room ids (a hint; rooms() checks each log exists)

Pub/sub only wakes watchers (see ``realtime.log.redis.watch``): the log is the truth.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from redis.asyncio import Redis

from realtime.log.contract import (
    BatchEntry,
    Committed,
    Conflict,
    DuplicateKeys,
    Record,
    Trimmed,
    check_distinct,
)
from realtime.log.redis.link import RedisLink, client_from_url
from realtime.log.redis.scripts import (
    APPEND_BATCH,
    LOOKUP,
    TRIM,
    encode,
    record_body,
    seq_of,
    to_committed,
    to_record,
)
from realtime.log.redis.watch import Watcher
from realtime.log.store import new_epoch

__all__ = ["RedisLog"]

PROVISIONAL_EPOCH_S = 86_400  # lifetime of an epoch id no append has confirmed yet


class RedisLog:
    """``RoomLog`` on Redis; survives Redis restarts by retrying with backoff."""

    def __init__(self, client: Redis, prefix: str = "", *, op_timeout: float = 30.0) -> None:
        self._link = RedisLink(client, op_timeout)
        self._client = client
        self._retry = self._link.retry
        self._prefix = prefix
        self._append_batch = client.register_script(APPEND_BATCH)
        self._lookup = client.register_script(LOOKUP)
        self._trim = client.register_script(TRIM)
        link = self._link
        self._watcher = Watcher(client, self._channel, self._peek, link.trouble, link.recovered)

    @property
    def link(self) -> RedisLink:
        """The connection, retry policy and health this log runs on (presence shares it)."""
        return self._link

    @property
    def prefix(self) -> str:
        return self._prefix

    @classmethod
    def from_url(cls, url: str, *, op_timeout: float = 30.0) -> RedisLog:
        """``redis://host:port/db?prefix=xyz:&op_timeout=30``: those two are ours, the
        rest of the query is redis-py's. ``op_timeout``: how long one operation keeps
        retrying through an outage before it raises ``LogUnavailable``."""
        client, ours = client_from_url(url, {"prefix": "", "op_timeout": str(op_timeout)})
        return cls(client, ours["prefix"], op_timeout=float(ours["op_timeout"]))

    # -- keys -------------------------------------------------------------------------

    def _key(self, room: str, part: str) -> str:
        return f"{self._prefix}{{room:{room}}}:{part}"

    def _channel(self, room: str) -> str:
        return self._key(room, "wake")

    # -- lifecycle and health ---------------------------------------------------------

    async def start(self) -> None:
        self._link.start()
        self._watcher.start()

    async def close(self) -> None:
        await self._link.close()
        await self._watcher.close()
        await self._client.aclose()

    def health(self) -> dict[str, Any]:
        return self._link.health()

    # -- the log ----------------------------------------------------------------------

    async def epoch(self, room: str) -> str:
        candidate = new_epoch()
        # SET NX GET: the first caller's id wins and everybody reads the same one. A room
        # only looked at (no append yet, or its retired keys gone) must not leave a key
        # behind forever: the id is provisional for a day, and the first append makes it
        # last as long as the stream (scripts._ALIGN_TTLS).
        old = await self._retry(
            lambda: self._client.set(
                self._key(room, "epoch"), candidate, nx=True, get=True, ex=PROVISIONAL_EPOCH_S
            )
        )
        return candidate if old is None else str(old)

    async def head(self, room: str) -> int:
        last = await self._retry(lambda: self._client.xrevrange(self._key(room, "log"), count=1))
        return seq_of(last[0][0]) if last else 0

    async def _peek(self, room: str) -> tuple[str | None, int]:
        """Epoch and head in one transaction (used by watchers after a (re)subscribe)."""

        async def op() -> list[Any]:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.get(self._key(room, "epoch"))
                pipe.xrevrange(self._key(room, "log"), count=1)
                return list(await pipe.execute())

        epoch, last = await self._retry(op)
        return epoch, seq_of(last[0][0]) if last else 0

    async def read(
        self, room: str, after: int, limit: int | None = None, *, epoch: str | None = None
    ) -> list[Record]:
        if after < 0:
            raise Trimmed(room, after, 1)
        log = self._key(room, "log")

        async def op() -> list[Any]:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.get(self._key(room, "epoch"))
                pipe.xrevrange(log, count=1)
                if limit is None or limit > 0:
                    pipe.xrange(log, f"(0-{after}", "+", count=limit)
                return list(await pipe.execute())

        current, last, *entries = await self._retry(op)
        head = seq_of(last[0][0]) if last else 0
        records = [to_record(e) for e in entries[0]] if entries else []
        if epoch is not None and epoch != current:
            raise Trimmed(room, after, 1)
        if head < after or (records and records[0].seq != after + 1):
            raise Trimmed(room, after, records[0].seq if records else head + 1)
        if not records and head > after and (limit is None or limit > 0):
            raise Trimmed(room, after, head + 1)
        return records

    async def append_batch(
        self, room: str, expect: int, entries: Sequence[BatchEntry]
    ) -> list[Committed] | Conflict | DuplicateKeys:
        check_distinct(entries)
        if not entries:
            return []
        if expect == 0:
            await self._retry(lambda: self._client.sadd(f"{self._prefix}rooms", room))
        keys = [self._key(room, "log"), self._key(room, "cmd"), self._key(room, "epoch")]
        args: list[str | int] = [expect, new_epoch(), self._channel(room)]
        for entry in entries:
            key = entry.command_key
            args.extend((key or "", encode(entry.result).decode(), len(entry.events)))
            args.extend(record_body(e.name, e.data, e.at, key) for e in entry.events)
        # If a reply is lost to a dropped connection, the retry meets the first attempt's
        # keys (DuplicateKeys) or its moved head (Conflict): never appended twice.
        reply = await self._retry(lambda: self._append_batch(keys=keys, args=args))
        status = reply[0]
        if status == "conflict":
            return Conflict(int(reply[1]))
        if status == "dup":
            return DuplicateKeys(tuple(str(k) for k in reply[1]))
        out: list[Committed] = []
        seq = expect
        for entry in entries:
            key = entry.command_key
            records = tuple(
                Record(seq + i, e.name, e.data, e.at, key) for i, e in enumerate(entry.events, 1)
            )
            seq += len(records)
            out.append(Committed(records, dict(entry.result), False))
        return out

    async def lookup_many(self, room: str, command_keys: Sequence[str]) -> dict[str, Committed]:
        if not command_keys:
            return {}
        keys = [self._key(room, "log"), self._key(room, "cmd")]
        args = list(command_keys)
        reply = await self._retry(lambda: self._lookup(keys=keys, args=args))
        return {args[int(i) - 1]: to_committed(done, recs) for i, done, recs in reply}

    def watch(self, room: str) -> AsyncIterator[int]:
        return self._watcher.watch(room)

    async def rooms(self) -> list[str]:
        found = await self._retry(lambda: self._client.smembers(f"{self._prefix}rooms"))
        members = sorted(str(room) for room in found)

        async def op() -> list[Any]:
            async with self._client.pipeline(transaction=False) as pipe:
                for room in members:
                    pipe.exists(self._key(room, "log"))
                return list(await pipe.execute())

        exists = await self._retry(op) if members else []
        return [room for room, there in zip(members, exists, strict=True) if there]

    async def retire(self, room: str, after_s: float) -> None:
        seconds = max(1, int(after_s))

        async def op() -> list[Any]:
            async with self._client.pipeline(transaction=False) as pipe:
                for part in ("log", "cmd", "epoch"):
                    pipe.expire(self._key(room, part), seconds)
                return list(await pipe.execute())

        await self._retry(op)

    async def trim(self, room: str) -> None:
        await self._retry(lambda: self._client.srem(f"{self._prefix}rooms", room))
        keys = [self._key(room, "log"), self._key(room, "cmd"), self._key(room, "epoch")]
        await self._retry(lambda: self._trim(keys=keys, args=[self._channel(room)]))

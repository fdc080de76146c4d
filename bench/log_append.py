"""Room log append throughput: leaderless optimistic append vs one fenced writer per room.

    .venv/bin/python bench/log_append.py [--redis redis://127.0.0.1:6379/0] [--seconds 3]

Every figure is one room, one event per command (with a command key), as a vote storm
is. Workers are separate processes, as ``townhall serve --workers N`` runs them.

- memory: ``MemoryLog`` in one process, without a store and with a no-op store (the lock
  and the await a real store costs, without the disk).
- leaderless: ``RedisLog`` (what we ship). Each worker decides on the head it knows and
  appends with ``expect``; a Conflict means "catch up (read) and decide again".
- fenced lease: the alternative. Worker 0 holds the room's lease; its appends go through
  a Lua script that checks the fencing token, so they never conflict. Workers 1..N-1
  forward each command to the owner (here through a Redis list, one hop each way, the
  cheapest forwarding there is) and wait for its reply.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from realtime.log import BatchEntry, Conflict, NewEvent
from realtime.log.memory import MemoryLog, SaveEntry
from realtime.log.redis.log import RedisLog

EVENT = NewEvent(
    "vote.counted", {"poll": "p1", "turnout": 1}, datetime(2026, 11, 25, 15, tzinfo=UTC)
)

_FENCED = """
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return {'fenced'} end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local head = 0
if #last > 0 then head = tonumber(string.sub(last[1][1], 3)) end
redis.call('SET', KEYS[3], ARGV[3], 'NX')
redis.call('XADD', KEYS[1], string.format('0-%d', head + 1), 'r', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[2], string.format('%d:%d:{}', head + 1, head + 1))
redis.call('PUBLISH', ARGV[5], string.format('%d', head + 1))
return {'ok', head + 1}
"""


class NullStore:
    async def load(self, room: str) -> None:
        return None

    async def save_batch(self, room: str, epoch: str, entries: Sequence[SaveEntry]) -> None:
        return None

    async def rooms(self) -> list[str]:
        return []


def summary(name: str, commits: int, seconds: float, lat: list[float], conflicts: int) -> str:
    lat = sorted(lat) or [0.0]
    p50, p99 = statistics.median(lat), lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    return (
        f"{name:<44} {commits / seconds:>9.0f} commits/s  p50 {p50 * 1e3:6.2f} ms"
        f"  p99 {p99 * 1e3:6.2f} ms  conflicts/commit {conflicts / max(commits, 1):.2f}"
    )


async def bench_memory(store: NullStore | None, count: int) -> str:
    log = MemoryLog(store)
    lat: list[float] = []
    start = time.perf_counter()
    for i in range(count):
        t = time.perf_counter()
        await log.append_batch("room", i, [BatchEntry([EVENT], f"u:{i}", {})])
        lat.append(time.perf_counter() - t)
    took = time.perf_counter() - start
    label = "memory, no store" if store is None else "memory, no-op store"
    return summary(f"{label} (1 appender)", count, took, lat, 0)


async def leaderless_worker(url: str, worker: int, seconds: float) -> dict[str, Any]:
    log = RedisLog.from_url(url)
    await log.start()
    head, lat, conflicts, commits, i = 0, [], 0, 0, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t = time.perf_counter()
        while True:
            out = await log.append_batch("room", head, [BatchEntry([EVENT], f"w{worker}:{i}", {})])
            if isinstance(out, list):
                head = out[0].records[-1].seq
                break
            assert isinstance(out, Conflict)  # keys are never resent here
            conflicts += 1
            await log.read("room", head)  # the engine reads what it missed, decides again
            head = out.head
        lat.append(time.perf_counter() - t)
        commits += 1
        i += 1
    await log.close()
    return {"commits": commits, "lat": lat, "conflicts": conflicts}


def _key(prefix: str, part: str) -> str:
    return f"{prefix}{{room:room}}:{part}"


async def fenced_worker(url: str, prefix: str, worker: int, seconds: float) -> dict[str, Any]:
    client = Redis.from_url(url, decode_responses=True)
    keys = [_key(prefix, p) for p in ("log", "cmd", "epoch", "lease")]
    inbox = _key(prefix, "inbox")
    lat: list[float] = []
    commits = 0
    deadline = time.perf_counter() + seconds
    if worker == 0:
        token = uuid.uuid4().hex
        await client.set(keys[3], token, px=int(seconds * 3000))
        script = client.register_script(_FENCED)
        lock = asyncio.Lock()  # the owner serializes the room: one writer

        async def append(key: str) -> int:
            async with lock:
                body = f'["vote.counted",{{"poll":"p1"}},"{EVENT.at}","{key}"]'
                reply = await script(keys=keys, args=[token, key, "e", body, _key(prefix, "w")])
                assert reply[0] == "ok", reply
                return int(reply[1])

        async def serve() -> None:
            # A separate connection: BLPOP blocks it.
            inbound = Redis.from_url(url, decode_responses=True)
            while time.perf_counter() < deadline + 1:
                got = await inbound.blpop([inbox], timeout=0.2)
                if got is not None:
                    reply_to, key = str(got[1]).split("|", 1)
                    seq = await append(key)
                    await client.lpush(reply_to, seq)
            await inbound.aclose()

        server = asyncio.create_task(serve())
        i = 0
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            await append(f"w0:{i}")
            lat.append(time.perf_counter() - t)
            commits += 1
            i += 1
        await server
    else:
        reply_to = _key(prefix, f"reply:{worker}")
        i = 0
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            await client.rpush(inbox, f"{reply_to}|w{worker}:{i}")
            got = await client.blpop([reply_to], timeout=5)
            assert got is not None
            lat.append(time.perf_counter() - t)
            commits += 1
            i += 1
    await client.aclose()
    return {"commits": commits, "lat": lat, "conflicts": 0}


def _run(kind: str, url: str, prefix: str, worker: int, seconds: float, out: Any) -> None:
    if kind == "leaderless":
        result = asyncio.run(leaderless_worker(f"{url}?prefix={prefix}", worker, seconds))
    else:
        result = asyncio.run(fenced_worker(url, prefix, worker, seconds))
    out.put((worker, result))


def run_workers(kind: str, url: str, workers: int, seconds: float) -> str:
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    out: Any = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_run, args=(kind, url, prefix, w, seconds, out))
        for w in range(workers)
    ]
    for p in procs:
        p.start()
    results = dict(out.get() for _ in procs)
    for p in procs:
        p.join()
    asyncio.run(_flush(url, prefix))
    commits = sum(r["commits"] for r in results.values())
    lat = [x for r in results.values() for x in r["lat"]]
    conflicts = sum(r["conflicts"] for r in results.values())
    lines = [summary(f"{kind}, {workers} worker(s), all", commits, seconds, lat, conflicts)]
    if kind == "fenced" and workers > 1:
        own, fwd = results[0], [results[w] for w in range(1, workers)]
        lines.append(summary("  of which owner's own", own["commits"], seconds, own["lat"], 0))
        fwd_lat = [x for r in fwd for x in r["lat"]]
        fwd_commits = sum(r["commits"] for r in fwd)
        lines.append(summary("  of which forwarded", fwd_commits, seconds, fwd_lat, 0))
    return "\n".join(lines)


async def _flush(url: str, prefix: str) -> None:
    client = Redis.from_url(url)
    async for key in client.scan_iter(match=f"{prefix}*", count=1000):
        await client.delete(key)
    await client.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--memory-count", type=int, default=100_000)
    args = parser.parse_args()
    print(asyncio.run(bench_memory(None, args.memory_count)))
    print(asyncio.run(bench_memory(NullStore(), args.memory_count)))
    for workers in (1, 3):
        print(run_workers("leaderless", args.redis, workers, args.seconds))
    for workers in (1, 3):
        print(run_workers("fenced", args.redis, workers, args.seconds))


if __name__ == "__main__":
    main()

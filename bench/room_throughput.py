"""One busy room through the whole hub: commands/s and ack latency, 1 and 3 workers.

    .venv/bin/python bench/room_throughput.py [--clients 24] [--inflight 8] [--seconds 5]
                                              [--only redis-3]

Worker processes run the toy app (``tests/realtime/toyapp.py``) under uvicorn, as the
multi-worker tests do; clients (``realtime.client.Client``, one process) are spread
round-robin over the workers, all in one room, and each sends ``counter.add`` as fast
as its acks come back, keeping ``--inflight`` commands in flight (a client stands for
that many participants: every command is one event that every client of the room
receives, and receiving is the clients' own CPU on a 2-core machine; fewer clients with
more in flight load the servers' command path rather than the bench's event parsing).
Compare runs, not absolute numbers.

Scenarios: ``memory-1`` (memory://, 1 worker), ``redis-1`` and ``redis-3`` (redis://
on 127.0.0.1:6379, a key prefix per run, deleted afterwards). The ``engine-*`` ones
leave out sockets and fan-out: each worker process drives its ``Engine`` directly
(``execute``) with ``clients x inflight`` concurrent command loops, which shows what the
command path itself (decide, append, conflicts) sustains.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis

from realtime.client import Client
from realtime.engine import Engine, Principal
from realtime.log import RoomLog
from realtime.server import open_log
from tests.realtime.toy import ToyDomain
from townhall.db import create_engine, migrate, session_factory
from townhall.logstore import SqlStore

ROOT = Path(__file__).resolve().parents[1]
REDIS = "redis://127.0.0.1:6379/0"
OPTIONS = {"rate": 1e6, "burst": 1_000_000, "presence_interval": 3600.0, "max_inflight": 4096}
SCENARIOS = {
    "memory-1": ("memory://", 1),
    "redis-1": (REDIS, 1),
    "redis-3": (REDIS, 3),
    "engine-memory-1": ("memory://", 1),
    "engine-redis-1": (REDIS, 1),
    "engine-redis-3": (REDIS, 3),
    "engine-sqlite-1": ("sqlite", 1),  # memory:// + townhall's SqlStore: the embedded mode
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(log_url: str, n: int) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    env = dict(os.environ, TOY_LOG_URL=log_url, TOY_CONFIG=json.dumps(OPTIONS))
    ports = [_free_port() for _ in range(n)]
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.realtime.toyapp", str(p)], cwd=ROOT, env=env)
        for p in ports
    ]
    for port, proc in zip(ports, procs, strict=True):
        for _ in range(400):
            assert proc.poll() is None, "worker exited during startup"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
                break
            time.sleep(0.05)
    return procs, [f"ws://127.0.0.1:{p}/ws" for p in ports]


async def _client_loop(
    client: Client, until: float, measure_from: float, latencies: list[float]
) -> int:
    loop = asyncio.get_running_loop()
    done = 0
    while (now := loop.time()) < until:
        await client.request("counter.add", {"n": 1})
        if now >= measure_from:
            latencies.append(loop.time() - now)
            done += 1
    return done


async def _run(urls: list[str], clients: int, inflight: int, seconds: float) -> dict[str, float]:
    conns = [
        Client(urls[i % len(urls)], "participant@main", keep_history=False) for i in range(clients)
    ]
    for start in range(0, clients, 50):
        await asyncio.gather(*(c.connect() for c in conns[start : start + 50]))
    loop = asyncio.get_running_loop()
    warmup = 1.0
    begin = loop.time()
    latencies: list[float] = []
    counts = await asyncio.gather(
        *(
            _client_loop(c, begin + warmup + seconds, begin + warmup, latencies)
            for c in conns
            for _ in range(inflight)
        )
    )
    await asyncio.gather(*(c.close() for c in conns))
    assert sum(counts) == len(latencies)
    return _figures(latencies, seconds)


async def _engine_run(log_url: str, loops: int, seconds: float, start_at: float) -> list[float]:
    if log_url == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{directory}/bench.db"
            await migrate(url)
            db = create_engine(url)
            try:
                log = open_log("memory://", SqlStore(session_factory(db)))
                return await _engine_loops(log, loops, seconds, start_at)
            finally:
                await db.dispose()
    return await _engine_loops(open_log(log_url), loops, seconds, start_at)


async def _engine_loops(log: RoomLog, loops: int, seconds: float, start_at: float) -> list[float]:
    await log.start()
    engine = Engine(log, ToyDomain())
    await engine.state("main")
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start_at - time.time()))  # every process starts at once
    until = loop.time() + 1.0 + seconds
    measure_from = loop.time() + 1.0
    latencies: list[float] = []

    async def one() -> None:
        principal = Principal("main", f"{uuid.uuid4().hex[:8]}", "public", True, {}, None)
        n = 0
        while (now := loop.time()) < until:
            n += 1
            await engine.execute(principal, "counter.add", {"n": 1}, f"{principal.key}:{n}")
            if now >= measure_from:
                latencies.append(loop.time() - now)

    await asyncio.gather(*(one() for _ in range(loops)))
    print(f"    worker stats: {engine.stats}", flush=True)
    await engine.close()
    await log.close()
    return latencies


def _engine_worker(log_url: str, loops: int, seconds: float, start_at: float) -> list[float]:
    return asyncio.run(_engine_run(log_url, loops, seconds, start_at))


def _engine_scenario(log_url: str, n: int, loops: int, seconds: float) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0  # spawning imports everything first
    with ctx.Pool(n) as pool:
        per = pool.starmap(_engine_worker, [(log_url, loops, seconds, start_at)] * n)
    latencies = sorted(x for worker in per for x in worker)
    return _figures(latencies, seconds)


def _figures(latencies: list[float], seconds: float) -> dict[str, float]:
    latencies.sort()
    return {
        "commands/s": len(latencies) / seconds,
        "p50 ms": 1000 * statistics.median(latencies),
        "p99 ms": 1000 * latencies[int(len(latencies) * 0.99) - 1],
    }


def scenario(name: str, clients: int, inflight: int, seconds: float) -> dict[str, float]:
    base, n = SCENARIOS[name]
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    log_url = base if base.startswith(("memory", "sqlite")) else f"{base}?prefix={prefix}"
    if name.startswith("engine-"):
        try:
            return _engine_scenario(log_url, n, clients * inflight // n, seconds)
        finally:
            _clean(base, prefix)
    procs, urls = _start(log_url, n)
    try:
        return asyncio.run(_run(urls, clients, inflight, seconds))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
        _clean(base, prefix)


def _clean(base: str, prefix: str) -> None:
    if not base.startswith("redis"):
        return
    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--inflight", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    args = parser.parse_args()
    print(
        f"one room, {args.clients} clients x {args.inflight} commands in flight,"
        f" {args.seconds:.0f} s after 1 s warm-up"
    )
    print(f"{'scenario':<10} {'commands/s':>11} {'p50 ms':>8} {'p99 ms':>8}")
    for name in args.only or list(SCENARIOS):
        got = scenario(name, args.clients, args.inflight, args.seconds)
        print(
            f"{name:<10} {got['commands/s']:>11.0f} {got['p50 ms']:>8.1f} {got['p99 ms']:>8.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()

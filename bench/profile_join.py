"""Where a join storm's time goes on the real server: cProfile of the event loop.

    .venv/bin/python -m bench.profile_join [--clients 2000] [--sort tottime] [--top 40]

Runs ``townhall.app:create_app`` (the ``participants`` preset of bench/targets.py:
SQLite in a scratch directory, one live town hall, every client a participant joining
by the participant link) under uvicorn *in this process*, enables cProfile once the town
hall is set up, lets the C load generator connect ``--clients`` participants at once
(``--mode join``), and stops the profile when the last has its ``welcome``. It prints the
storm's figures and the functions that took the loop's time (threads, such as the SQLite
writer's, are not profiled: only the time the loop spent). ``--output`` keeps the
``pstats`` file (``python -m pstats FILE``). ``--memory`` traces allocations instead
(tracemalloc) and prints what the idle connections hold, per connection, by line.

A benchmark, not a test: nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import os
import pstats
import socket
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

if __name__ == "__main__" and __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import uvicorn

from bench import procstat
from bench.harness import LOADGEN_BIN, ensure_loadgen
from bench.storms import RESULTS, _loadgen
from bench.targets import PRESETS, free_port
from bench.townhall_setup import live_townhall_participants
from realtime.server import UVICORN_WS_OPTIONS


async def _serve_and_storm(args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    for key, value in PRESETS["participants"].env.items():
        os.environ[key] = value.replace("{scratch}", str(scratch))
    os.environ.setdefault("TOWNHALL_LOG_LEVEL", "warning")
    from townhall.app import create_app  # reads the environment set above

    port = free_port()
    config = uvicorn.Config(
        create_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        backlog=4096,
        **UVICORN_WS_OPTIONS,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(600):  # uvicorn says "started" by a flag only
        if server.started or serving.done():
            break
        await asyncio.sleep(0.05)
    if not server.started:
        raise RuntimeError("the server did not start; see the log above")
    base = f"http://127.0.0.1:{port}"
    tokens = await asyncio.to_thread(live_townhall_participants, base)
    argv = [
        str(LOADGEN_BIN),
        *("--target", "townhall", "--url", f"ws://127.0.0.1:{port}/ws"),
        *("--token", tokens["token"], "--pub-token", tokens["pub_token"]),
        *("--mode", "join", "--control", "--clients", str(args.clients)),
        *("--connect-concurrency", str(args.concurrency), "--connect-timeout", "300"),
    ]
    profiler = cProfile.Profile()
    cpu: dict[str, float] = {}

    memory: list[tracemalloc.Snapshot] = []

    async def baseline(message: dict[str, Any]) -> None:
        cpu["baseline"] = procstat.cpu_seconds(os.getpid())
        if args.memory:
            gc.collect()
            memory.append(tracemalloc.take_snapshot())
        else:
            profiler.enable()

    async def idle(message: dict[str, Any]) -> None:
        if args.memory:
            await asyncio.sleep(2)  # the last frames leave
            gc.collect()
            memory.append(tracemalloc.take_snapshot())
        else:
            profiler.disable()
        cpu["idle"] = procstat.cpu_seconds(os.getpid())

    log = RESULTS / "servers.log"
    try:
        result = await _loadgen(
            argv, {"baseline": baseline, "idle": idle}, 300 + args.clients / 10, log
        )
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 30)
    result["server_cpu_us_per_join"] = round(
        (cpu["idle"] - cpu["baseline"]) * 1e6 / max(1, result["connect"]["connected"])
    )
    result["profile"] = profiler
    result["memory"] = memory
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--output", type=Path, help="keep the pstats file here")
    parser.add_argument("--memory", action="store_true", help="tracemalloc, not cProfile")
    args = parser.parse_args(argv)
    if args.memory:
        tracemalloc.start(1)
    RESULTS.mkdir(exist_ok=True)
    procstat.raise_fd_limit(1 << 20)
    print(f"load generator: {ensure_loadgen('c', RESULTS / 'servers.log')}", flush=True)
    socket.setdefaulttimeout(None)
    with tempfile.TemporaryDirectory(prefix="townhall-profile-") as scratch:
        result = asyncio.run(_serve_and_storm(args, Path(scratch)))
    profiler: cProfile.Profile = result.pop("profile")
    memory: list[tracemalloc.Snapshot] = result.pop("memory")
    c = result["connect"]
    print(
        f"{args.clients} participants: all welcomed in {c['seconds']} s, "
        f"connect->welcome p50 {c['welcome_ms']['p50']} / p99 {c['welcome_ms']['p99']} ms, "
        f"{result['server_cpu_us_per_join']} us of server CPU per join "
        f"(under the profiler), failed {c['failed']}, curve {c.get('curve_s')}"
    )
    if memory:
        before, after = memory
        diff = after.compare_to(before, "lineno")
        total = sum(d.size_diff for d in diff)
        n = max(1, c["connected"])
        print(f"traced memory held per idle connection: {total / n / 1024:.1f} KB")
        for d in diff[: args.top]:
            frame = d.traceback[0]
            print(
                f"{d.size_diff / n:8.0f} B {d.count_diff / n:6.2f} blocks  "
                f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
            )
        return 0
    if args.output:
        profiler.dump_stats(str(args.output))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

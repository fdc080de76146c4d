"""Arrival and return of a whole room (issue 16), with peers measured in the same run.

    .venv/bin/python -m bench.storms join [--clients 500,2000,5000,10000] [--targets ...]
    .venv/bin/python -m bench.storms reconnect [--participants 6000] [--workers 3]

``join``: for every room size and target, start the server, connect that many
subscribers at once (``--concurrency`` handshakes in flight) and time until every one
has its ``welcome`` (Townhall; Node ``ws`` answers the same hello) or its socket.io
``connect`` (Node socket.io, python-socketio): the seconds, the curve (when 10 %, 20 %,
… of the room were in: a per-join cost that grows with the room bends it), each
client's connect → welcome, the welcome's size, server CPU per join and RSS per idle
connection. Townhall targets: ``townhall-participants`` (every subscriber a participant
joining by the participant link: a join event and a name each) and ``townhall-app``
(observers).

``reconnect``: ``--workers`` real ``townhall serve`` processes share Redis; the
participants join round robin over them, a facilitator on the first posts ``--rate``
statements per second, and after ``--before-kill`` seconds the last worker is killed
with SIGKILL. Every participant it held comes back like the page does (250 ms later, on
another worker, hello with its resume token and its (epoch, seq)); the load generator
checks every seq of every participant, and reports when the last came back, how many
were resumed by replay (the others got a snapshot), and the latency of the participants
that were never dropped, before and after the kill.

Both print a table and write ``bench/results/storms-<kind>.json``. The C load generator
(bench/loadgen/loadgen.c, ``--mode join`` / ``--mode reconnect``) holds every client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import redis

if __name__ == "__main__" and __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import procstat
from bench.harness import LOADGEN_BIN, ensure_loadgen
from bench.targets import (
    BENCH,
    PRESETS,
    Target,
    ensure_installed,
    free_port,
    node_socketio,
    node_ws,
    python_socketio,
    start,
    stop,
    townhall,
)
from bench.townhall_setup import live_townhall_participants

RESULTS = BENCH / "results"
JOIN_TARGETS: dict[str, Callable[[], Target]] = {
    "node-socketio": node_socketio,
    "node-ws": node_ws,
    "python-socketio": python_socketio,
    "townhall-app": lambda: townhall(PRESETS["app"], name="townhall observers"),
    "townhall-participants": lambda: townhall(
        PRESETS["participants"], name="townhall participants"
    ),
    # The same, into a room that already holds 3,000 statements (every welcome has them).
    "townhall-statements": lambda: townhall(
        PRESETS["statements"], name="townhall participants, 3,000 statements"
    ),
    # Floors: the hub of realtime/ with its toy domain (observers), and bench's own
    # minimal Starlette hub (a bare accept, hello and welcome under uvicorn).
    "townhall-hub": lambda: townhall(PRESETS["hub"]),
    "toy-hub": lambda: townhall(PRESETS["toy-hub"], name="bench toy_hub"),
}
PEERS = ("node-socketio", "node-ws")


def _machine() -> dict[str, Any]:
    return {
        "cpu": procstat.cpu_model(),
        "cores": os.cpu_count() or 0,
        "kernel": platform.release(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


async def _loadgen(
    argv: list[str], on_mark: dict[str, Any], limit_s: float, log: Path
) -> dict[str, Any]:
    """Run the load generator with --control; ``on_mark[name](message) -> answer``."""
    with log.open("ab") as err:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            limit=2**24,
        )
    assert proc.stdout is not None
    assert proc.stdin is not None
    try:
        async with asyncio.timeout(limit_s):
            while True:
                line = await proc.stdout.readline()
                if not line:
                    raise RuntimeError("the load generator ended without a result")
                message = json.loads(line)
                if "result" in message:
                    result: dict[str, Any] = message["result"]
                    return result
                if "error" in message:
                    raise RuntimeError(f"load generator: {message['error']}")
                handler = on_mark.get(message["mark"])
                answer = "go"
                if handler is not None:
                    answer = await handler(message) or "go"
                proc.stdin.write(f"{answer}\n".encode())
                await proc.stdin.drain()
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


# -- join storm ------------------------------------------------------------------------


async def join_one(target: Target, clients: int, concurrency: int, log: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="townhall-storm-") as scratch:
        port = free_port()
        server = await asyncio.to_thread(start, target, port, log, Path(scratch))
        try:
            args = await asyncio.to_thread(target.loadgen_args, port)
            argv = [
                str(LOADGEN_BIN),
                *args,
                *("--mode", "join", "--control", "--clients", str(clients)),
                *("--connect-concurrency", str(concurrency), "--connect-timeout", "120"),
            ]
            seen: dict[str, tuple[float, int]] = {}

            async def sample(message: dict[str, Any]) -> None:
                await asyncio.sleep(2)  # let the server settle before reading its RSS
                seen[message["mark"]] = (
                    procstat.cpu_seconds(server.pid),
                    procstat.rss_bytes(server.pid),
                )

            async def idle(message: dict[str, Any]) -> None:
                cpu = procstat.cpu_seconds(server.pid)  # before the settle pause
                await sample(message)
                seen["idle"] = (cpu, seen["idle"][1])

            result = await _loadgen(
                argv, {"baseline": sample, "idle": idle}, 120 + clients / 20, log
            )
        finally:
            await asyncio.to_thread(stop, server)
    connected = max(1, result["connect"]["connected"])
    (cpu0, rss0), (cpu1, rss1) = seen["baseline"], seen["idle"]
    result["target"] = target.name
    result["server_cpu_us_per_join"] = round((cpu1 - cpu0) * 1e6 / connected)
    result["rss"] = {
        "baseline_mb": round(rss0 / 2**20, 1),
        "idle_mb": round(rss1 / 2**20, 1),
        "per_idle_connection_kb": round((rss1 - rss0) / connected / 1024, 1),
    }
    return result


def join_table(runs: list[dict[str, Any]]) -> str:
    head = (
        "| target | clients | all welcomed, s | / node socket.io | / node ws "
        "| curve 10/50/90/100 %, s "
        "| connect→welcome p50 / p99 ms | welcome KB mean / max | server µs per join "
        "| KB/idle conn | RSS idle, MB | failed |"
    )
    lines = [head, "|" + "---|" * 12]
    by = {(r["target"], r["clients"]): r for r in runs if "error" not in r}
    for run in runs:
        if "error" in run:
            lines.append(f"| {run['target']} | {run['clients']} | failed: {run['error']} |")
            continue
        c = run["connect"]
        ratios = []
        for peer in ("node-socketio", "node-ws"):
            ref = by.get((peer, run["clients"]))
            ratios.append(f"{c['seconds'] / ref['connect']['seconds']:.2f}" if ref else "")
        curve = c.get("curve_s") or []
        pick = [curve[i] for i in (0, 4, 8, 9)] if len(curve) == 10 else []
        wb = c.get("welcome_bytes", {})
        lines.append(
            f"| {run['target']} | {run['clients']:,} | {c['seconds']} | {ratios[0]} | "
            f"{ratios[1]} | {' / '.join(str(x) for x in pick)} | "
            f"{c['welcome_ms']['p50']} / {c['welcome_ms']['p99']} | "
            f"{wb.get('mean', 0) / 1024:.1f} / {wb.get('max', 0) / 1024:.1f} | "
            f"{run['server_cpu_us_per_join']:,} | {run['rss']['per_idle_connection_kb']} | "
            f"{run['rss']['idle_mb']} | {c['failed']} |"
        )
    return "\n".join(lines)


async def join_storm(args: argparse.Namespace) -> dict[str, Any]:
    log = RESULTS / "servers.log"
    sizes = [int(x) for x in args.clients.split(",") if x]
    names = [n.strip() for n in args.targets.split(",") if n.strip()]
    runs: list[dict[str, Any]] = []
    plan = [(name, size) for size in sizes for name in names]
    for index, (name, size) in enumerate(plan, 1):
        target = JOIN_TARGETS[name]()
        print(f"[{index}/{len(plan)}] {target.name}: {size} clients join", flush=True)
        try:
            run = await join_one(target, size, args.concurrency, log)
            run["target"] = name
        except Exception as error:
            run = {"target": name, "clients": size, "error": str(error)}
        runs.append(run)
        if "error" not in run:
            c = run["connect"]
            print(
                f"    {c['seconds']} s, {run['server_cpu_us_per_join']} us/join, "
                f"{run['rss']['per_idle_connection_kb']} KB/conn, failed {c['failed']}",
                flush=True,
            )
    return {"kind": "join", "concurrency": args.concurrency, "runs": runs}


# -- reconnect storm -------------------------------------------------------------------


class Workers:
    """``townhall serve`` processes sharing Redis and one database."""

    def __init__(self, count: int, data: Path, redis_url: str, log: Path) -> None:
        self.ports = [free_port() for _ in range(count)]
        env = {
            **os.environ,
            **{k: v.replace("{scratch}", str(data)) for k, v in PRESETS["app"].env.items()},
            "TOWNHALL_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'townhall.db'}",
            "TOWNHALL_REDIS_URL": redis_url,
            "TOWNHALL_LOG_LEVEL": "warning",
        }
        self.procs: list[subprocess.Popen[bytes]] = []
        with log.open("ab") as out:
            for port in self.ports:
                self.procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "townhall.cli", "serve"],
                        env={**env, "TOWNHALL_PORT": str(port)},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        deadline = time.monotonic() + 180  # a busy machine starts a worker slowly
        for port, proc in zip(self.ports, self.procs, strict=True):
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"worker on {port} did not start; see {log}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).is_success:
                        break
                time.sleep(0.2)

    def cpu(self) -> list[float]:
        return [procstat.cpu_seconds(p.pid) if p.poll() is None else 0.0 for p in self.procs]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def reconnect_storm(args: argparse.Namespace) -> dict[str, Any]:
    log = RESULTS / "servers.log"
    prefix = f"townhall-storm-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory(prefix="townhall-storm-") as scratch:
        workers = await asyncio.to_thread(
            Workers, args.workers, Path(scratch), f"{args.redis_url}?prefix={prefix}", log
        )
        try:
            base = f"http://127.0.0.1:{workers.ports[0]}"
            tokens = await asyncio.to_thread(live_townhall_participants, base)
            urls = ",".join(f"ws://127.0.0.1:{port}/ws" for port in workers.ports)
            argv = [
                str(LOADGEN_BIN),
                *("--target", "townhall", "--mode", "reconnect", "--control"),
                *("--urls", urls, "--token", tokens["token"], "--pub-token", tokens["pub_token"]),
                *("--clients", str(args.participants), "--rate", str(args.rate)),
                *("--before-kill", str(args.before_kill), "--after-kill", str(args.after_kill)),
                *("--connect-concurrency", str(args.concurrency), "--connect-timeout", "300"),
            ]
            cpu: dict[str, list[float]] = {}
            victim = workers.procs[-1]

            async def at(message: dict[str, Any]) -> None:
                cpu[message["mark"]] = workers.cpu()
                if message["mark"] == "idle":
                    print(f"    joined: {json.dumps(message)[:300]}", flush=True)

            async def kill(message: dict[str, Any]) -> str:
                cpu["kill"] = workers.cpu()
                os.kill(victim.pid, signal.SIGKILL)
                killed = time.monotonic() * 1000
                print(f"    killed the worker on {workers.ports[-1]}", flush=True)
                return f"go {killed:.3f}"

            result = await _loadgen(
                argv,
                {"baseline": at, "idle": at, "kill": kill, "end": at},
                300 + args.participants / 10,
                log,
            )
        finally:
            await asyncio.to_thread(workers.stop)
            client = redis.Redis.from_url(args.redis_url)
            try:
                for key in client.scan_iter(match=f"{prefix}*", count=1000):
                    client.delete(key)
            finally:
                client.close()
    result["workers"] = args.workers
    result["server_cpu_s"] = {
        "join": round(sum(cpu["idle"]) - sum(cpu["baseline"]), 2),
        "storm_survivors": round(sum(cpu["end"][:-1]) - sum(cpu["kill"][:-1]), 2),
    }
    return {"kind": "reconnect", "runs": [result]}


def reconnect_summary(run: dict[str, Any]) -> str:
    s, seq = run["storm"], run["seq"]
    before, after = run["before"]["latency_ms"], run["after"]["latency_ms"]
    c = run["connect"]
    return "\n".join(
        [
            f"participants {run['clients']:,} on {run['workers']} workers: joined in "
            f"{c['seconds']} s (failed {c['failed']}); {run['rate']} events/s",
            f"killed one worker: {s['dropped']} dropped, {s['back']} back "
            f"({s['resumed']} resumed by replay, {s['snapshots']} by snapshot, "
            f"{s['resyncs']} resync), {s['refused']} refused, {s['still_away']} still away, "
            f"{s['attempts']} attempts",
            f"back after the kill: p50 {s['back_ms']['p50']} ms, p99 {s['back_ms']['p99']} ms, "
            f"last {s['all_back_ms']} ms",
            f"seq: {seq['gaps']} gaps ({seq['missing']} events missing), "
            f"{seq['duplicates']} duplicates; lost events {run['lost_events']} of "
            f"{run['events_published']}",
            f"latency of the others: before p50 {before['p50']} / p99 {before['p99']} ms; "
            f"after the kill p50 {after['p50']} / p99 {after['p99']} / max {after['max']} ms",
        ]
    )


# -- command line ----------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    join = sub.add_parser("join", help="a whole room connects at once")
    join.add_argument("--clients", default="500,2000,5000,10000")
    join.add_argument("--targets", default=",".join([*PEERS, "townhall-participants"]))
    join.add_argument("--concurrency", type=int, default=200, help="handshakes in flight")
    rec = sub.add_parser("reconnect", help="kill -9 one worker under its participants")
    rec.add_argument("--participants", type=int, default=6000)
    rec.add_argument("--workers", type=int, default=3)
    rec.add_argument("--rate", type=float, default=20, help="statements per second")
    rec.add_argument("--before-kill", type=float, default=3)
    rec.add_argument("--after-kill", type=float, default=6)
    rec.add_argument("--concurrency", type=int, default=200, help="handshakes in flight")
    rec.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    for each in (join, rec):
        each.add_argument("--nice", type=int, default=0)
        each.add_argument("--output", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    RESULTS.mkdir(exist_ok=True)
    procstat.raise_fd_limit(1 << 20)
    if args.nice:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)
    ensure_installed(RESULTS / "servers.log")
    print(f"load generator: {ensure_loadgen('c', RESULTS / 'servers.log')}", flush=True)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    run = join_storm if args.kind == "join" else reconnect_storm
    data = {"date": started, "machine": _machine(), **asyncio.run(run(args))}
    data["machine"]["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    output = args.output or RESULTS / f"storms-{args.kind}.json"
    output.write_text(json.dumps(data, indent=2) + "\n")
    print()
    if args.kind == "join":
        print(join_table(data["runs"]))
    else:
        for run_ in data["runs"]:
            print(reconnect_summary(run_))
    print(f"\nwrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

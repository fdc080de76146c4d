"""The fan-out benchmark, one command: `.venv/bin/python bench/run.py [--quick]`.

Compares the Townhall hub (any ASGI app, see --townhall-app) with a bare python-socketio
server and a Node socket.io server doing the same one-room broadcast, at 500 / 2,000 /
5,000 clients, then 2 workers + Redis against 1. Prints a table and writes
bench/results/latest.json. Everything listens on 127.0.0.1; every run is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

if __name__ == "__main__" and __package__ in (None, ""):
    # Run as a script: make `bench` importable as the package it is.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import procstat, report
from bench.harness import FULL, LOADGENS, QUICK, ensure_loadgen, run_one
from bench.targets import (
    BENCH,
    PRESETS,
    Target,
    TownhallOptions,
    ensure_installed,
    node_socketio,
    node_ws,
    python_socketio,
    townhall,
)

RESULTS = BENCH / "results"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="short phases (about 3 minutes)")
    add("--clients", default="", help="room sizes, e.g. 500,2000 (default 500,2000,5000)")
    add(
        "--targets",
        default="node-socketio,python-socketio,townhall",
        help="comma list of node-socketio, node-ws, python-socketio, townhall (the "
        "--townhall preset), townhall-app (the real server, preset app, observers), "
        "townhall-participants (the real server, every subscriber a participant), toy-hub "
        "(bench's own minimal hub), starlette-plain (toy-hub without coalescing)",
    )
    add(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="for the 2 workers + Redis runs; empty to skip them",
    )
    add("--multi-clients", type=int, default=2000, help="room size of the 2-worker runs")
    add(
        "--latency-budget-ms",
        type=float,
        default=100.0,
        help="saturation keeps each event's fan-out to the last client within this",
    )
    add(
        "--townhall",
        default="hub",
        choices=sorted(PRESETS),
        help="preset of the Townhall target; the options below override it",
    )
    add("--townhall-app", help="ASGI app import path, module:attr")
    add(
        "--townhall-factory",
        action="store_true",
        default=None,
        help="the app path names a factory (uvicorn --factory)",
    )
    add(
        "--townhall-env",
        action="append",
        metavar="KEY=VALUE",
        help="environment of the app (replaces the preset's)",
    )
    add("--townhall-token", help="the subscribers' hello token")
    add("--townhall-pub-token", help="the publisher's hello token")
    add("--townhall-command", help="command type the publisher sends; each makes one event")
    add("--townhall-redis-env", help="env variable through which the app takes its Redis URL")
    add(
        "--townhall-setup",
        help="module:func(base_url) -> {token, pub_token?, path?}, called once the server "
        "listens (e.g. to create a town hall through the REST API)",
    )
    add(
        "--nice",
        type=int,
        default=0,
        help="run the servers and the load generator at this priority (e.g. -10, as root) "
        "when other work shares the machine",
    )
    add(
        "--loadgen",
        default="c",
        choices=LOADGENS,
        help="load generator: c (bench/loadgen/loadgen.c, built on first use) or node "
        "(bench/loadgen/loadgen.js, the former default, which tops out at one core)",
    )
    add("--output", type=Path, default=RESULTS / "latest.json")
    return parser.parse_args(argv)


def _townhall_options(args: argparse.Namespace) -> TownhallOptions:
    overrides: dict[str, Any] = {
        "app": args.townhall_app,
        "factory": args.townhall_factory,
        "token": args.townhall_token,
        "pub_token": args.townhall_pub_token,
        "command": args.townhall_command,
        "redis_env": args.townhall_redis_env,
        "setup": args.townhall_setup,
    }
    if args.townhall_env is not None:
        overrides["env"] = dict(item.split("=", 1) for item in args.townhall_env)
    if args.townhall_app:
        overrides["label"] = ""
    chosen = {key: value for key, value in overrides.items() if value is not None}
    return replace(PRESETS[args.townhall], **chosen)


def _targets(
    args: argparse.Namespace, prefix: str
) -> tuple[list[Target], list[tuple[Target, Target]]]:
    """The 1-worker targets, and (1 worker, 2 workers + Redis) pairs where supported."""
    th = _townhall_options(args)
    by_name = {
        "node-socketio": node_socketio(),
        "node-ws": node_ws(),
        "python-socketio": python_socketio(),
        "townhall": townhall(th),
        "toy-hub": townhall(PRESETS["toy-hub"], name="bench toy_hub"),
        "townhall-app": townhall(PRESETS["app"]),
        "townhall-participants": townhall(PRESETS["participants"]),
        "starlette-plain": townhall(
            replace(PRESETS["toy-hub"], env={"TOYHUB_COALESCE": "0"}), name="starlette send loop"
        ),
    }
    names = [name.strip() for name in args.targets.split(",") if name.strip()]
    single = [by_name[name] for name in names]
    multi: list[tuple[Target, Target]] = []
    if args.redis_url:
        for name in names:
            base = by_name[name]
            townhalls = ("townhall", "townhall-app", "townhall-participants")
            if name in townhalls and base.townhall is not None:
                two = townhall(base.townhall, workers=2, redis_url=args.redis_url, prefix=prefix)
                multi.append((base, two))
            elif name == "python-socketio":
                multi.append((base, python_socketio(workers=2, redis_url=args.redis_url)))
    return single, multi


def _versions(loadgen: str) -> dict[str, str]:
    def out(*cmd: str) -> str:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30)
        return done.stdout.strip()

    node_pkgs = json.loads((BENCH / "package.json").read_text())["dependencies"]
    return {
        "loadgen": loadgen,
        "python": platform.python_version(),
        "node": out("node", "--version"),
        **{f"npm:{name}": version for name, version in node_pkgs.items()},
        "requirements": ", ".join(
            line
            for line in (BENCH / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")
        ),
    }


async def _run_all(args: argparse.Namespace, loadgen: str) -> dict[str, Any]:
    timing = replace(QUICK if args.quick else FULL, budget_ms=args.latency_budget_ms)
    sizes = [int(x) for x in args.clients.split(",") if x] or [500, 2000, 5000]
    prefix = f"townhall-bench-{os.getpid()}"
    single, multi = _targets(args, prefix)
    log = RESULTS / "servers.log"
    runs: list[dict[str, Any]] = []
    multi_runs: list[dict[str, Any]] = []
    plan = [(t, n, runs) for n in sizes for t in single]
    for base, two in multi:
        if args.multi_clients not in sizes:
            plan.append((base, args.multi_clients, runs))
        plan.append((two, args.multi_clients, multi_runs))
    for index, (target, clients, into) in enumerate(plan, 1):
        print(f"[{index}/{len(plan)}] {target.name} with {clients} clients", flush=True)
        try:
            into.append(await run_one(target, clients, timing, log, args.loadgen))
        except Exception as error:  # one broken target must not lose the others
            print(f"    failed: {error}", flush=True)
            into.append({"target": target.name, "clients": clients, "error": str(error)})
    if multi:
        await asyncio.to_thread(_forget_redis_keys, args.redis_url, prefix)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": procstat.cpu_model(), "cores": _cores(), "kernel": platform.release()},
        "mode": "quick" if args.quick else "full",
        "nice": args.nice,
        "latency_budget_ms": args.latency_budget_ms,
        "loadgen": loadgen,
        "versions": _versions(loadgen),
        "runs": runs,
        "multi_worker": multi_runs,
    }


def _forget_redis_keys(url: str, prefix: str) -> None:
    """Delete what the 2-worker runs left in Redis (their keys all start with prefix)."""
    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
    finally:
        client.close()


def _cores() -> int:
    return os.cpu_count() or 0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    RESULTS.mkdir(exist_ok=True)
    procstat.raise_fd_limit(65536)
    if args.nice:
        # Every server and load generator we start inherits this priority.
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)
    started = time.monotonic()
    ensure_installed(RESULTS / "servers.log")
    try:
        loadgen = ensure_loadgen(args.loadgen, RESULTS / "servers.log")
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"load generator: {loadgen}", flush=True)
    data = asyncio.run(_run_all(args, loadgen))
    ok = [r for r in data["runs"] if "error" not in r]
    ok_multi = [r for r in data["multi_worker"] if "error" not in r]
    data["loadavg_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    data["targets"] = report.targets(ok)
    data["wall_seconds"] = round(time.monotonic() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    args.output.with_suffix(".md").write_text(report.markdown(data))
    print(f"\nload generator: {loadgen}")
    print(report.table(ok))
    if ok_multi:
        print("\n1 worker vs 2 workers + Redis:")
        print(report.table(report.pairs(ok, ok_multi)))
    for check in data["targets"]:
        print(f"{'met ' if check['met'] else 'MISS'}  {check['target']}: {check['measured']}")
    for warning in report.warnings(ok + ok_multi):
        print(f"caution: {warning}")
    failed = [r for r in data["runs"] + data["multi_worker"] if "error" in r]
    for run in failed:
        print(f"FAILED {run['target']} at {run['clients']}: {run['error']}")
    print(f"\nwrote {args.output} in {data['wall_seconds']} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

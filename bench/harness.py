"""One benchmark run of one target at one room size: the driver side of the loadgen.

The load generator announces each phase boundary as a JSON line ({"mark": ...}) and
waits for our answer; we sample the server's CPU and RSS from /proc right there, so
server CPU per delivery is (CPU after - CPU before) / deliveries of that phase.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import procstat
from bench.targets import BENCH, Target, free_port, start, stop

LOADGEN_JS = BENCH / "loadgen" / "loadgen.js"
LOADGEN_C = BENCH / "loadgen" / "loadgen.c"
LOADGEN_BIN = BENCH / "loadgen" / "build" / "loadgen"  # build/ is gitignored
LOADGENS = ("c", "node")


def ensure_loadgen(kind: str, log: Path) -> str:
    """Build the C load generator if it is missing or older than its source.

    Returns what ran, for the results: "C (gcc 12.2.0)" or "Node v20.20.2".
    """
    if kind == "node":
        return f"Node {_output('node', '--version')}"
    if kind != "c":
        raise ValueError(f"unknown load generator {kind!r} (one of {', '.join(LOADGENS)})")
    if not LOADGEN_BIN.exists() or LOADGEN_BIN.stat().st_mtime < LOADGEN_C.stat().st_mtime:
        LOADGEN_BIN.parent.mkdir(exist_ok=True)
        argv = ["cc", "-O2", "-Wall", "-Wextra", "-o", str(LOADGEN_BIN), str(LOADGEN_C), "-lm"]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        except FileNotFoundError:
            raise RuntimeError("the C load generator needs a C compiler (cc)") from None
        with log.open("a") as out:
            out.write(f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}")
        if done.returncode != 0:
            raise RuntimeError(f"building the C load generator failed:\n{done.stderr.strip()}")
    first = _output("cc", "--version").splitlines()[:1]
    name = "clang" if first and "clang" in first[0] else "gcc"
    return f"C ({name} {_output('cc', '-dumpfullversion', '-dumpversion')})"


def _output(*argv: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    return done.stdout.strip()


def _loadgen_argv(kind: str) -> list[str]:
    if kind == "node":
        return ["node", str(LOADGEN_JS)]
    if not LOADGEN_BIN.exists():
        raise RuntimeError(f"{LOADGEN_BIN} is missing: ensure_loadgen('c', log) builds it")
    return [str(LOADGEN_BIN)]


@dataclass(frozen=True)
class Timing:
    warmup: float
    duration: float
    steady: float
    fanout_events: int
    fanout_seconds: float
    settle: float  # seconds to wait before reading an idle RSS
    budget_ms: float = 100.0  # the loadgen's --latency-budget-ms

    def budget(self, clients: int) -> float:
        """Upper bound of one loadgen run, generous: a hung run must still end."""
        phases = self.warmup + self.duration + self.steady + self.fanout_seconds
        return 90 + clients / 50 + 2 * phases


QUICK = Timing(warmup=1, duration=2.5, steady=2.5, fanout_events=6, fanout_seconds=4, settle=0.5)
FULL = Timing(warmup=2, duration=8, steady=8, fanout_events=20, fanout_seconds=15, settle=2)


async def _drive(
    proc: asyncio.subprocess.Process, server_pid: int, clients: int, settle: float
) -> dict[str, Any]:
    assert proc.stdout is not None
    assert proc.stdin is not None
    cpu: dict[str, float] = {}
    machine: dict[str, tuple[float, float]] = {}
    rss: dict[str, int] = {}
    while True:
        line = await proc.stdout.readline()
        if not line:
            raise RuntimeError("the load generator ended without a result")
        message = json.loads(line)
        if "result" in message:
            result: dict[str, Any] = message["result"]
            break
        if "error" in message:
            raise RuntimeError(f"load generator: {message['error']}")
        name = message["mark"]
        if name in ("baseline", "idle"):
            await asyncio.sleep(settle)
            rss[name] = procstat.rss_bytes(server_pid)
        cpu[name] = procstat.cpu_seconds(server_pid)
        machine[name] = procstat.machine_busy_seconds()
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    for phase in ("saturate", "steady"):
        figures = result[phase]
        spent = cpu[f"{phase}_end"] - cpu[f"{phase}_start"]
        deliveries = figures["deliveries"]
        figures["server_cpu_s"] = round(spent, 3)
        figures["server_cpu_pct"] = round(100 * spent / figures["seconds"], 1)
        per = round(spent * 1e6 / deliveries, 2) if deliveries else None
        figures["server_cpu_us_per_delivery"] = per
        # Whatever else ran on the machine meanwhile (it is shared): busy CPU of all
        # cores minus the server and the load generator, in % of one core.
        (busy0, soft0), (busy1, soft1) = machine[f"{phase}_start"], machine[f"{phase}_end"]
        other = 100 * (busy1 - busy0) / figures["seconds"] - figures["server_cpu_pct"]
        figures["other_cpu_pct"] = round(max(0.0, other - figures["loadgen_cpu_pct"]), 1)
        figures["softirq_cpu_pct"] = round(100 * (soft1 - soft0) / figures["seconds"], 1)
    connected = max(1, result["connect"]["connected"])
    result["rss"] = {
        "baseline_mb": round(rss["baseline"] / 2**20, 1),
        "idle_mb": round(rss["idle"] / 2**20, 1),
        "per_idle_connection_kb": round((rss["idle"] - rss["baseline"]) / connected / 1024, 1),
    }
    return result


async def run_one(
    target: Target, clients: int, timing: Timing, log: Path, loadgen: str = "c"
) -> dict[str, Any]:
    """Start `target`, load it with `clients` subscribers, stop it, return the figures.

    `loadgen` is "c" (bench/loadgen/loadgen.c, built by ensure_loadgen) or "node".
    """
    with tempfile.TemporaryDirectory(prefix="townhall-bench-") as scratch:
        return await _run_in(Path(scratch), target, clients, timing, log, loadgen)


async def _run_in(
    scratch: Path, target: Target, clients: int, timing: Timing, log: Path, loadgen: str
) -> dict[str, Any]:
    port = free_port()
    server = await asyncio.to_thread(start, target, port, log, scratch)
    started = time.monotonic()
    try:
        # A setup hook may talk to the server synchronously: keep it off the event loop.
        target_args = await asyncio.to_thread(target.loadgen_args, port)
        argv = [
            *_loadgen_argv(loadgen),
            *(*target_args, "--control"),
            *("--clients", str(clients), "--warmup", str(timing.warmup)),
            *("--duration", str(timing.duration), "--steady-duration", str(timing.steady)),
            *("--fanout-events", str(timing.fanout_events)),
            *("--fanout-seconds", str(timing.fanout_seconds)),
            *("--latency-budget-ms", str(timing.budget_ms)),
        ]
        with log.open("ab") as err:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=err,
            )
            try:
                result = await asyncio.wait_for(
                    _drive(proc, server.pid, clients, timing.settle), timing.budget(clients)
                )
            finally:
                if proc.returncode is None:
                    proc.kill()
                await proc.wait()
    finally:
        await asyncio.to_thread(stop, server)
    result["target"] = target.name
    result["workers"] = target.workers
    result.setdefault("loadgen", loadgen)  # the C one reports "c" itself
    result["run_seconds"] = round(time.monotonic() - started, 1)
    return result

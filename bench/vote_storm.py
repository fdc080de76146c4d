"""Vote storm: 2,000 participants on 3 workers vote within 2 s (issue 5).

    .venv/bin/python -m bench.vote_storm [--participants 2000] [--workers 3] [--window 2]

Starts real ``townhall serve`` workers linked by Redis (a key prefix of its own, deleted
afterwards), creates a town hall through the REST API, connects the participants round
robin over the workers, opens a secret single-choice poll, and has every participant vote
once at a random moment of the window. It reports the ack latency (send -> ack, as the
client sees it) and checks from the room log that every acked ballot was counted exactly
once (one ``vote.counted`` per acked command, turnout = acked voters). Then, with
everyone still connected, it measures how late agenda, turn and poll deadlines fire
(event ``at`` minus the deadline, both from the server's clock). Prints a JSON result.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from realtime.log import Record
from realtime.server import open_log

BENCH = Path(__file__).resolve().parent
KEY = "vote-storm-organiser-key"
REDIS = "redis://127.0.0.1:6379/0"


# -- workers ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Workers:
    ports: list[int]
    procs: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def start_workers(n: int, data_dir: Path, db_url: str, bus_url: str) -> Workers:
    env = {
        **os.environ,
        "TOWNHALL_DATA_DIR": str(data_dir),
        "TOWNHALL_DATABASE_URL": db_url,
        "TOWNHALL_REDIS_URL": bus_url,
        "TOWNHALL_ORGANISER_KEY": KEY,
        "TOWNHALL_LOG_LEVEL": "warning",
    }
    ports, procs = [], []
    for _ in range(n):
        port = _free_port()
        log = (data_dir / f"worker-{port}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "townhall.cli", "serve"],
                env={**env, "TOWNHALL_PORT": str(port)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        ports.append(port)
    workers = Workers(ports, procs)
    deadline = time.monotonic() + 60
    for port, proc in zip(ports, procs, strict=True):
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                workers.stop()
                raise RuntimeError(f"worker on {port} did not start; see {data_dir}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
    return workers


# -- a lean client: 2,000 of them share one process, so events are counted, not parsed ----


@dataclass
class Voter:
    url: str
    token: str
    name: str | None
    pid: str = ""
    close_code: int | None = None
    welcome: dict[str, Any] = field(default_factory=dict)
    frames: int = 0
    ws: ClientConnection | None = None
    waiting: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    seen: dict[str, asyncio.Event] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)  # only those asked for
    keep: frozenset[str] = frozenset()
    reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.ws = await connect(
            self.url, compression=None, max_size=None, ping_interval=None, open_timeout=120
        )
        hello: dict[str, Any] = {"token": self.token}
        if self.name:
            hello["name"] = self.name
        await self.ws.send(json.dumps({"type": "hello", "data": hello}))
        welcomed: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting["welcome"] = welcomed
        self.reader = asyncio.create_task(self._read(self.ws))
        self.welcome = await asyncio.wait_for(welcomed, 120)
        if self.welcome.get("type") != "welcome":
            raise RuntimeError(f"no welcome: {self.welcome}")
        self.pid = self.welcome["you"]["participant"]

    def wait_for(self, name: str) -> asyncio.Event:
        return self.seen.setdefault(name, asyncio.Event())

    async def _read(self, ws: ClientConnection) -> None:
        try:
            await self._frames(ws)
        finally:
            # A server close (e.g. 4009 for a client too slow to read) answers every
            # command still waiting, so nothing hangs until its timeout.
            self.close_code = ws.close_code
            for future in self.waiting.values():
                if not future.done():
                    future.set_result({"type": "closed", "code": ws.close_code})
            self.waiting.clear()

    async def _frames(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                self.frames += 1
                text = frame if isinstance(frame, str) else frame.decode()
                if not any(k in text for k in ('"ack"', '"error"', '"welcome"', *self._marks())):
                    continue
                decoded = msgspec.json.decode(text)
                for message in decoded if isinstance(decoded, list) else [decoded]:
                    self._handle(message)

    def _marks(self) -> tuple[str, ...]:
        return tuple(f'"{n}"' for n in (*self.seen, *self.keep))

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "welcome" and "welcome" in self.waiting:
            self.waiting.pop("welcome").set_result(message)
        elif kind in ("ack", "error"):
            future = self.waiting.pop(str(message.get("id")), None)
            if future is not None and not future.done():
                future.set_result(message)
            elif kind == "error" and "welcome" in self.waiting:
                self.waiting.pop("welcome").set_exception(RuntimeError(str(message)))
        elif kind == "event":
            if message["name"] in self.seen:
                self.seen[message["name"]].set()
            if message["name"] in self.keep:
                self.events.append(message)

    async def command(
        self, type: str, data: dict[str, Any], id: str | None = None
    ) -> dict[str, Any]:
        assert self.ws is not None
        id = id or uuid.uuid4().hex[:12]
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[id] = future
        await self.ws.send(json.dumps({"type": type, "id": id, "data": data}))
        return await asyncio.wait_for(future, 120)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            with contextlib.suppress(BaseException):
                await self.reader


async def must(voter: Voter, type: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    reply = await voter.command(type, data or {})
    if reply["type"] != "ack":
        raise RuntimeError(f"{type} refused: {reply}")
    return reply


# -- the voters: a Node process (bench/loadgen/voters.js) ---------------------------------


class Voters:
    """The Node voters, driven by JSON lines over stdin/stdout."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, urls: list[str], token: str, count: int) -> Voters:
        if not (BENCH / "node_modules" / "ws").is_dir():
            npm = await asyncio.create_subprocess_exec(
                "npm", "ci", "--no-audit", "--no-fund", cwd=BENCH
            )
            if await npm.wait() != 0:
                raise RuntimeError("npm ci in bench/ failed")
        proc = await asyncio.create_subprocess_exec(
            *("node", str(BENCH / "loadgen" / "voters.js"), "--urls", ",".join(urls)),
            *("--token", token, "--count", str(count)),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024,  # the "done" line carries every ack
        )
        return cls(proc)

    async def send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command).encode() + b"\n")
        await self.proc.stdin.drain()

    async def read(self, key: str) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 300)
        if not line:
            raise RuntimeError(f"the Node voters exited (code {await self.proc.wait()})")
        reply: dict[str, Any] = json.loads(line)
        if key not in reply:
            raise RuntimeError(f"the Node voters said {reply!r:.500}, not {key!r}")
        return reply

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(Exception):
                await self.send({"cmd": "stop"})
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


# -- the storm --------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (from /proc), in seconds."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def storm(
    args: argparse.Namespace, ports: list[int], pids: list[int], bus_url: str
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{ports[0]}"
    body = {
        "title": "Vote storm",
        "agenda": [{"title": "Vote", "duration_s": 3600}, {"title": "Timers", "duration_s": 1}],
        "settings": {"turn_s": 1},
    }
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.post(
            f"{base}/api/townhalls", json=body, headers={"Authorization": f"Bearer {KEY}"}
        )
    response.raise_for_status()
    town = response.json()

    def token(role: str) -> str:
        return str(parse_qs(urlsplit(town["links"][role]).query)["token"][0])

    urls = [f"ws://127.0.0.1:{p}/ws" for p in ports]
    keep = frozenset({"agenda.started", "agenda.overran", "floor.granted", "turn.overran"})
    f = Voter(
        urls[0], token("facilitator"), "Facilitator", keep=keep | {"poll.opened", "poll.closed"}
    )
    await f.connect()
    await must(f, "session.start")
    items = [str(i["id"]) for i in f.welcome["snapshot"]["agenda"]["items"]]

    node = await Voters.start(urls, token("participant"), args.participants)
    try:
        return await _storm(args, f, node, urls, token("participant"), items, pids, bus_url, town)
    finally:
        await node.stop()


async def _storm(
    args: argparse.Namespace,
    f: Voter,
    node: Voters,
    urls: list[str],
    participant_token: str,
    items: list[str],
    pids: list[int],
    bus_url: str,
    town: dict[str, Any],
) -> dict[str, Any]:
    join_s = float((await node.read("joined"))["join_ms"]) / 1000
    note(f"{args.participants} participants joined in {join_s:.1f} s (Node voters)")
    # A few Python participants of its own take turns in the timer rounds afterwards.
    speakers = [
        Voter(urls[i % len(urls)], participant_token, f"Speaker {i}") for i in range(3 * len(urls))
    ]
    await asyncio.gather(*(v.connect() for v in speakers))

    options = ["North", "South", "East", "West"]
    create = {"question": "Where?", "kind": "single", "options": options, "secret": True}
    poll = (await must(f, "poll.create", create))["result"]["poll"]
    await must(f, "poll.open", {"poll": poll})
    await node.send({"cmd": "arm", "poll": poll})
    await node.read("armed")

    note("poll open everywhere; the storm starts")
    server_cpu, own_cpu, load = cpu_seconds(pids), time.process_time(), os.getloadavg()[0]
    storm_started = time.perf_counter()
    await node.send({"cmd": "go", "poll": poll, "window_s": args.window, "options": 4, "seed": 5})
    done = (await node.read("done"))["done"]
    storm_s = time.perf_counter() - storm_started
    server_cpu = cpu_seconds(pids) - server_cpu
    # The voters' CPU, plus this process's (the facilitator and speakers read the room too).
    client_cpu = float(done["cpu_s"]) + time.process_time() - own_cpu
    load = max(load, os.getloadavg()[0])
    latencies = [ms / 1000 for ms in done["latencies_ms"]]
    # Command id (unique per vote) -> voter. The log's cause of a vote is "<key>:<id>",
    # its key hiding the voter (a keyed hash), so votes are matched on the id.
    acked: dict[str, str] = done["acked"]
    refused: list[dict[str, Any]] = done["refused"]
    note(f"storm over in {storm_s:.1f} s: {len(latencies)} acked, {len(refused)} not")
    dropped: list[int] = done["close_codes"]
    turnout = None
    if f.close_code is None:
        await must(f, "poll.close", {"poll": poll})  # its event precedes its ack
        closed = [e for e in f.events if e["name"] == "poll.closed" and e["data"]["poll"] == poll]
        turnout = closed[-1]["data"]["turnout"] if closed else None

    if latencies:
        p99 = 1000 * percentile(latencies, 99)
        note(f"ack p50 {1000 * percentile(latencies, 50):.0f} ms, p99 {p99:.0f} ms")
    records = await read_log(bus_url, town["id"])
    counted = [r for r in records if r.name == "vote.counted" and r.data["poll"] == poll]
    causes: dict[str, int] = {}
    for r in counted:
        id = str(r.cause).rpartition(":")[2]
        causes[id] = causes.get(id, 0) + 1
    # Exactly once: each acked vote is in the log once, no command twice, one ballot each.
    once = all(causes.get(key) == 1 for key in acked) and set(causes.values()) <= {1}
    ballots = {str(r.data["ballot"]) for r in counted}
    once = once and len(ballots) == len(counted) and turnout in (None, len(ballots))

    try:
        timers = await measure_timers(f, items[1], speakers, args.timer_rounds)
    except Exception as exc:  # a loaded machine may drop the facilitator: say so
        timers = {"error": repr(exc)[:200]}
    frames = int(done["frames"])
    await asyncio.gather(*(v.close() for v in speakers), f.close(), return_exceptions=True)
    return {
        "participants": args.participants,
        "workers": len(urls),
        "window_s": args.window,
        "join_s": round(join_s, 1),
        "storm_s": round(storm_s, 2),
        "storm_cpu_s": {"servers": round(server_cpu, 1), "load_generator": round(client_cpu, 1)},
        "server_cpu_ms_per_vote": round(1000 * server_cpu / max(1, len(acked)), 2),
        "machine_load_avg_1min": round(load, 1),
        "acked": len(acked),
        "refused": len(refused),
        "refusals": sorted({str(r.get("code")) for r in refused}),
        "disconnected": len(dropped),
        "close_codes": sorted({str(code) for code in dropped}),
        "counted_events": len(counted),
        "turnout": turnout,
        "distinct_ballots": len(ballots),
        "acked_ballots_counted_once": once,
        "counted_but_ack_lost": len(counted) - len(acked),
        "ack_ms": {
            "p50": round(1000 * percentile(latencies, 50), 1),
            "p90": round(1000 * percentile(latencies, 90), 1),
            "p99": round(1000 * percentile(latencies, 99), 1),
            "max": round(1000 * max(latencies), 1),
        }
        if latencies
        else None,
        "frames_received": frames,
        "timer_delay_ms": timers,
    }


async def measure_timers(
    f: Voter, timed_item: str, speakers: list[Voter], rounds: int
) -> dict[str, Any]:
    """Agenda, turn and poll deadlines with everyone connected: event ``at`` - deadline."""
    delays: dict[str, list[float]] = {"agenda": [], "turn": [], "poll": []}
    f.events.clear()
    # The second agenda item lasts 1 s; each round adds a 1 s turn and a 1 s poll.
    await must(f, "agenda.start", {"item": timed_item})
    for n in range(rounds):
        note(f"timer round {n + 1}")
        speaker = speakers[n % len(speakers)]
        await must(speaker, "hand.raise", {"kind": "speak"})
        await must(f, "floor.grant", {"participant": speaker.pid})
        poll = (
            await must(
                f,
                "poll.create",
                {"question": f"Timer {n}?", "kind": "yes_no_abstain", "duration_s": 1},
            )
        )["result"]["poll"]
        await must(f, "poll.open", {"poll": poll})
        await asyncio.sleep(1.6)
        await must(f, "floor.end")
    await asyncio.sleep(0.5)
    deadline_of: dict[tuple[str, str], str] = {}
    for e in f.events:
        data = e["data"]
        if e["name"] == "agenda.started":
            deadline_of[("agenda", data["item"])] = data["deadline"]
        elif e["name"] == "floor.granted":
            deadline_of[("turn", str(data["turn"]))] = data["deadline"]
        elif e["name"] == "poll.opened" and data.get("closes"):
            deadline_of[("poll", data["id"] if "id" in data else data["poll"])] = data["closes"]
    for e in f.events:
        data = e["data"]
        ref = {
            "agenda.overran": ("agenda", str(data.get("item"))),
            "turn.overran": ("turn", str(data.get("turn"))),
            "poll.closed": ("poll", str(data.get("poll"))),
        }.get(e["name"])
        if ref is not None and ref in deadline_of:
            late = (_at(e["at"]) - _at(deadline_of[ref])).total_seconds()
            delays[ref[0]].append(1000 * late)
    return {
        kind: {"n": len(v), "max": round(max(v), 1), "mean": round(sum(v) / len(v), 1)}
        for kind, v in delays.items()
        if v
    }


async def read_log(bus_url: str, room: str) -> list[Record]:
    log = open_log(bus_url)
    await log.start()
    try:
        return await log.read(room, 0)
    finally:
        # Bounded: a close that misses its cancellation must not hang the run.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(log.close(), 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--timer-rounds", type=int, default=5)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()
    prefix = f"vote-storm-{uuid.uuid4().hex[:8]}:"
    bus_url = f"{REDIS}?prefix={prefix}"
    with tempfile.TemporaryDirectory(prefix="vote-storm-") as tmp:
        data = Path(tmp)
        db_url = args.database_url or f"sqlite+aiosqlite:///{data / 'townhall.db'}"
        workers = start_workers(args.workers, data, db_url, bus_url)
        try:
            pids = [p.pid for p in workers.procs]
            result = asyncio.run(storm(args, workers.ports, pids, bus_url))
        finally:
            workers.stop()
            client = redis.Redis.from_url(REDIS)
            for key in client.scan_iter(match=f"{prefix}*", count=1000):
                client.delete(key)
            client.close()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

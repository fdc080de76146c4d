"""The servers the benchmark compares, and how to start each one on a free port.

A target is a command line, an environment and the load generator options that speak
its protocol. A Townhall target runs any ASGI app under uvicorn from the project's venv
(`module:attr`, or a factory) and speaks SPEC §3; PRESETS name the three we use: `hub`
(realtime/ with the toy domain of its tests), `app` (the real server) and `toy-hub`
(bench/servers/toy_hub.py, which needs nothing of ours).
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

from realtime.config import Limits
from realtime.server import UVICORN_WS_OPTIONS

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BENCH_VENV = BENCH / ".venv-bench"
PROJECT_PYTHON = Path(sys.executable)

# A setup hook gets the server's base URL (http://127.0.0.1:PORT) and returns what the
# Townhall clients need: "token", optionally "pub_token" (the publisher's, e.g. a
# facilitator link) and "path" (default "/ws").
Setup = Callable[[str], Mapping[str, str]]


@dataclass(frozen=True)
class TownhallOptions:
    app: str = "bench.servers.toy_hub:app"
    factory: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    token: str = "bench"
    pub_token: str = ""
    command: str = "statement.post"
    redis_env: str = "TOYHUB_REDIS_URL"
    # How the Redis URL is written into redis_env; {prefix} isolates a run's keys.
    redis_template: str = "{url}"
    setup: str = ""
    label: str = ""  # shown in the target's name; the app path when empty
    publishers: int = 1  # connections the publishing is spread over (rate limits)


# The hub of realtime/ with the toy domain of its tests: observers subscribe (no join
# events, like a large audience), a facilitator publishes chat.say; rate limits lifted
# because one publisher stands for a whole room of participants.
_LIFTED = {"rate": 1e9, "burst": 10**9, "abuse": 10**9, "max_connections": 60000}
PRESETS: dict[str, TownhallOptions] = {
    "hub": TownhallOptions(
        app="tests.realtime.toyapp:create_app",
        factory=True,
        env={"TOY_LOG_URL": "memory://", "TOY_CONFIG": json.dumps(_LIFTED)},
        token="observer@main",
        pub_token="facilitator@main",
        command="chat.say",
        redis_env="TOY_LOG_URL",
        redis_template="{url}?prefix={prefix}:",
        label="realtime hub, toy domain",
    ),
    "toy-hub": TownhallOptions(label="bench toy_hub"),
    # The real server: SQLite in a fresh directory per run, a town hall created and
    # started by bench/townhall_setup.py; 50 facilitators publish statements, with the
    # per-connection rate limit (20 messages/s by default) raised to 1,000.
    "app": TownhallOptions(
        app="townhall.app:create_app",
        factory=True,
        env={
            "TOWNHALL_DATA_DIR": "{scratch}",
            "TOWNHALL_ORGANISER_KEY": "townhall-bench-organiser",
            # Each publisher stands for many speakers: at 500 clients the default
            # 20 messages/s per connection, not the server, capped the rate.
            "TOWNHALL_RATE_PER_S": "1000",
            "TOWNHALL_RATE_BURST": "2000",
            # 20,000 participants plus the publishers (the default cap is 20,000).
            "TOWNHALL_MAX_CONNECTIONS": "60000",
            # Every load generator client comes from 127.0.0.1: the limits on hellos and
            # new participants per address (docs/security.md) would pace the joins.
            "TOWNHALL_HELLO_RATE_PER_S": "100000",
            "TOWNHALL_JOIN_RATE_PER_MIN": "6000000",
            "TOWNHALL_JOIN_BURST": "100000",
            "TOWNHALL_LINK_JOIN_RATE_PER_MIN": "6000000",
        },
        command="statement.post",
        redis_env="TOWNHALL_REDIS_URL",
        redis_template="{url}?prefix={prefix}:",
        setup="bench.townhall_setup:live_townhall",
        label="townhall app",
        publishers=50,
    ),
}
# The real server with every subscriber a participant joining by the participant link
# (each hello a new person: a join event, a name in the people list), as a meeting
# fills up; the `app` preset's subscribers are observers.
PRESETS["participants"] = replace(
    PRESETS["app"],
    setup="bench.townhall_setup:live_townhall_participants",
    label="townhall app, participants",
)
PRESETS["statements"] = replace(
    PRESETS["app"],
    setup="bench.townhall_setup:live_townhall_statements",
    label="townhall app, participants, 3,000 statements",
)


@dataclass(frozen=True)
class Target:
    name: str
    argv: list[str]
    env: Mapping[str, str]
    protocol: str  # the load generator's --target: "townhall" or "socketio"
    workers: int = 1
    townhall: TownhallOptions | None = None

    def loadgen_args(self, port: int) -> list[str]:
        if self.protocol == "socketio":
            return ["--target", "socketio", "--url", f"http://127.0.0.1:{port}"]
        opts = self.townhall or TownhallOptions()
        setup = _load_setup(opts.setup)(f"http://127.0.0.1:{port}") if opts.setup else {}
        token = setup.get("token", opts.token)
        path = setup.get("path", "/ws")
        return [
            *("--target", "townhall", "--url", f"ws://127.0.0.1:{port}{path}"),
            *("--token", token, "--pub-token", setup.get("pub_token", opts.pub_token or token)),
            *("--command", opts.command, "--publishers", str(opts.publishers)),
            # The hub answers "busy" past max_inflight queued commands on one connection:
            # the saturation window stays within what the publishers may have in flight.
            *("--max-window", str(min(4096, Limits().max_inflight * opts.publishers))),
        ]


def _load_setup(spec: str) -> Setup:
    module, _, attr = spec.partition(":")
    return cast("Setup", getattr(importlib.import_module(module), attr))


def _uvicorn(
    python: Path, app: str, workers: int, *extra: str, ws: str = "websockets-sansio"
) -> list[str]:
    # No compression and quiet logs: the same wire and the same I/O for every target.
    # Townhall runs on its own protocol class (uvicorn's sans-I/O one plus pre-encoded
    # frames, realtime.transport), as `townhall serve` does.
    return [
        *(str(python), "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", "{port}"),
        *("--ws", ws, "--ws-max-size", "65536"),
        *("--ws-per-message-deflate", "false", "--log-level", "warning", "--no-access-log"),
        *("--backlog", "4096", "--workers", str(workers), *extra),
    ]


def node_socketio() -> Target:
    argv = ["node", str(BENCH / "servers" / "sio_node.js"), "--port", "{port}"]
    return Target("node-socketio", argv, {}, "socketio")


def node_ws() -> Target:
    """Node `ws` with a hello/welcome and a broadcast loop (bench/servers/ws_node.js)."""
    argv = ["node", str(BENCH / "servers" / "ws_node.js"), "--port", "{port}"]
    return Target("node-ws", argv, {}, "townhall")


def python_socketio(workers: int = 1, redis_url: str = "") -> Target:
    env = {"BENCH_REDIS_URL": redis_url} if redis_url else {}
    argv = _uvicorn(BENCH_VENV / "bin" / "python", "bench.servers.sio_python:app", workers)
    name = "python-socketio" if workers == 1 else f"python-socketio x{workers}+redis"
    return Target(name, argv, env, "socketio", workers)


def townhall(
    opts: TownhallOptions, workers: int = 1, redis_url: str = "", name: str = "", prefix: str = ""
) -> Target:
    env = dict(opts.env)
    if redis_url:
        env[opts.redis_env] = opts.redis_template.format(url=redis_url, prefix=prefix)
    extra = ["--factory"] if opts.factory else []
    argv = _uvicorn(PROJECT_PYTHON, opts.app, workers, *extra, ws=UVICORN_WS_OPTIONS["ws"])
    label = opts.label or opts.app
    if not name:
        name = f"townhall[{label}]" if workers == 1 else f"townhall[{label}] x{workers}+redis"
    return Target(name, argv, env, "townhall", workers, opts)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(target: Target, port: int, log: Path, scratch: Path) -> subprocess.Popen[bytes]:
    """Start the target and return once its port accepts connections.

    `{scratch}` in the target's environment becomes a directory of this run only.
    """
    argv = [part.replace("{port}", str(port)) for part in target.argv]
    own = {key: value.replace("{scratch}", str(scratch)) for key, value in target.env.items()}
    env = {**os.environ, **own, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{target.name} exited with {proc.returncode}; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            time.sleep(0.1)
            continue
        time.sleep(0.3 if target.workers == 1 else 1.5)  # let every worker reach accept()
        return proc
    stop(proc)
    raise RuntimeError(f"{target.name} did not listen on {port} within 30 s; see {log}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def ensure_installed(log: Path) -> None:
    """Install the comparison servers' dependencies, only for the benchmark."""
    with log.open("ab") as out:
        if not (BENCH / "node_modules" / "socket.io").is_dir():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=BENCH,
                check=True,
                stdout=out,
                stderr=out,
                timeout=300,
            )
        if not (BENCH_VENV / "bin" / "python").exists():
            subprocess.run(
                [str(PROJECT_PYTHON), "-m", "venv", str(BENCH_VENV)],
                check=True,
                stdout=out,
                stderr=out,
                timeout=120,
            )
        pip = [str(BENCH_VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        probe = [str(BENCH_VENV / "bin" / "python"), "-c", "import socketio, uvicorn, redis"]
        if subprocess.run(probe, stdout=out, stderr=out, check=False).returncode != 0:
            subprocess.run(
                [*pip, "-r", str(BENCH / "requirements.txt")],
                check=True,
                stdout=out,
                stderr=out,
                timeout=600,
            )

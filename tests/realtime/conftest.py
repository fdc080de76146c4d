"""Servers for the hub tests: the toy app under real uvicorn, in-process or as workers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import uvicorn

from realtime.server import UVICORN_WS_OPTIONS, Realtime, open_log
from tests.realtime.toy import ToyState
from tests.realtime.toyapp import make_app, make_realtime

ROOT = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/0"


@dataclass
class Served:
    url: str
    rt: Realtime[ToyState]
    server: uvicorn.Server


ServeFn = Callable[..., Awaitable[Served]]


@pytest.fixture
async def serve() -> AsyncIterator[ServeFn]:
    """Start the toy app in this event loop under uvicorn; options as in TOY_CONFIG."""
    running: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []

    async def start(log_url: str = "memory://", **options: Any) -> Served:
        options.setdefault("presence_interval", 3600.0)  # presence events only when asked
        rt = make_realtime(open_log(log_url), options)
        ws_options = dict(UVICORN_WS_OPTIONS)
        for key in ("ping_interval", "ping_timeout", "ws"):
            if key in options:
                ws_options["ws" if key == "ws" else f"ws_{key}"] = options[key]
        config = uvicorn.Config(make_app(rt), log_level="warning", lifespan="on", **ws_options)
        server = uvicorn.Server(config)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        task = asyncio.create_task(server.serve(sockets=[sock]))
        running.append((server, task))
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started
        return Served(f"ws://127.0.0.1:{port}/ws", rt, server)

    yield start
    for server, _ in running:
        server.should_exit = True
    for _, task in running:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 15)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Workers:
    """Toy app worker processes sharing one Redis key prefix."""

    prefix: str
    options: dict[str, Any]
    procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    redis: str = REDIS  # may carry a query of its own (e.g. ``?op_timeout=1``)

    @property
    def log_url(self) -> str:
        joiner = "&" if "?" in self.redis else "?"
        return f"{self.redis}{joiner}prefix={self.prefix}"

    def start(self, n: int) -> list[str]:
        env = dict(os.environ, TOY_LOG_URL=self.log_url, TOY_CONFIG=json.dumps(self.options))
        ports = [free_port() for _ in range(n)]
        for port in ports:
            self.procs[port] = subprocess.Popen(
                [sys.executable, "-m", "tests.realtime.toyapp", str(port)], cwd=ROOT, env=env
            )
        for port in ports:
            _wait_port(port, self.procs[port])
        return [f"ws://127.0.0.1:{port}/ws" for port in ports]

    def freeze(self, url: str) -> None:
        """SIGSTOP: the worker keeps its sockets open but answers nothing more."""
        self.procs[_port(url)].send_signal(signal.SIGSTOP)

    def kill(self, url: str) -> None:
        proc = self.procs.pop(_port(url))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.procs.clear()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        assert proc.poll() is None, "worker exited during startup"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.1):
            return
        import time

        time.sleep(0.05)
    raise AssertionError(f"worker on port {port} did not start")


@pytest.fixture
def workers() -> Iterator[Callable[..., Workers]]:
    """Factory of worker groups; each group gets its own Redis prefix, deleted afterwards."""
    groups: list[Workers] = []

    def make(**options: Any) -> Workers:
        group = Workers(f"test-{uuid.uuid4().hex[:10]}:", options)
        groups.append(group)
        return group

    yield make
    client = redis.Redis.from_url(REDIS)
    try:
        for group in groups:
            group.stop()
            keys = list(client.scan_iter(match=f"{group.prefix}*", count=1000))
            if keys:
                client.delete(*keys)
    finally:
        client.close()

"""Real services for tests: Redis, PostgreSQL, Chromium, and worker processes.

Every run isolates itself (a Redis key prefix, a PostgreSQL database per test), so
runs never collide. With ``CI=true`` a missing service fails the run; elsewhere the
tests that need it are skipped with the reason shown in the summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import pytest

REDIS_HOST = os.environ.get("TOWNHALL_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("TOWNHALL_TEST_REDIS_PORT", "6379"))
PG_DSN = os.environ.get("TOWNHALL_TEST_PG", "postgres@127.0.0.1:5432")
CHROMIUM = os.environ.get("TOWNHALL_TEST_CHROMIUM", "/usr/bin/chromium")
RUN_ID = uuid.uuid4().hex[:10]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(service: str, why: str) -> None:
    """Fail in CI, skip elsewhere: a missing service is never a silent pass."""
    message = f"{service} is not available ({why}); see DEVELOPERS.md to start it"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"postgresql://{PG_DSN}/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_pg_database() -> str:
    name = f"th_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    return name


def drop_pg_database(name: str) -> None:
    asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def pg_url(name: str) -> str:
    return f"postgresql+asyncpg://{PG_DSN}/{name}"


def flush_redis_prefix(prefix: str) -> int:
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        return len(keys)
    finally:
        client.close()


@dataclass
class Worker:
    """One real ``townhall serve`` process."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def kill(self) -> None:
        """``kill -9``: no shutdown hooks, no flushing."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class PortTaken(Exception):
    """The worker's port answered for another process (parallel runs share 127.0.0.1)."""


def _ours(pid: int, root: int) -> bool:
    if pid == root:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return int(stat.rpartition(")")[2].split()[1]) == root  # the parent's pid


@dataclass
class WorkerPool:
    """Starts real worker processes on free ports and stops them all at the end."""

    base_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)

    def start(self, count: int = 1, env: Mapping[str, str] | None = None) -> list[Worker]:
        started = [self._spawn(env or {}) for _ in range(count)]
        for i, worker in enumerate(started):
            for _ in range(3):
                try:
                    self.wait_healthy(worker)
                    break
                except PortTaken:
                    # Another process of a parallel run took the free port between our
                    # look and the worker's bind: a new port, a new worker.
                    worker.stop()
                    self.workers.remove(worker)
                    worker = started[i] = self._spawn(env or {})
            else:
                raise RuntimeError(
                    f"no free port for a worker; last log:\n{worker.log.read_text()}"
                )
        return started

    def _spawn(self, extra: Mapping[str, str]) -> Worker:
        port = free_port()
        log = self.base_dir / f"worker-{port}.log"
        env = {**os.environ, **self.env, **extra, "TOWNHALL_PORT": str(port)}
        env.setdefault("TOWNHALL_DATA_DIR", str(self.base_dir / "data"))
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "townhall.cli", "serve"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(port=port, process=process, log=log)
        self.workers.append(worker)
        return worker

    def wait_healthy(self, worker: Worker, within_s: float = 120.0) -> None:
        # A bounded wait so a broken server fails the test instead of hanging it. Generous:
        # on this shared 2-core machine under load (load average 18) a start took 38 s.
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            if worker.process.poll() is not None:
                log = worker.log.read_text()
                if "address already in use" in log.lower():
                    raise PortTaken(worker.port)
                raise RuntimeError(f"worker exited early:\n{log}")
            with contextlib.suppress(httpx.HTTPError, ValueError):
                answer = httpx.get(f"{worker.url}/health", timeout=1)
                if answer.status_code == 200:
                    # /health names the process that answered: ours, or with --workers
                    # one of its children; anything else is another test's server.
                    if _ours(int(answer.json().get("pid", 0)), worker.process.pid):
                        return
                    raise PortTaken(worker.port)
            time.sleep(0.1)
        raise RuntimeError(f"worker did not answer /health:\n{worker.log.read_text()}")

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()


def chromium_path() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    return shutil.which("chromium")


def redis_available() -> bool:
    return port_open(REDIS_HOST, REDIS_PORT)


def pool(base_dir: Path, env: Mapping[str, str] | None = None) -> Iterator[WorkerPool]:
    workers = WorkerPool(base_dir=base_dir, env=dict(env or {}))
    try:
        yield workers
    finally:
        workers.stop_all()


def _cluster_ports() -> tuple[int, int]:
    """A client port and a cluster-bus port, both free (the bus defaults to port + 10000,
    which a high free port would push past 65535)."""
    return free_port(), free_port()


@dataclass
class RedisCluster:
    """A real Redis Cluster of three masters (no replicas) from Debian's redis-server, on
    private ports in ``directory``; ``stop()`` ends the nodes."""

    directory: Path
    nodes: list[tuple[int, subprocess.Popen[bytes]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The log URL: any node seeds the client, which learns the rest."""
        return f"redis+cluster://127.0.0.1:{self.nodes[0][0]}/0"

    def start(self, masters: int = 3) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            missing("redis-server", "Redis Cluster tests start their own nodes")
        assert binary is not None
        for _ in range(masters):
            port, bus = _cluster_ports()
            home = self.directory / str(port)
            home.mkdir(parents=True)
            process = subprocess.Popen(
                [binary, "--port", str(port), "--cluster-port", str(bus),
                 "--bind", "127.0.0.1", "--dir", str(home), "--cluster-enabled", "yes",
                 "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
                 "--appendonly", "no", "--save", ""],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            self.nodes.append((port, process))
        for port, process in self.nodes:
            self._wait(partial(port_open, "127.0.0.1", port), f"node {port} to listen")
            assert process.poll() is None, f"redis-server on {port} exited"
        addresses = [f"127.0.0.1:{port}" for port, _ in self.nodes]
        made = subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "0",
             "--cluster-yes"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert made.returncode == 0, made.stdout + made.stderr
        for port, _ in self.nodes:
            self._wait(partial(self._ok, port), f"node {port} to see the cluster ok")

    @staticmethod
    def _ok(port: int) -> bool:
        info = subprocess.run(
            ["redis-cli", "-p", str(port), "cluster", "info"], capture_output=True, text=True
        ).stdout
        return "cluster_state:ok" in info and "cluster_slots_assigned:16384" in info

    @staticmethod
    def _wait(check: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 60  # bounded: a cluster that never forms fails
        while not check():
            if time.monotonic() > deadline:
                raise RuntimeError(f"Redis Cluster: waited too long for {what}")
            time.sleep(0.1)

    def stop(self) -> None:
        for _, process in self.nodes:
            if process.poll() is None:
                process.kill()
                process.wait()
        self.nodes.clear()

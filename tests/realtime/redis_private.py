"""A PRIVATE redis-server for fault tests: killed and restarted at will.

The shared server at 6379 is used by other test runs, so it is never restarted: a test
that needs a Redis outage starts its own ``redis-server`` on a free port, in its own
directory, with ``appendfsync always`` (every acknowledged write is on disk before the
reply), kills it with SIGKILL and starts it again on the same port and directory, where
it replays its AOF.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.services import free_port

__all__ = ["PrivateRedis"]


class PrivateRedis:
    def __init__(self, directory: Path, prefix: str = "private:", *, aof: bool = True) -> None:
        """``aof=False``: no persistence at all, as a misconfigured production Redis: a
        restart starts empty."""
        self.port = free_port()
        self.directory = directory
        self.prefix = prefix
        self.aof = aof
        self.process: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        """``redis://127.0.0.1:<port>/0``, without any query."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def url(self) -> str:
        """The room log URL under this server's prefix (append ``&...`` for more)."""
        return f"{self.address}?prefix={self.prefix}"

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is not on PATH"
        self.process = await asyncio.create_subprocess_exec(
            binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)),
            *("--appendonly", "yes" if self.aof else "no", "--appendfsync", "always"),
            *("--save", ""),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = Redis(port=self.port)
        try:
            for _ in range(500):  # up to ~10 s: starting and replaying the AOF
                with contextlib.suppress(RedisConnectionError):
                    if await client.ping():
                        return
                await asyncio.sleep(0.02)
            raise AssertionError("the private redis-server did not start")
        finally:
            await client.aclose()

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no final save; what is acknowledged is in the AOF."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

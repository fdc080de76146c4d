"""A Python client of the hub, for tests, benchmarks and bots.

    client = Client("ws://127.0.0.1:8000/ws", token)
    welcome = await client.connect()
    ack = await client.request("hand.raise", {"kind": "speak"})
    event = await client.next_event()

One background task reads every frame (so server pings are always answered) and keeps
``seq``/``epoch``; ``reconnect()`` resumes from them with the resume token and resends
every command not yet acked, with its original id, so it is applied once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

__all__ = ["Client", "ClientError", "Disconnected"]

_ids = itertools.count(1)


class ClientError(Exception):
    """An ``error`` message answering one of our commands (or the hello)."""

    def __init__(self, code: str, message: str, id: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.id = id


class Disconnected(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


@dataclass
class _Pending:
    type: str
    data: dict[str, Any]
    future: asyncio.Future[dict[str, Any]] = field(repr=False)


class Client:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        name: str | None = None,
        origin: str | None = None,
        keep_history: bool = True,
        **connect_options: Any,
    ) -> None:
        """``connect_options`` go to ``websockets.connect`` (``ssl=`` a context for
        ``wss://``, ``local_addr=`` ...)."""
        self.connect_options = connect_options
        self.url = url
        self.token = token
        self.name = name
        self.origin = origin
        self.epoch: str | None = None
        self.seq = 0
        self.welcome: dict[str, Any] = {}
        self.resume_token: str | None = None
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.keep_history = keep_history
        # with keep_history, every event in arrival order, also queued for next_event()
        self.history: list[dict[str, Any]] = []
        self.trace: list[tuple[int, str | None]] = []  # (seq, cause) of every event: cheap
        self.gaps = 0  # events whose seq was not the next one (must stay 0)
        self.resyncs = 0
        self.errors: list[dict[str, Any]] = []  # errors without a pending command
        self.pending: dict[str, _Pending] = {}
        self.close_code: int | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._welcomed: asyncio.Future[dict[str, Any]] | None = None
        self._closed = asyncio.Event()

    async def connect(self, url: str | None = None, *, resume: bool = False) -> dict[str, Any]:
        """Open the socket, say hello (resuming if asked) and wait for the welcome."""
        await self._drop()
        self.url = url or self.url
        origin = Origin(self.origin) if self.origin else None
        self._ws = await connect(
            self.url,
            origin=origin,
            compression=None,
            max_size=None,
            ping_interval=None,
            **self.connect_options,
        )
        self._closed = asyncio.Event()
        self.close_code = None
        self._welcomed = asyncio.get_running_loop().create_future()
        hello: dict[str, Any] = {"token": self.token}
        if self.name is not None:
            hello["name"] = self.name
        if resume and self.epoch is not None:
            hello["token"] = self.resume_token or self.token
            hello["resume"] = {"epoch": self.epoch, "seq": self.seq}
        self._reader = asyncio.create_task(self._read(self._ws, self._welcomed))
        await self._ws.send(msgspec.json.encode({"type": "hello", "data": hello}).decode())
        welcome = await self._welcomed
        for id, pending in list(self.pending.items()):
            await self._write(pending.type, id, pending.data)
        return welcome

    async def reconnect(self, url: str | None = None) -> dict[str, Any]:
        return await self.connect(url, resume=True)

    def send(
        self, type: str, data: dict[str, Any] | None = None, id: str | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        """Send a command; the future resolves with its ack or fails with ClientError."""
        id = id or f"c{next(_ids)}"
        future = asyncio.get_running_loop().create_future()
        self.pending[id] = _Pending(type, data or {}, future)
        task = asyncio.ensure_future(self._write(type, id, data or {}))
        task.add_done_callback(_ignore)
        return future

    async def request(
        self, type: str, data: dict[str, Any] | None = None, *, within: float = 30.0
    ) -> dict[str, Any]:
        """Send a command and wait for its ack; raises Disconnected if the socket closes."""
        future = self.send(type, data)
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            waiters: set[asyncio.Future[Any]] = {future, closed}
            done, _ = await asyncio.wait(
                waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            closed.cancel()
        if future in done:
            return future.result()
        if closed in done:
            raise Disconnected(self.close_code, "")
        raise TimeoutError(type)

    async def send_raw(self, frame: str | bytes) -> None:
        """Send any frame as is (tests of bad input)."""
        assert self._ws is not None
        await self._ws.send(frame)

    async def iter_events(self) -> AsyncIterator[dict[str, Any]]:
        """Every event as it arrives (with ``keep_history``), across reconnects."""
        while True:
            yield await self.events.get()

    async def next_event(self, within: float = 10.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.events.get(), within)

    async def wait_closed(self, within: float = 10.0) -> int | None:
        await asyncio.wait_for(self._closed.wait(), within)
        return self.close_code

    async def close(self) -> None:
        await self._drop()

    async def _write(self, type: str, id: str, data: dict[str, Any]) -> None:
        ws = self._ws
        if ws is None or self._closed.is_set():
            return  # resent by the next reconnect
        with contextlib.suppress(ConnectionClosed):
            await ws.send(msgspec.json.encode({"type": type, "id": id, "data": data}).decode())

    async def _drop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(BaseException):
                await self._reader
        self._ws = None
        self._reader = None

    async def _read(self, ws: ClientConnection, welcomed: asyncio.Future[dict[str, Any]]) -> None:
        try:
            async for frame in ws:
                decoded = msgspec.json.decode(frame)
                for message in decoded if isinstance(decoded, list) else (decoded,):
                    self._handle(message, welcomed)
        except ConnectionClosed:
            pass
        finally:
            self.close_code = ws.close_code
            self._closed.set()
            if not welcomed.done():
                welcomed.set_exception(Disconnected(ws.close_code, ws.close_reason or ""))

    def _handle(self, message: dict[str, Any], welcomed: asyncio.Future[dict[str, Any]]) -> None:
        kind = message.get("type")
        if kind == "event":
            seq = message["seq"]
            if seq != self.seq + 1:
                self.gaps += 1
            self.seq = max(self.seq, seq)
            self.trace.append((seq, message.get("cause")))
            if self.keep_history:
                self.history.append(message)
                self.events.put_nowait(message)
        elif kind == "ack":
            pending = self.pending.pop(message["id"], None)
            if pending is not None and not pending.future.done():
                pending.future.set_result(message)
        elif kind == "error":
            pending = self.pending.pop(message.get("id") or "", None)
            error = ClientError(message["code"], message["message"], message.get("id"))
            if pending is not None and not pending.future.done():
                pending.future.set_exception(error)
            elif not welcomed.done():
                welcomed.set_exception(error)
            else:
                self.errors.append(message)
        elif kind == "welcome":
            if not message.get("resumed"):
                self.seq = message["seq"]
            self.epoch = message["epoch"]
            self.welcome = message
            self.resume_token = message.get("resume_token") or self.resume_token
            if not welcomed.done():
                welcomed.set_result(message)
        elif kind == "resync":
            self.resyncs += 1


def _ignore(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()

"""The toy domain served by the real hub, as a Starlette app and as a uvicorn worker.

Worker processes for the multi-worker tests run ``python -m tests.realtime.toyapp PORT``
with ``TOY_LOG_URL`` (``memory://`` or ``redis://...?prefix=...``) and ``TOY_CONFIG``
(JSON: ``Limits`` fields, plus ``origins``, ``window``, ``presence_interval``,
``ping_interval``, ``ping_timeout``).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from realtime.config import Limits, RealtimeConfig
from realtime.log import RoomLog
from realtime.server import UVICORN_WS_OPTIONS, Realtime, SocketFirst, open_log
from tests.realtime.toy import ToyDomain, ToyState, authenticate


def make_config(options: dict[str, Any]) -> RealtimeConfig:
    limit_fields = set(Limits.__dataclass_fields__)
    limits = Limits(**{k: v for k, v in options.items() if k in limit_fields})
    return RealtimeConfig(
        origins=tuple(options.get("origins", ())),
        limits=limits,
        window=int(options.get("window", 5000)),
        presence_interval=float(options.get("presence_interval", 1.0)),
        flush_interval=float(options.get("flush_interval", RealtimeConfig.flush_interval)),
    )


def make_realtime(log: RoomLog, options: dict[str, Any]) -> Realtime[ToyState]:
    rt = Realtime(log, ToyDomain(), authenticate, make_config(options))

    async def presence(room: str, totals: dict[str, int]) -> None:
        # The toy records every change of the room's totals as an event.
        await rt.server_command(room, "presence.update", {"counts": totals})

    rt.on_presence(presence)
    return rt


def make_app(rt: Realtime[ToyState]) -> SocketFirst:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await rt.start()
        try:
            yield
        finally:
            await rt.close()

    async def health(request: Request) -> JSONResponse:
        # as townhall's /health: 503 "degraded" while the room log is failing
        report = rt.health()
        ok = bool(report["log"].get("ok", True))
        body = {"status": "ok" if ok else "degraded", "realtime": report}
        return JSONResponse(body, status_code=200 if ok else 503)

    return SocketFirst(Starlette(routes=[Route("/health", health)], lifespan=lifespan), "/ws", rt)


def _options() -> dict[str, Any]:
    options: dict[str, Any] = json.loads(os.environ.get("TOY_CONFIG", "{}"))
    return options


def create_app() -> SocketFirst:
    log = open_log(os.environ.get("TOY_LOG_URL", "memory://"))
    return make_app(make_realtime(log, _options()))


def main() -> None:
    options = _options()
    ws_options = dict(UVICORN_WS_OPTIONS)
    for key in ("ping_interval", "ping_timeout"):
        if key in options:
            ws_options[f"ws_{key}"] = options[key]
    if "ws" in options:
        ws_options["ws"] = options["ws"]
    uvicorn.run(
        create_app(),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        lifespan="on",
        **ws_options,
    )


if __name__ == "__main__":
    main()

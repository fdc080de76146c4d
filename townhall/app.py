"""The Starlette application: the composition root of the server."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from facilitation.room import RoomState
from realtime.config import Limits, RealtimeConfig
from realtime.server import Realtime, SocketFirst, open_log
from townhall import access, rooms
from townhall.api import api_routes
from townhall.api.context import ApiDeps
from townhall.archiving import Archiver
from townhall.auth import LinkAuthenticator
from townhall.ballots import open_vault
from townhall.db import SessionFactory, create_engine, session_factory
from townhall.db.instance import database_id
from townhall.domain import TownhallDomain
from townhall.joins import JoinLimits, JoinRates
from townhall.live import LiveRooms
from townhall.logstore import SqlStore
from townhall.logwriter import SqliteWriter, sqlite_path
from townhall.lost import LostRooms
from townhall.metrics import default_metrics, forget_dead_workers
from townhall.migrating import check_schema, migrate_exclusively
from townhall.settings import Settings, load_settings
from townhall.source import source_routes
from townhall.static import API_HEADERS, FrontendFiles, page_policy
from townhall.stream import frame_origin
from townhall.tokens import load_server_secret

VERSION = version("townhall")


def frontend_dir() -> Path:
    return Path(str(files("frontend")))  # shipped as package data beside the code


def _database_kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


@dataclass
class Services:
    """What one worker runs, built in the lifespan and torn down with it."""

    sessions: SessionFactory
    realtime: Realtime[RoomState]
    live: LiveRooms
    database_id: str | None = None
    lost: LostRooms | None = None
    archiver: Archiver | None = None
    secret: bytes = b""


@dataclass
class _FrameCache:
    at: float = float("-inf")
    origins: tuple[str, ...] = ()


async def _start_services(
    settings: Settings, url: str, stack: contextlib.AsyncExitStack
) -> Services:
    """Build and start what one worker runs; ``stack`` closes each part, last first."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.migrate:
        await migrate_exclusively(url, settings.data_dir)
    else:  # a rolling upgrade: `townhall migrate` ran first; never change the schema
        await check_schema(url)
    engine = create_engine(url)
    stack.push_async_callback(engine.dispose)
    sessions = session_factory(engine)
    secret = load_server_secret(settings.secret_key, settings.data_dir)
    vault = open_vault(settings.redis_url if settings.distributed else None, settings.data_dir)
    stack.push_async_callback(vault.close)
    store = None
    if not settings.distributed:
        path = sqlite_path(url)
        writer = SqliteWriter(path) if path is not None else None
        store = SqlStore(sessions, writer, vault)
        stack.push_async_callback(store.close)
    log = open_log(settings.bus_url, store=store)
    limits = Limits(
        rate=settings.rate_per_s,
        burst=settings.rate_burst,
        max_connections=settings.max_connections,
    )
    authenticator = LinkAuthenticator(sessions, secret, settings.log_retention_s, vault)
    authenticator.limits = JoinLimits(
        JoinRates(
            hello_per_s=settings.hello_rate_per_s,
            hello_burst=max(1, int(settings.hello_rate_per_s * 6)),
            join_per_min=settings.join_rate_per_min,
            join_burst=settings.join_burst,
            link_join_per_min=settings.link_join_rate_per_min,
            link_join_burst=max(1, int(settings.link_join_rate_per_min * 5 / 3)),
        )
    )
    realtime: Realtime[RoomState] = Realtime(
        log,
        TownhallDomain(),
        authenticator,
        RealtimeConfig(origins=settings.origins, limits=limits),
    )
    lost = None
    if settings.distributed:  # (the embedded log is in the SQL database itself)
        lost = LostRooms(sessions, log, realtime.states, realtime.held_state)
        authenticator.verify = lost.verify  # a hello to a lost room: state_lost
    archiver = Archiver(
        sessions,
        log,
        settings.log_retention_s,
        vault,
        live_copy_elsewhere=settings.distributed,
    )
    live = LiveRooms(
        realtime,
        archiver,
        lambda names: access.link_versions(sessions, names),
        lost=lost,
    )
    metrics = default_metrics()
    metrics.observe_realtime(realtime)
    await realtime.start()
    stack.push_async_callback(realtime.close)
    await live.start(await archiver.unfinished_rooms())
    stack.push_async_callback(live.close)
    if metrics.shared_dir:  # several workers: each copies its values for the scrape
        forget_dead_workers(metrics.shared_dir)
        metrics.start_sync()
    stack.push_async_callback(metrics.stop_sync)
    return Services(sessions, realtime, live, await database_id(sessions), lost, archiver, secret)


def create_app(settings: Settings | None = None) -> SocketFirst:
    settings = settings or load_settings()
    url = settings.effective_database_url

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Services]]:
        """The worker's services, in Starlette's lifespan state: every request (and every
        socket) finds them in its scope's ``state``; torn down in reverse order."""
        async with contextlib.AsyncExitStack() as stack:
            yield {"services": await _start_services(settings, url, stack)}

    async def health(request: Request) -> JSONResponse:
        services: Services | None = getattr(request.state, "services", None)
        bus = services.realtime.health() if services else {}
        lost = services.lost.health() if services and services.lost else {"ok": True}
        ok = bool(bus.get("log", {}).get("ok", True)) and lost["ok"]
        archive = await services.archiver.health() if services and services.archiver else {}
        return JSONResponse(
            {
                "status": "ok" if ok else "degraded",
                # Town halls SQL says started whose live log vanished (townhall/lost.py).
                "lost_rooms": lost.get("lost_rooms", []),
                "version": VERSION,
                "pid": os.getpid(),  # which worker answered (several share one port)
                "bus": "redis" if settings.distributed else "memory",
                "database": _database_kind(url),
                "database_id": services.database_id if services else None,
                "realtime": bus,
                "archive": archive,
            },
            status_code=200 if ok else 503,
            headers=API_HEADERS,
        )

    frames = _FrameCache()

    async def page_policy_of(scope: Scope) -> str:
        # The page may frame the stream players configured on town halls not yet over,
        # and nothing else (read at most every 5 s: a page load is not a query).
        services: Services | None = scope.get("state", {}).get("services")
        now = time.monotonic()
        if services is not None and now - frames.at > 5:
            urls = await rooms.stream_urls(services.sessions)
            frames.origins = tuple(dict.fromkeys(frame_origin(u) for u in urls))
            frames.at = now
        return page_policy(frames.origins, settings.frame_ancestors)

    def api_deps(request: Request) -> ApiDeps:
        services: Services = request.state.services
        return ApiDeps(
            sessions=services.sessions, room_commands=services.live, secret=services.secret
        )

    routes: list[BaseRoute] = [
        Route("/health", health),
        *api_routes(settings, api_deps),
        *source_routes(settings),
        Mount("/", FrontendFiles(str(frontend_dir()), page_policy_of), name="frontend"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    # Sockets to /ws reach the hub directly, past Starlette's middleware and router.
    return SocketFirst(app, "/ws", _socket)


async def _socket(scope: Scope, receive: Receive, send: Send) -> None:
    """The ``/ws`` endpoint: the worker's hub, from the lifespan state in the scope."""
    services: Services = scope["state"]["services"]
    await services.realtime(scope, receive, send)


def app_factory() -> SocketFirst:
    """Entry point for ``uvicorn --factory`` worker processes (settings from the env)."""
    return create_app(load_settings())

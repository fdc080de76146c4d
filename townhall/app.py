"""The Starlette application: the composition root of the server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from townhall.settings import Settings, load_settings

VERSION = version("townhall")


def frontend_dir() -> Path:
    return Path(str(files("frontend")))  # shipped as package data beside the code


def _database_kind(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        yield

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "version": VERSION,
                "bus": "redis" if settings.distributed else "memory",
                "database": _database_kind(settings.effective_database_url),
            }
        )

    routes = [
        Route("/health", health),
        Mount("/", StaticFiles(directory=frontend_dir(), html=True), name="frontend"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.settings = settings
    return app


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory`` worker processes (settings from the env)."""
    return create_app(load_settings())

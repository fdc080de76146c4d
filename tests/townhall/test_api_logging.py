"""Link tokens never reach the logs: uvicorn's access line is cut at the query string."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.services import free_port
from tests.townhall.api_harness import RecordingRooms
from townhall.api import ApiDeps, api_routes
from townhall.api.logging import RedactQuery, install_log_filter, strip_query, uvicorn_log_config
from townhall.db import create_engine, session_factory
from townhall.settings import Settings

TOKEN = "l_SECRET-token-value"


async def page(request: Request) -> PlainTextResponse:
    return PlainTextResponse("the page")


@contextlib.asynccontextmanager
async def running_server() -> AsyncIterator[str]:
    """A real uvicorn server on a free port; logging left as the test set it up."""
    port = free_port()
    app = Starlette(routes=[Route("/", page)])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=True)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):  # bounded wait for the socket
            if server.started:
                break
            await asyncio.sleep(0.025)
        assert server.started
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def _remove_filters() -> list[tuple[logging.Logger, logging.Filter]]:
    removed: list[tuple[logging.Logger, logging.Filter]] = []
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        for f in [f for f in logger.filters if isinstance(f, RedactQuery)]:
            logger.removeFilter(f)
            removed.append((logger, f))
    return removed


@pytest.fixture
def clean_filters() -> Iterator[None]:
    """No filter during the test (api_routes installs it process-wide); restored after."""
    before = _remove_filters()
    yield
    _remove_filters()
    for logger, f in before:
        logger.addFilter(f)


async def _access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    caplog.clear()
    async with running_server() as url, httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/?token={TOKEN}&view=projector")).status_code == 200
    return [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]


async def test_the_access_log_carries_no_token(
    caplog: pytest.LogCaptureFixture, clean_filters: None
) -> None:
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    # Without the filter uvicorn logs the token: the danger is real.
    unfiltered = await _access_lines(caplog)
    assert any(TOKEN in line for line in unfiltered)
    install_log_filter()
    install_log_filter()  # idempotent
    assert sum(isinstance(f, RedactQuery) for f in logging.getLogger("uvicorn.access").filters) == 1
    lines = await _access_lines(caplog)
    assert lines
    assert all(TOKEN not in line for line in lines)
    assert any('"GET /?[redacted] HTTP/1.1" 200' in line for line in lines)


def test_absolute_request_targets_are_redacted() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "GET", f"http://h/?token={TOKEN}", "1.1", 200), None,
    )  # fmt: skip
    assert RedactQuery().filter(record)
    assert TOKEN not in record.getMessage()
    assert "GET http://h/?[redacted]" in record.getMessage()


def test_mounting_the_api_installs_the_filter(clean_filters: None, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    deps = ApiDeps(sessions=session_factory(create_engine("sqlite+aiosqlite://")),
                   room_commands=RecordingRooms())  # fmt: skip
    assert not any(isinstance(f, RedactQuery) for f in logging.getLogger("uvicorn.access").filters)
    api_routes(settings, deps)
    assert any(isinstance(f, RedactQuery) for f in logging.getLogger("uvicorn.access").filters)


def test_strip_query_keeps_the_path() -> None:
    assert strip_query("/?token=abc") == "/?[redacted]"
    assert strip_query("/api/townhalls") == "/api/townhalls"


def test_preformatted_messages_are_redacted_too() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, f'"WebSocket /ws?token={TOKEN}" 403', None, None
    )
    assert RedactQuery().filter(record)
    assert TOKEN not in record.getMessage()


def test_the_uvicorn_log_config_filters_every_handler() -> None:
    config = uvicorn_log_config()
    assert config["filters"]["redact_query"] == {"()": "townhall.api.logging.RedactQuery"}
    assert config["handlers"]
    for handler in config["handlers"].values():
        assert "redact_query" in handler["filters"]
    # uvicorn's own default is left untouched.
    from uvicorn.config import LOGGING_CONFIG

    assert "filters" not in LOGGING_CONFIG["handlers"]["access"]

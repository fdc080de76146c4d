"""Shared fixtures: real Redis, real PostgreSQL, SQLite, worker processes, Chromium."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests import services


def _weight(item: pytest.Item) -> int:
    """0: a slow test (multi-process, load, a long state machine); 1: one that starts real
    worker processes or a browser; 2: the rest."""
    if item.get_closest_marker("slow"):
        return 0
    if item.get_closest_marker("browser") or "worker_pool" in getattr(item, "fixturenames", ()):
        return 1
    return 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In a parallel run (pytest-xdist, ``--dist loadfile --no-loadscope-reorder``), the
    files with the longest tests are handed out first, so the run does not end with three
    processes idle while one works through the 5-minute state machine it was given last.
    Files stay whole and keep their order within each weight; a run in one process keeps
    the plain collection order."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    weight: dict[object, int] = {}
    for item in items:
        weight[item.path] = min(weight.get(item.path, 2), _weight(item))
    items.sort(key=lambda item: weight[item.path])


@pytest.fixture(scope="session")
def redis_prefix() -> Iterator[str]:
    """A key prefix owned by this test run; every key under it is deleted at the end."""
    if not services.redis_available():
        services.missing("Redis", f"nothing answers on {services.REDIS_HOST}:{services.REDIS_PORT}")
    prefix = f"th-test-{services.RUN_ID}:"
    yield prefix
    services.flush_redis_prefix(prefix)


@pytest.fixture(scope="session")
def redis_url(redis_prefix: str) -> str:
    """Plain Redis URL of the shared test server (pair it with ``redis_prefix``)."""
    return f"redis://{services.REDIS_HOST}:{services.REDIS_PORT}/0"


@pytest.fixture
def redis_log_url(redis_url: str, redis_prefix: str) -> str:
    """A room-log URL with a key prefix unique to this test."""
    return f"{redis_url}?prefix={redis_prefix}{uuid.uuid4().hex[:8]}:"


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.RedisCluster]:
    """A real 3-master Redis Cluster on private ports, for this test run only."""
    cluster = services.RedisCluster(tmp_path_factory.mktemp("redis-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def redis_cluster_log_url(redis_cluster: services.RedisCluster) -> str:
    """A room-log URL on the cluster (``redis+cluster://``) with a prefix unique to this test."""
    return f"{redis_cluster.url}?prefix=th-test-{uuid.uuid4().hex[:8]}:"


@pytest.fixture(scope="session")
def postgres_available() -> None:
    host, _, port = services.PG_DSN.rpartition("@")[2].partition(":")
    if not services.port_open(host, int(port or 5432)):
        services.missing("PostgreSQL", f"nothing answers on {host}:{port}")


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    name = services.create_pg_database()
    try:
        yield services.pg_url(name)
    finally:
        services.drop_pg_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file in this test's temporary directory."""
    return f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test against SQLite and against PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def worker_pool(tmp_path: Path) -> Iterator[services.WorkerPool]:
    """Start real ``townhall serve`` processes: ``worker_pool.start(3, env={...})``."""
    yield from services.pool(tmp_path)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = services.chromium_path()
    if path is None:
        services.missing("Chromium", "install Debian's chromium package")
    assert path is not None
    return path


@pytest.fixture(scope="package")
def browser(chromium: str) -> Iterator[Browser]:
    """A Playwright browser driving Debian's Chromium (no downloaded browsers).

    Package-scoped: Playwright's sync API leaves its event loop marked as running in the
    thread while it is open, so any asyncio test the same process runs meanwhile fails
    ("Runner.run() cannot be called from a running event loop"). Closed when the process
    leaves the package of browser tests, it never overlaps one (with pytest-xdist a worker
    process may run tests/ files after e2e/ ones)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()

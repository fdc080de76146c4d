"""Browser-test fixtures: a real ``townhall serve`` process with an organiser key."""

from __future__ import annotations

import pytest

from e2e.support import ORGANISER_KEY, Room, create_room
from tests import services

# The shared fixtures (Debian Chromium, real worker processes) come from tests/conftest.py.
from tests.conftest import browser, chromium, worker_pool

__all__ = ["browser", "chromium", "worker_pool"]


@pytest.fixture
def server(worker_pool: services.WorkerPool) -> str:
    """Base URL of one fresh server (SQLite, in-process bus) that accepts our organiser key."""
    (worker,) = worker_pool.start(1, env={"TOWNHALL_ORGANISER_KEY": ORGANISER_KEY})
    return worker.url


@pytest.fixture
def room(server: str) -> Room:
    """A scheduled town hall with no agenda yet (tests build it through the console)."""
    return create_room(server, agenda=[])

"""Shared by the audit's regression suite: one real embedded server per module.

Each module of tests/security/ is one class of attack from the audit of issue 12; a
module that needs its own server (other settings, PostgreSQL, Redis) starts it itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import services
from tests.townhall.scripted import worker_env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.Worker]:
    """One embedded worker (in-process bus, SQLite) for the module's tests."""
    base: Path = tmp_path_factory.mktemp("security")
    url = f"sqlite+aiosqlite:///{base / 'townhall.db'}"
    for pool in services.pool(base, worker_env(url)):
        (worker,) = pool.start(1)
        yield worker

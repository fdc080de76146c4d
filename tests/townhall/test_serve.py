"""The server starts as a user starts it and answers on /health."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from tests.services import WorkerPool


def test_embedded_server_answers_health(worker_pool: WorkerPool) -> None:
    (worker,) = worker_pool.start(1, env={"TOWNHALL_REDIS_URL": "", "TOWNHALL_DATABASE_URL": ""})
    health = httpx.get(f"{worker.url}/health").json()
    assert health["status"] == "ok"
    assert health["bus"] == "memory"
    assert health["database"] == "sqlite"
    assert health["version"]
    gc = health["realtime"]["gc"]  # the worker paces its garbage collection
    assert gc["paced"] is True
    assert gc["full_passes"] >= 1  # the one at start-up, which froze what it built
    page = httpx.get(f"{worker.url}/")
    assert page.status_code == 200
    assert "<html" in page.text


@pytest.mark.redis
@pytest.mark.slow
def test_two_workers_linked_by_redis_both_answer(
    worker_pool: WorkerPool, redis_url: str, sqlite_url: str
) -> None:
    workers = worker_pool.start(
        2, env={"TOWNHALL_REDIS_URL": redis_url, "TOWNHALL_DATABASE_URL": sqlite_url}
    )
    assert len({w.port for w in workers}) == 2
    for worker in workers:
        health = httpx.get(f"{worker.url}/health").json()
        assert (health["status"], health["bus"]) == ("ok", "redis")


def test_serve_refuses_bad_settings_with_a_clear_message() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "townhall.cli", "serve", "--workers", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "more than one worker needs a shared bus" in done.stderr
    assert "Traceback" not in done.stderr

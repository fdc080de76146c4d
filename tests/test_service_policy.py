"""In CI a missing service fails the run; on a laptop it is skipped, and says so."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.services import free_port

NEEDS_REDIS = "tests/townhall/test_serve.py::test_two_workers_linked_by_redis_both_answer"


def run_without_redis(ci: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": ci, "TOWNHALL_TEST_REDIS_PORT": str(free_port())}
    return subprocess.run(
        [sys.executable, "-m", "pytest", NEEDS_REDIS, "-p", "no:cacheprovider", "-q", "-rs"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_missing_redis_fails_in_ci() -> None:
    done = run_without_redis("true")
    assert done.returncode == 1, done.stdout
    assert "Redis is not available" in done.stdout
    assert "1 error" in done.stdout or "1 failed" in done.stdout


@pytest.mark.slow
def test_missing_redis_is_a_visible_skip_elsewhere() -> None:
    done = run_without_redis("")
    assert done.returncode == 0, done.stdout
    assert "SKIPPED" in done.stdout
    assert "Redis is not available" in done.stdout

"""``townhall serve`` raises its soft limit on open files (issue 16): 1,024, the default
of many systems, would refuse the 1,000th participant's socket. Each case runs in a
child process started with a low soft limit, so the test process keeps its own."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from townhall.runtime import SPARE_FILES

PROBE = """
import json, resource
from townhall.runtime import raise_open_files
result = raise_open_files({connections})
print(json.dumps([*result, resource.getrlimit(resource.RLIMIT_NOFILE)[0]]))
"""


def _run(soft: int, connections: int) -> tuple[int, int, str | None, int]:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]

    def lower() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(connections=connections)],
        preexec_fn=lower,
        capture_output=True,
        text=True,
        check=True,
    )
    before, now, warning, seen = json.loads(done.stdout)
    return before, now, warning, seen


def _hard() -> int:
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip(f"the hard limit here ({hard}) leaves nothing to raise")
    return hard


def test_the_soft_limit_is_raised_to_the_hard_limit() -> None:
    hard = _hard()
    before, now, warning, seen = _run(256, 2000)
    assert before == 256
    assert seen == now  # the process's limit, as the kernel holds it
    if hard == resource.RLIM_INFINITY:
        assert now == 2000 + SPARE_FILES
    else:
        assert now == hard
    assert warning is None


def test_a_hard_limit_below_max_connections_is_reported() -> None:
    hard = _hard()
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no finite hard limit to fall short of")
    before, now, warning, seen = _run(256, hard)  # needs hard + SPARE_FILES
    assert (before, now, seen) == (256, hard, hard)
    assert warning is not None
    assert f"open files are limited to {hard}" in warning
    assert "LimitNOFILE" in warning


def test_a_soft_limit_already_high_enough_is_kept() -> None:
    hard = _hard()
    soft = hard if hard != resource.RLIM_INFINITY else 1 << 20
    before, now, warning, seen = _run(soft, 10)
    assert before == now == seen == soft
    assert warning is None

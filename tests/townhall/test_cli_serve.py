"""The organiser's whole path on a real ``townhall serve``: CLI create, the live room,
link rotation closing sockets, the archive, CLI export, delete, ``townhall demo`` as a
new user runs it, and tokens kept out of the server's logs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from realtime.client import Client, ClientError, Disconnected
from tests.services import Worker, WorkerPool
from tests.townhall.api_harness import token_of
from townhall.cli import main

KEY = "thk_env-key-for-the-serve-test"
AGENDA = """\
title: Riverside park
agenda:
  - title: Opening
    duration_s: 300
  - title: Questions
    duration_s: 600
"""


def _api(worker: Worker, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {KEY}"}
    return httpx.request(method, f"{worker.url}{path}", headers=headers, timeout=30, **kwargs)


def _wait_status(worker: Worker, room: str, status: str) -> None:
    deadline = time.monotonic() + 30  # bounded: a stuck archive fails the test
    while time.monotonic() < deadline:
        if _api(worker, "GET", f"/api/townhalls/{room}").json()["status"] == status:
            return
        time.sleep(0.1)
    raise AssertionError(f"{room} never reached {status}")


async def _live_session(worker: Worker, room: str, links: dict[str, str]) -> None:
    ws = worker.ws_url
    facilitator = Client(ws, token_of(links["facilitator"]), origin=worker.url)
    participant = Client(ws, token_of(links["participant"]), name="민수", origin=worker.url)
    await facilitator.connect()
    await participant.connect()
    rotated = _api(
        worker, "POST", f"/api/townhalls/{room}/links/rotate", json={"roles": ["participant"]}
    )
    assert rotated.status_code == 200
    await participant.wait_closed(within=10)
    again = Client(ws, token_of(links["participant"]), name="민수", origin=worker.url)
    with pytest.raises((ClientError, Disconnected)):
        await asyncio.wait_for(again.connect(), 10)
    await again.close()
    newcomer = Client(ws, token_of(rotated.json()["links"]["participant"]), name="Ann",
                      origin=worker.url)  # fmt: skip
    await newcomer.connect()
    await facilitator.request("session.start")
    await facilitator.request("session.end")
    for client in (facilitator, newcomer):
        await client.close()


async def _refused(worker: Worker, link: str) -> None:
    client = Client(worker.ws_url, token_of(link), origin=worker.url)
    with pytest.raises((ClientError, Disconnected)):
        await asyncio.wait_for(client.connect(), 10)
    await client.close()


def test_organiser_path_on_a_real_server(worker_pool: WorkerPool, tmp_path: Path) -> None:
    (worker,) = worker_pool.start(
        1,
        env={"TOWNHALL_ORGANISER_KEY": KEY, "TOWNHALL_REDIS_URL": "", "TOWNHALL_DATABASE_URL": ""},
    )
    runner = CliRunner()
    agenda = tmp_path / "agenda.yaml"
    agenda.write_text(AGENDA, encoding="utf-8")
    result = runner.invoke(main, ["create", str(agenda), "--server", worker.url, "--key", KEY])
    assert result.exit_code == 0, result.output
    links = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    room = links.pop("id")

    view = _api(worker, "GET", f"/api/townhalls/{room}").json()
    assert [i["title"] for i in view["room"]["agenda"]["items"]] == ["Opening", "Questions"]
    # The browser asks for the page at the link itself.
    assert links["observer"].startswith(f"{worker.url}/?token=")
    assert httpx.get(links["observer"]).is_success

    asyncio.run(_live_session(worker, room, links))
    patch = _api(worker, "PATCH", f"/api/townhalls/{room}", json={"title": "late"})
    assert patch.json()["code"] == "already_started"
    _wait_status(worker, room, "archived")

    out = tmp_path / "minutes.md"
    result = runner.invoke(
        main, ["export", room, "-o", str(out), "--server", worker.url, "--key", KEY]
    )
    assert result.exit_code == 0, result.output
    assert "Riverside park" in out.read_text(encoding="utf-8")

    assert _api(worker, "DELETE", f"/api/townhalls/{room}").status_code == 204
    assert _api(worker, "GET", f"/api/townhalls/{room}").status_code == 404
    asyncio.run(_refused(worker, links["facilitator"]))

    # A new user: `townhall serve` with defaults, then `townhall demo` with no key at all.
    demo = runner.invoke(
        main,
        ["demo", "--server", worker.url, "--data-dir", str(tmp_path / "data")],
        env={"TOWNHALL_ORGANISER_KEY": None},
    )
    assert demo.exit_code == 0, demo.output
    demo_links = dict(line.split(": ", 1) for line in demo.stdout.strip().splitlines())
    shown = _api(worker, "GET", f"/api/townhalls/{demo_links.pop('id')}").json()
    assert len(shown["room"]["agenda"]["items"]) == 3
    links.update({f"demo {role}": url for role, url in demo_links.items()})

    worker.stop()
    log = worker.log.read_text(encoding="utf-8", errors="replace")
    assert "GET /?[redacted]" in log
    for url in links.values():
        assert token_of(url) not in log
    assert KEY not in log

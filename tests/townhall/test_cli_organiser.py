"""The organiser CLI: migrate, keys create, and create / export / demo over real HTTP.

create, export and demo talk to a real uvicorn server on a free port that serves the
API routes (with the recording room service of tests.townhall.api_harness).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner, Result
from starlette.applications import Starlette
from starlette.requests import Request

from tests.services import free_port
from tests.townhall.api_harness import RecordingRooms, token_of
from tests.townhall.archive_sample import sample_bundle
from townhall import rooms
from townhall.api import ApiDeps, api_routes
from townhall.archive import archive
from townhall.cli import main
from townhall.db import create_engine, current, head, migrate, session_factory
from townhall.metrics import Metrics
from townhall.settings import Settings

NO_ENV: dict[str, str | None] = {"TOWNHALL_ORGANISER_KEY": None, "TOWNHALL_SERVER": None}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=NO_ENV, catch_exceptions=False)


async def _verify(url: str, key: str) -> bool:
    engine = create_engine(url)
    try:
        return await rooms.verify_api_key(session_factory(engine), key)
    finally:
        await engine.dispose()


def test_migrate_creates_the_schema(db_url: str) -> None:
    result = run("migrate", "--database-url", db_url)
    assert result.exit_code == 0, result.output
    assert asyncio.run(current(db_url)) == head()
    assert head() in result.output
    assert run("migrate", "--database-url", db_url).exit_code == 0  # again: a no-op


def test_migrate_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    result = run("migrate", "--data-dir", str(tmp_path / "data"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "townhall.db").exists()


def test_keys_create_prints_a_key_that_verifies(db_url: str) -> None:
    result = CliRunner().invoke(
        main, ["keys", "create", "--label", "ci", "--database-url", db_url], env=NO_ENV
    )
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("thk_")
    assert "cannot be shown again" in result.stderr
    assert asyncio.run(_verify(db_url, key))
    assert not asyncio.run(_verify(db_url, key + "x"))
    key_id = result.stderr.split("keys revoke`): ")[1].strip()
    listed = run("keys", "list", "--database-url", db_url)
    assert listed.exit_code == 0
    assert key_id in listed.stdout
    assert "active" in listed.stdout
    assert key not in listed.stdout
    assert run("keys", "revoke", key_id, "--database-url", db_url).exit_code == 0
    assert not asyncio.run(_verify(db_url, key))
    assert "revoked" in run("keys", "list", "--database-url", db_url).stdout
    again = run("keys", "revoke", key_id, "--database-url", db_url)
    assert again.exit_code == 1
    assert "no active key" in again.stderr


@dataclass
class Server:
    url: str
    db_url: str
    key: str
    rooms: RecordingRooms


@contextlib.contextmanager
def api_server(tmp_path: Path) -> Iterator[Server]:
    """The API on a real uvicorn server in a thread, over a SQLite database."""
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}"
    asyncio.run(migrate(db_url))
    key = run("keys", "create", "--database-url", db_url).stdout.strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    recording = RecordingRooms()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, ApiDeps]]:
        engine = create_engine(db_url)  # in the server's own event loop
        yield {"deps": ApiDeps(session_factory(engine), recording)}
        await engine.dispose()

    def deps(request: Request) -> ApiDeps:
        services: ApiDeps = request.state.deps
        return services

    settings = Settings(data_dir=tmp_path, public_url=url)
    app = Starlette(routes=api_routes(settings, deps, metrics=Metrics()), lifespan=lifespan)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20  # bounded wait so a broken server fails, not hangs
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield Server(url, db_url, key, recording)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with api_server(tmp_path) as s:
        yield s


AGENDA = """\
title: 주민 토론회
language: ko
visibility: public
agenda:
  - title: Opening
    duration_s: 300
  - title: 질의응답
    duration_s: 900
settings:
  queue_policy: fair
"""


def test_create_from_a_yaml_agenda_prints_three_links(server: Server, tmp_path: Path) -> None:
    agenda = tmp_path / "agenda.yaml"
    agenda.write_text(AGENDA, encoding="utf-8")
    result = run("create", str(agenda), "--server", server.url, "--key", server.key)
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert set(lines) == {"id", "facilitator", "participant", "observer"}
    assert lines["participant"].startswith(f"{server.url}/?token=")
    commands = server.rooms.commands(lines["id"])
    assert [data["title"] for type, data in commands if type == "agenda.add"] == [
        "Opening",
        "질의응답",
    ]
    assert ("room.settings", {"queue_policy": "fair"}) in commands


def test_create_reports_field_errors_and_bad_keys(server: Server, tmp_path: Path) -> None:
    agenda = tmp_path / "agenda.yaml"
    agenda.write_text("title: x\nagenda:\n  - title: no duration\n", encoding="utf-8")
    result = run("create", str(agenda), "--server", server.url, "--key", server.key)
    assert result.exit_code == 1
    assert "agenda.0.duration_s" in result.stderr
    agenda.write_text("title: x\n", encoding="utf-8")
    result = run("create", str(agenda), "--server", server.url, "--key", "thk_wrong")
    assert result.exit_code == 1
    assert "unauthorized" in result.stderr
    assert "townhall keys create" in result.stderr
    result = run("create", str(agenda), "--server", server.url)
    assert result.exit_code == 2  # no key at all: a usage error


def test_commands_say_how_to_start_a_server_when_none_answers(tmp_path: Path) -> None:
    agenda = tmp_path / "agenda.yaml"
    agenda.write_text("title: x\n", encoding="utf-8")
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = run("create", str(agenda), "--server", nowhere, "--key", "k")
    assert result.exit_code == 1
    assert "townhall serve" in result.stderr


def _archive(server: Server, room: str) -> None:
    async def write() -> None:
        engine = create_engine(server.db_url)
        try:
            bundle = sample_bundle(room)
            session = dataclasses.replace(bundle.session, visibility="public")
            await archive(engine, dataclasses.replace(bundle, session=session))
        finally:
            await engine.dispose()

    asyncio.run(write())


def test_export_downloads_every_format(server: Server, tmp_path: Path) -> None:
    agenda = tmp_path / "agenda.yaml"
    agenda.write_text("title: x\n", encoding="utf-8")
    room = run("create", str(agenda), "--server", server.url, "--key", server.key)
    room_id = room.stdout.split()[1]
    before = run("export", room_id, "-o", str(tmp_path / "m.md"), "--server", server.url,
                 "--key", server.key)  # fmt: skip
    assert before.exit_code == 1
    assert "not_archived" in before.stderr
    assert not (tmp_path / "m.md").exists()
    assert not (tmp_path / ".m.md.part").exists()
    _archive(server, room_id)
    for fmt in ("md", "html", "json", "csv", "pdf"):
        out = tmp_path / f"minutes.{fmt}"
        result = run("export", room_id, "--format", fmt, "-o", str(out),
                     "--server", server.url, "--key", server.key)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
        assert f"rendering {room_id}.{fmt}" in result.stderr  # the server's progress, shown
    assert (tmp_path / "minutes.pdf").read_bytes().startswith(b"%PDF-")
    # One version of the minutes by its number; a version never made is refused.
    first = run("export", room_id, "-o", str(tmp_path / "v1.md"), "--version", "1",
                "--server", server.url, "--key", server.key)  # fmt: skip
    assert first.exit_code == 0, first.output
    assert (tmp_path / "v1.md").read_bytes() == (tmp_path / "minutes.md").read_bytes()
    missing = run("export", room_id, "-o", str(tmp_path / "v9.md"), "--version", "9",
                  "--server", server.url, "--key", server.key)  # fmt: skip
    assert missing.exit_code == 1
    assert "no version 9" in missing.stderr
    assert "Riverside park renovation" in (tmp_path / "minutes.md").read_text(encoding="utf-8")
    # The format follows the file name; - writes to standard output; --public needs no key.
    result = run("export", room_id, "-o", "-", "--format", "json", "--public",
                 "--server", server.url)  # fmt: skip
    assert result.exit_code == 0
    assert '"format": "townhall-minutes/1"' in result.stdout


def test_demo_creates_a_key_locally_and_a_town_hall_on_the_server(server: Server) -> None:
    result = run("demo", "--server", server.url, "--database-url", server.db_url)
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    room = lines["id"]
    adds = [d for t, d in server.rooms.commands(room) if t == "agenda.add"]
    assert len(adds) == 3
    grant = asyncio.run(_resolve(server.db_url, token_of(lines["facilitator"])))
    assert grant == (room, "facilitator")


async def _resolve(url: str, token: str) -> tuple[str, str] | None:
    engine = create_engine(url)
    try:
        grant = await rooms.resolve_link(session_factory(engine), token)
    finally:
        await engine.dispose()
    return (grant.room, grant.role) if grant else None


ROLL_YAML = """\
title: 2027 정기총회
access: roll
roll:
  - {name: 김민준, ref: A-001}
  - {name: Lee Seo-yeon, ref: A-002}
  - {name: Park}
proxies:
  - {from: A-002, to: A-001}
"""


def test_create_from_yaml_with_a_roll_prints_personal_links(server: Server, tmp_path: Path) -> None:
    agenda = tmp_path / "assembly.yaml"
    agenda.write_text(ROLL_YAML, encoding="utf-8")
    result = run("create", str(agenda), "--server", server.url, "--key", server.key)
    assert result.exit_code == 0, result.output
    personal = [
        line.removeprefix("personal: ").split("\t")
        for line in result.stdout.splitlines()
        if line.startswith("personal: ")
    ]
    assert [(ref, name) for ref, name, _ in personal][:2] == [
        ("A-001", "김민준"),
        ("A-002", "Lee Seo-yeon"),
    ]
    assert len({url for _, _, url in personal}) == 3
    room = result.stdout.splitlines()[0].removeprefix("id: ")
    commands = server.rooms.commands(room)
    assert ("server:access", {"access": "roll"}) in commands
    added = [data for type, data in commands if type == "server:roll"]
    assert [m["name"] for m in added[0]["members"]] == ["김민준", "Lee Seo-yeon", "Park"]
    ids = {m["name"]: m["participant"] for m in added[0]["members"]}
    proxy = {"from": ids["Lee Seo-yeon"], "to": ids["김민준"]}
    assert ("server:proxy", proxy) in commands

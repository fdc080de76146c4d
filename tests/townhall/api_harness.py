"""The REST API on a real database, with a recording ``RoomCommands`` in place of the
live room service (a double of our own seam, not of I/O)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from starlette.applications import Starlette

from townhall import rooms
from townhall.api import ApiDeps, api_routes
from townhall.db import SessionFactory, create_engine, migrate, session_factory
from townhall.metrics import Metrics
from townhall.ports import CommandRefused
from townhall.settings import Settings

BASE = "https://townhall.example.org"
ENV_KEY = "env-organiser-key-for-tests"
SECRET = b"server-secret-for-tests"


@dataclass
class RecordingRooms:
    """Records every call; keeps just enough of a room (agenda ids, status) to answer."""

    calls: list[tuple[str, str, dict[str, Any], str | None]] = field(default_factory=list)
    agenda: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    status: dict[str, str] = field(default_factory=dict)
    refuse: dict[str, str] = field(default_factory=dict)  # command type -> refusal code
    broken: set[str] = field(default_factory=set)  # command types that crash
    disconnected: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def run_as_organiser(
        self, room: str, type: str, data: dict[str, Any], key: str | None = None
    ) -> dict[str, str]:
        self.calls.append((room, type, data, key))
        if type in self.refuse:
            raise CommandRefused(self.refuse[type], f"{type} refused")
        if type in self.broken:
            raise RuntimeError(f"{type} crashed")
        items = self.agenda.setdefault(room, [])
        if type == "agenda.add":
            item = f"i{next(self._ids)}"
            items.append({"id": item, **data})
            return {"item": item}
        if type == "agenda.remove":
            self.agenda[room] = [i for i in items if i["id"] != data["item"]]
        return {}

    async def run_as_captioner(
        self, room: str, captioner: str, text: str, key: str | None = None
    ) -> int:
        self.calls.append((room, "transcript.append", {"text": text, "by": captioner}, key))
        if "transcript.append" in self.refuse:
            code = self.refuse["transcript.append"]
            raise CommandRefused(code, f"transcript.append refused: {code}")
        return len(self.calls)

    async def room_view(self, room: str) -> dict[str, Any]:
        return {
            "room": room,
            "session": {"status": self.status.get(room, "scheduled")},
            "agenda": {"items": list(self.agenda.get(room, []))},
        }

    async def disconnect(self, room: str, roles: frozenset[str]) -> None:
        self.disconnected.append((room, roles))

    async def drop(self, room: str) -> None:
        self.dropped.append(room)

    def commands(self, room: str) -> list[tuple[str, dict[str, Any]]]:
        return [(type, data) for r, type, data, _ in self.calls if r == room]


@dataclass
class Harness:
    client: httpx.AsyncClient
    rooms: RecordingRooms
    sessions: SessionFactory
    metrics: Metrics
    key: str
    settings: Settings

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"authorization": f"Bearer {key or self.key}"}

    async def create(self, **body: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/townhalls", json={"title": "Budget 2027", **body}, headers=self.auth()
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


@contextlib.asynccontextmanager
async def harness(url: str, tmp_path: Path, **more: Any) -> AsyncIterator[Harness]:
    await migrate(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    recording = RecordingRooms()
    metrics = Metrics()
    settings = Settings(data_dir=tmp_path, public_url=BASE, organiser_key=ENV_KEY, **more)
    # The services given as they are (an app built in a lifespan passes a provider).
    deps = ApiDeps(sessions=sessions, room_commands=recording, secret=SECRET)
    app = Starlette(routes=api_routes(settings, deps, metrics=metrics))
    key = await rooms.create_api_key(sessions, "tests")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Harness(client, recording, sessions, metrics, key, settings)
    await engine.dispose()

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import townhall.app
from realtime.gc_pacer import pacer
from townhall.app import create_app
from townhall.settings import load_settings


def test_health_reports_version_bus_and_database(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["bus"] == "memory"
    assert body["database"] == "sqlite"
    assert body["version"] == "0.1.0"


def test_a_start_up_that_fails_halfway_closes_what_it_had_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The last step of the lifespan's start-up fails, once the hub, the live rooms and
    # the metrics run: its exit stack closes each of them, and a new start succeeds.
    async def unreadable(*_: object) -> str:
        raise RuntimeError("the database id could not be read")

    paced = pacer.active
    settings = load_settings(data_dir=tmp_path)
    monkeypatch.setattr(townhall.app, "database_id", unreadable)
    with pytest.raises(RuntimeError, match="database id"), TestClient(create_app(settings)):
        pass
    assert pacer.active == paced  # the hub was closed: it paces the collector while it runs
    monkeypatch.undo()
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["status"] == "ok"
    assert pacer.active == paced


def test_postgres_url_is_reported_as_postgresql(tmp_path: Path, postgres_url: str) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=postgres_url)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["database"] == "postgresql"


def test_security_headers_on_the_page(tmp_path: Path) -> None:
    with TestClient(create_app(load_settings(data_dir=tmp_path))) as client:
        page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"


def test_deleting_a_town_hall_leaves_no_row_of_it(tmp_path: Path) -> None:
    key = "test-organiser-key-delete"
    settings = load_settings(data_dir=tmp_path, organiser_key=key)
    auth = {"Authorization": f"Bearer {key}"}
    body = {"title": "Short-lived", "agenda": [{"title": "One", "duration_s": 60}]}
    with TestClient(create_app(settings)) as client:
        made = client.post("/api/townhalls", json=body, headers=auth)
        assert made.status_code == 201
        room = made.json()["id"]
        assert client.delete(f"/api/townhalls/{room}", headers=auth).status_code == 204
    with sqlite3.connect(tmp_path / "townhall.db") as db:
        tables = [n for (n,) in db.execute("select name from sqlite_master where type='table'")]
        left = {
            table: count
            for table in tables
            if "room" in [c[1] for c in db.execute(f"pragma table_info({table})")]
            for (count,) in db.execute(f"select count(*) from {table} where room = ?", (room,))
            if count
        }
    assert left == {}

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

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

"""Attack class: the HTTP surface. Every API answer (the minutes' inline HTML included)
carries a content security policy and ``nosniff``; only the UI's own files are served
(the frontend package's README and ``__init__.py`` are not); path traversal finds
nothing outside the UI."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest

from tests import services
from tests.townhall.scripted import AUTH, create_town
from townhall.minutes.html import STYLE


@pytest.mark.parametrize(
    "path",
    [
        "/README.md",
        "/__init__.py",
        "/__pycache__/__init__.cpython-311.pyc",
        "/js/../README.md",
        "/%2e%2e/pyproject.toml",
        "/..%2f..%2fpyproject.toml",
        "/js/%2e%2e/%2e%2e/townhall/settings.py",
        "/../../etc/passwd",
        "/.git/config",
    ],
)
def test_only_the_ui_is_served(server: services.Worker, path: str) -> None:
    response = httpx.get(server.url + path, timeout=10)
    assert response.status_code == 404, path
    assert b"def " not in response.content
    assert b"[tool" not in response.content


def test_the_ui_files_are_served_with_their_policy(server: services.Worker) -> None:
    for path in ("/", "/js/app.js", "/style.css", "/i18n/ko.json"):
        response = httpx.get(server.url + path, timeout=10)
        assert response.status_code == 200, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_every_api_answer_has_a_policy_and_nosniff(server: services.Worker) -> None:
    town = await create_town(server.url, "Headers")
    paths = [
        ("GET", f"/api/townhalls/{town.id}"),
        ("GET", "/api/townhalls"),
        ("GET", f"/api/townhalls/{town.id}/minutes.html"),  # 409 before the archive
        ("GET", "/api/public/townhalls"),
        ("GET", "/api/no/such/endpoint"),
        ("GET", "/api/openapi.json"),
        ("GET", "/metrics"),
        ("GET", "/health"),
        ("DELETE", "/api/townhalls"),  # 405
    ]
    async with httpx.AsyncClient(base_url=server.url, headers=AUTH, timeout=30) as http:
        for method, path in paths:
            response = await http.request(method, path)
            policy = response.headers.get("content-security-policy", "")
            assert "default-src 'none'" in policy, path
            assert "frame-ancestors 'none'" in policy, path
            assert response.headers.get("x-content-type-options") == "nosniff", path


def test_the_minutes_style_is_allowed_by_its_hash_only() -> None:
    from townhall.static import API_HEADERS

    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    policy = API_HEADERS["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy
    assert "script-src" not in policy

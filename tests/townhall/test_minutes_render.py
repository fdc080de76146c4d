"""Minutes by version (``?version=N``) and long exports rendered in the background with
their progress (``POST .../minutes/render``), then served from the render cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.townhall.api_harness import BASE, Harness, harness
from tests.townhall.test_api_documents import archived
from townhall.db.models import metadata


@pytest.fixture
async def api(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(sqlite_url, tmp_path) as h:
        yield h


async def two_versions(api: Harness) -> str:
    """Version 1 approved, version 2 a draft correcting it."""
    room = await archived(api, public=False)
    one = f"/api/townhalls/{room}/minutes"
    assert (await api.client.get(f"{one}/versions", headers=api.auth())).status_code == 200
    approved = await api.client.post(
        f"{one}/approve", json={"approved_by": "Kim"}, headers=api.auth()
    )
    assert approved.status_code == 200
    corrected = await api.client.post(
        f"{one}/corrections", json={"corrections": "Item 2 started at 18:10."}, headers=api.auth()
    )
    assert corrected.status_code == 201
    return room


async def test_each_version_of_the_minutes_downloads_by_its_number(api: Harness) -> None:
    room = await two_versions(api)
    path = f"/api/townhalls/{room}/minutes.md"
    first = await api.client.get(path, params={"version": 1}, headers=api.auth())
    second = await api.client.get(path, params={"version": 2}, headers=api.auth())
    latest = await api.client.get(path, headers=api.auth())
    assert first.status_code == second.status_code == 200
    assert "Kim" in first.text  # approved by
    assert "Item 2 started at 18:10." not in first.text
    assert "Item 2 started at 18:10." in second.text
    assert latest.text == second.text
    assert "-minutes-v1.md" in first.headers["content-disposition"]
    for bad in ("3", "0", "x", "-1", "²"):
        response = await api.client.get(path, params={"version": bad}, headers=api.auth())
        assert response.status_code in (404, 422), bad
        assert response.json()["code"] in ("not_found", "invalid_request")
    missing = await api.client.get(path, params={"version": 3}, headers=api.auth())
    assert missing.json() == {"code": "not_found", "message": "the minutes have no version 3"}


async def test_a_long_export_answers_at_once_with_its_progress(api: Harness) -> None:
    room = await two_versions(api)
    url = f"/api/townhalls/{room}/minutes/render"
    seen: list[float] = []
    answer = None
    for _ in range(3000):  # until ready; each answer comes at once
        response = await api.client.post(url, json={"format": "pdf"}, headers=api.auth())
        assert response.status_code in (200, 202)
        answer = response.json()
        seen.append(answer["progress"])
        assert answer["ready"] is (response.status_code == 200)
        if answer["ready"]:
            break
        await asyncio.sleep(0.02)
    assert answer is not None
    assert answer["ready"] is True
    assert answer["version"] == 2
    assert seen == sorted(seen)  # progress never goes back
    assert all(0 <= p <= 1 for p in seen)
    assert answer["url"] == f"{BASE}/api/townhalls/{room}/minutes.pdf?version=2"
    renders = metadata.tables["minutes_render"]
    async with api.sessions() as session:
        kept = (await session.execute(sa.select(renders.c.version, renders.c.format))).all()
    assert (2, "pdf") in kept  # rendered once, kept for every later download
    pdf = await api.client.get(answer["url"].removeprefix(BASE), headers=api.auth())
    assert pdf.content.startswith(b"%PDF-")
    # The cache dropped (as approving a version does): rendered again, not "ready" at once.
    async with api.sessions.begin() as session:
        await session.execute(sa.delete(renders))
    redo = await api.client.post(url, json={"format": "pdf"}, headers=api.auth())
    assert redo.status_code == 202
    while redo.status_code == 202:
        await asyncio.sleep(0.02)
        redo = await api.client.post(url, json={"format": "pdf"}, headers=api.auth())
    async with api.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(renders)) == 1
    again = await api.client.post(url, json={"format": "pdf"}, headers=api.auth())
    assert again.status_code == 200
    assert again.json()["ready"] is True
    older = await api.client.post(url, json={"format": "md", "version": 1}, headers=api.auth())
    while older.status_code == 202:
        await asyncio.sleep(0.02)
        older = await api.client.post(url, json={"format": "md", "version": 1}, headers=api.auth())
    assert older.json()["url"].endswith("minutes.md?version=1")


async def test_rendering_refuses_what_cannot_be_rendered(api: Harness) -> None:
    fresh = (await api.create())["id"]
    before = await api.client.post(
        f"/api/townhalls/{fresh}/minutes/render", json={"format": "pdf"}, headers=api.auth()
    )
    assert before.status_code == 409
    assert before.json()["code"] == "not_archived"
    room = await two_versions(api)
    url = f"/api/townhalls/{room}/minutes/render"
    missing = await api.client.post(url, json={"format": "pdf", "version": 7}, headers=api.auth())
    assert missing.status_code == 404
    bad = await api.client.post(url, json={"format": "docx"}, headers=api.auth())
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["field"] == "format"


async def test_a_dropped_render_is_made_again_not_reported_ready(api: Harness) -> None:
    """A job that finished while nobody asked, whose document was then dropped from the
    cache (approving a version drops its renders), does not answer "ready" again."""
    room = await two_versions(api)
    url = f"/api/townhalls/{room}/minutes/render"
    renders = metadata.tables["minutes_render"]
    first = await api.client.post(url, json={"format": "md"}, headers=api.auth())
    assert first.status_code == 202
    for _ in range(3000):  # the job finishes on its own; nobody polls it
        async with api.sessions() as session:
            if await session.scalar(sa.select(sa.func.count()).select_from(renders)):
                break
        await asyncio.sleep(0.02)
    cached = await api.client.post(url, json={"format": "md"}, headers=api.auth())
    assert cached.status_code == 200
    async with api.sessions.begin() as session:
        await session.execute(sa.delete(renders))
    again = await api.client.post(url, json={"format": "md"}, headers=api.auth())
    assert again.status_code == 202
    assert again.json()["ready"] is False
    while again.status_code == 202:  # let the job end before the harness closes the database
        await asyncio.sleep(0.02)
        again = await api.client.post(url, json={"format": "md"}, headers=api.auth())
    assert again.json()["ready"] is True

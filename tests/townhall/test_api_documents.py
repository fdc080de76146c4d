"""Minutes downloads, the open-data endpoints and /metrics."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from realtime.application import Principal
from realtime.server import open_log
from tests.realtime.toy import Recording
from tests.realtime.toyapp import make_realtime
from tests.townhall.api_harness import BASE, Harness, harness
from tests.townhall.archive_sample import sample_bundle
from townhall.archive import archive
from townhall.db.models import metadata

TEXT_FORMATS = {
    "minutes.md": "text/markdown; charset=utf-8",
    "minutes.html": "text/html; charset=utf-8",
    "minutes.json": "application/json",
    "transcript.csv": "text/csv; charset=utf-8",
}


@pytest.fixture
async def api(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(sqlite_url, tmp_path) as h:
        yield h


async def archived(api: Harness, *, public: bool) -> str:
    """A town hall made through the API whose session is then archived."""
    room = str((await api.create(visibility="public" if public else "private"))["id"])
    bundle = sample_bundle(room)
    visibility = "public" if public else "private"
    session = dataclasses.replace(bundle.session, visibility=visibility)
    await archive(api.sessions, dataclasses.replace(bundle, session=session))
    return room


async def test_minutes_before_the_archive_are_409_not_archived(api: Harness) -> None:
    room = (await api.create())["id"]
    for name in TEXT_FORMATS:
        response = await api.client.get(f"/api/townhalls/{room}/{name}", headers=api.auth())
        assert response.status_code == 409
        assert response.json()["code"] == "not_archived"


async def test_minutes_in_every_text_format_after_the_archive(api: Harness) -> None:
    room = await archived(api, public=False)
    for name, media in TEXT_FORMATS.items():
        response = await api.client.get(f"/api/townhalls/{room}/{name}", headers=api.auth())
        assert response.status_code == 200, name
        assert response.headers["content-type"] == media
        assert room in response.headers["content-disposition"]
    markdown = (await api.client.get(f"/api/townhalls/{room}/minutes.md", headers=api.auth())).text
    assert "Opening and context" in markdown  # an agenda item of the archived session
    body = (await api.client.get(f"/api/townhalls/{room}/minutes.json", headers=api.auth())).json()
    assert body["format"] == "townhall-minutes/1"
    csv = await api.client.get(f"/api/townhalls/{room}/transcript.csv", headers=api.auth())
    assert csv.text.splitlines()[0].lstrip("\ufeff").startswith("time,item,speaker")


async def test_an_archived_town_hall_has_no_live_room_view(api: Harness) -> None:
    room = await archived(api, public=False)
    body = (await api.client.get(f"/api/townhalls/{room}", headers=api.auth())).json()
    assert body["status"] == "archived"
    assert body["room"] is None
    assert body["archived_at"] is not None


async def test_minutes_as_pdf(api: Harness) -> None:
    room = await archived(api, public=False)
    response = await api.client.get(f"/api/townhalls/{room}/minutes.pdf", headers=api.auth())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


async def test_public_town_halls_are_open_data(api: Harness) -> None:
    public = await archived(api, public=True)
    await archived(api, public=False)
    scheduled = (await api.create(visibility="public"))["id"]
    listing = (await api.client.get("/api/public/townhalls")).json()["townhalls"]
    assert {t["id"] for t in listing} == {public, scheduled}
    by_id = {t["id"]: t for t in listing}
    assert by_id[scheduled]["minutes"] == {}
    prefix = f"{BASE}/api/public/townhalls/{public}"
    assert by_id[public]["minutes"]["md"] == f"{prefix}/minutes.md"
    assert by_id[public]["minutes"]["csv"] == f"{prefix}/transcript.csv"
    assert "visibility" not in by_id[public]
    one = await api.client.get(f"/api/public/townhalls/{public}")
    assert one.status_code == 200
    assert one.json()["status"] == "archived"
    for name in TEXT_FORMATS:
        response = await api.client.get(f"/api/public/townhalls/{public}/{name}")
        assert response.status_code == 200, name
    minutes = json.loads((await api.client.get(f"{prefix}/minutes.json".removeprefix(BASE))).text)
    assert minutes["format"] == "townhall-minutes/1"


async def test_open_data_leaves_out_the_text_of_hidden_statements(api: Harness) -> None:
    room = await archived(api, public=True)
    hidden = [s for s in sample_bundle(room).statements if s.hidden]
    assert hidden
    paths = ("minutes.json", "transcript.csv", "minutes.md", "minutes.html")
    for path in paths:
        public = (await api.client.get(f"/api/public/townhalls/{room}/{path}")).text
        for statement in hidden:
            assert statement.text not in public, path
    # The organiser's complete record keeps it.
    record = await api.client.get(f"/api/townhalls/{room}/minutes.json", headers=api.auth())
    statements = {s["id"]: s for s in record.json()["statements"]}
    for statement in hidden:
        assert statements[statement.id]["text"] == statement.text
        assert statements[statement.id]["hidden"] is True
    public_json = (await api.client.get(f"/api/public/townhalls/{room}/minutes.json")).json()
    kept = {s["id"]: s for s in public_json["statements"]}
    for statement in hidden:
        assert kept[statement.id]["hidden_reason"] == statement.hidden_reason


async def test_private_town_halls_do_not_exist_for_open_data(api: Harness) -> None:
    private = await archived(api, public=False)
    for path in ("", "/minutes.md", "/minutes.json", "/transcript.csv"):
        response = await api.client.get(f"/api/public/townhalls/{private}{path}")
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"
    # Even with a valid organiser key: the open-data paths never show private data.
    response = await api.client.get(
        f"/api/public/townhalls/{private}/minutes.md", headers=api.auth()
    )
    assert response.status_code == 404


async def test_metrics_in_prometheus_text_format(api: Harness) -> None:
    api.metrics.commands.labels("ok").inc(3)
    api.metrics.fanout_latency.observe(0.004)
    api.metrics.archive_duration.observe(1.5)
    api.metrics.track(connections=lambda: 7, rooms=lambda: 2)
    await api.client.get("/api/townhalls")  # a 401
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    assert "townhall_connections 7.0" in text
    assert "townhall_rooms 2.0" in text
    assert 'townhall_commands_total{outcome="ok"} 3.0' in text
    assert 'townhall_fanout_latency_seconds_bucket{le="0.005"} 1.0' in text
    assert "townhall_archive_duration_seconds_count 1.0" in text
    assert 'townhall_api_requests_total{status="4xx"} 1.0' in text


async def test_metrics_read_a_realtime_hub(api: Harness) -> None:
    realtime = make_realtime(open_log("memory://"), {})
    realtime.traffic.connections = 3
    realtime.traffic.frames_sent = 12
    realtime.stats["appends"] = 5
    api.metrics.observe_realtime(realtime)
    text = (await api.client.get("/metrics")).text
    assert "townhall_connections 3.0" in text
    assert "townhall_rooms 0.0" in text
    assert "townhall_frames_sent_total 12.0" in text
    assert "townhall_log_appends_total 5.0" in text
    assert "townhall_log_conflicts_total 0.0" in text


async def test_metrics_export_the_hub_counters(api: Harness) -> None:
    counters = {"frames_sent": 10, "messages_sent": 25, "bytes_sent": 4096, "closes": {4009: 2}}
    api.metrics.track_hub(lambda: counters)
    text = (await api.client.get("/metrics")).text
    assert "townhall_frames_sent_total 10.0" in text
    assert "townhall_messages_sent_total 25.0" in text
    assert "townhall_bytes_sent_total 4096.0" in text
    assert 'townhall_closes_total{code="4009"} 2.0' in text
    # Tracking again (an app rebuilt in the same process) replaces the source.
    api.metrics.track_hub(lambda: {"frames_sent": 11})
    text = (await api.client.get("/metrics")).text
    assert "townhall_frames_sent_total 11.0" in text


async def test_metrics_count_command_outcomes_and_time_the_fan_out(api: Harness) -> None:
    realtime = make_realtime(open_log("memory://"), {"presence_interval": 3600.0})
    api.metrics.observe_realtime(realtime)
    await realtime.start()
    try:
        member = Principal("main", "p1", "public", True, {}, None)
        box = Recording()
        await realtime._engine.attach(member, box, None)
        await realtime._engine.command(member, box, "counter.add", "c1", {"n": 2})
        await realtime._engine.command(member, box, "once.claim", "c2", {})
        await realtime._engine.command(member, box, "once.claim", "c3", {})  # refused
        text = (await api.client.get("/metrics")).text
    finally:
        await realtime.close()
    assert 'townhall_commands_total{outcome="ok"} 2.0' in text
    assert 'townhall_commands_total{outcome="refused"} 1.0' in text
    # One observation per committed batch: the join and the two accepted commands.
    assert "townhall_fanout_latency_seconds_count 3.0" in text


async def test_minutes_are_filed_draft_approved_then_corrected_and_rendered_once(
    api: Harness,
) -> None:
    room = await archived(api, public=False)
    base = f"/api/townhalls/{room}/minutes"
    listed = await api.client.get(f"{base}/versions", headers=api.auth())
    (first,) = listed.json()["versions"]
    assert first["version"] == 1
    assert first["status"] == "draft"
    draft = (await api.client.get(f"{base}.md", headers=api.auth())).text
    assert "**Status:** Draft, version 1." in draft
    # Rendered once: the stored document is served again, byte for byte.
    async with api.sessions() as session:
        renders = (await session.execute(sa.select(metadata.tables["minutes_render"]))).all()
    assert [(r.version, r.format) for r in renders] == [(1, "md")]
    assert (await api.client.get(f"{base}.md", headers=api.auth())).text == draft

    approved = await api.client.post(
        f"{base}/approve", json={"approved_by": "Council clerk"}, headers=api.auth()
    )
    assert approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "Council clerk"
    md = (await api.client.get(f"{base}.md", headers=api.auth())).text
    assert "Approved, version 1. Approved by Council clerk on " in md
    again = await api.client.post(f"{base}/approve", json={"approved_by": "x"}, headers=api.auth())
    assert again.json()["code"] == "already_approved"

    corrected = await api.client.post(
        f"{base}/corrections",
        json={"corrections": "Dana's name was misspelt.", "chair": "Kim"},
        headers=api.auth(),
    )
    assert corrected.status_code == 201
    assert corrected.json()["version"] == 2
    assert corrected.json()["corrects"] == 1
    md2 = (await api.client.get(f"{base}.md", headers=api.auth())).text
    assert "**Status:** Draft, version 2." in md2
    assert "corrects version 1: Dana's name was misspelt." in md2
    assert "Chair: Kim" in md2
    versions = (await api.client.get(f"{base}/versions", headers=api.auth())).json()
    assert [(v["version"], v["status"]) for v in versions["versions"]] == [
        (1, "approved"),
        (2, "draft"),
    ]
    not_yet = await api.client.post(
        f"{base}/corrections", json={"corrections": "more"}, headers=api.auth()
    )
    assert not_yet.json()["code"] == "not_approved"

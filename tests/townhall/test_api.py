"""The organiser endpoints: create, read, edit before start, delete, rotate links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.townhall.api_harness import BASE, ENV_KEY, Harness, harness, token_of
from townhall import rooms


@pytest.fixture
async def api(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(sqlite_url, tmp_path) as h:
        yield h


@pytest.fixture
async def api_any_db(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(db_url, tmp_path) as h:
        yield h


async def test_create_sets_the_deliberation_settings(api_any_db: Harness) -> None:
    # Issue 15's settings are set up with the town hall, not only live in the room.
    settings = {"auto_advance_items": True, "item_grace_s": 45, "questions_premoderated": True}
    body = {"title": "Self-running agenda", "settings": settings}
    response = await api_any_db.client.post("/api/townhalls", json=body, headers=api_any_db.auth())
    assert response.status_code == 201, response.text
    assert ("room.settings", settings) in api_any_db.rooms.commands(response.json()["id"])
    body["settings"] = {"item_grace_s": -1}
    refused = await api_any_db.client.post("/api/townhalls", json=body, headers=api_any_db.auth())
    assert refused.status_code == 422


async def test_create_returns_three_page_links_and_sets_up_the_room(api_any_db: Harness) -> None:
    api = api_any_db
    body = {
        "title": "예산 공청회",
        "description": "Budget hearing",
        "language": "ko",
        "visibility": "public",
        "agenda": [{"title": "Opening", "duration_s": 300}, {"title": "Q&A", "duration_s": 900}],
        "settings": {"queue_policy": "fair", "turn_s": 90, "max_turns_per_item": None},
    }
    response = await api.client.post("/api/townhalls", json=body, headers=api.auth())
    assert response.status_code == 201
    created = response.json()
    room = created["id"]
    assert response.headers["location"] == f"/api/townhalls/{room}"
    assert set(created["links"]) == {"facilitator", "participant", "observer"}
    for role, url in created["links"].items():
        assert url.startswith(f"{BASE}/?token=")
        grant = await rooms.resolve_link(api.sessions, token_of(url))
        assert grant is not None
        assert (grant.room, grant.role) == (room, role)
    assert api.rooms.commands(room) == [
        (
            "server:configure",
            {"title": "예산 공청회", "description": "Budget hearing", "language": "ko"},
        ),
        ("agenda.add", {"title": "Opening", "duration_s": 300, "description": ""}),
        ("agenda.add", {"title": "Q&A", "duration_s": 900, "description": ""}),
        # Only the keys sent; null lifts the turn cap.
        ("room.settings", {"queue_policy": "fair", "turn_s": 90, "max_turns_per_item": None}),
    ]
    # Idempotency keys: a retried creation step is applied once.
    assert [key for *_, key in api.rooms.calls] == [
        "create:configure", "create:agenda:0", "create:agenda:1", "create:settings",
    ]  # fmt: skip
    row = await rooms.get_townhall(api.sessions, room)
    assert row is not None
    assert (row.title, row.language, row.visibility) == ("예산 공청회", "ko", "public")


async def test_links_can_be_made_to_expire(api: Harness) -> None:
    created = await api.create(expires_at="2099-01-01T12:00:00+09:00")
    grant = await rooms.resolve_link(api.sessions, token_of(created["links"]["participant"]))
    assert grant is not None
    assert grant.expires_at == datetime(2099, 1, 1, 3, 0, tzinfo=UTC)
    response = await api.client.post(
        "/api/townhalls",
        json={"title": "x", "expires_at": "2099-01-01T12:00:00"},  # no offset: ambiguous
        headers=api.auth(),
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "expires_at"


async def test_the_organiser_key_from_the_environment_is_accepted(api: Harness) -> None:
    response = await api.client.post(
        "/api/townhalls", json={"title": "x"}, headers=api.auth(ENV_KEY)
    )
    assert response.status_code == 201


async def test_invalid_creation_answers_422_with_field_details(api: Harness) -> None:
    body = {
        "title": "",
        "visibility": "secret",
        "agenda": [{"title": "ok", "duration_s": -5}],
        "settings": {"turn_s": 30, "bogus": True},
    }
    response = await api.client.post("/api/townhalls", json=body, headers=api.auth())
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "invalid_request"
    fields = {f["field"] for f in error["fields"]}
    assert fields == {"title", "visibility", "agenda.0.duration_s", "settings.bogus"}
    assert await rooms.list_townhalls(api.sessions) == []
    assert api.rooms.calls == []


@pytest.mark.parametrize(
    ("content", "type", "status", "code"),
    [
        (b"{not json", "application/json", 422, "invalid_request"),
        (b"", "application/json", 422, "invalid_request"),
        (b"[]", "application/json", 422, "invalid_request"),
        (b'{"title": "x"}', "text/plain", 415, "unsupported_media_type"),
        (b'{"title": "' + b"x" * 300_000 + b'"}', "application/json", 413, "payload_too_large"),
    ],
)
async def test_malformed_bodies_are_refused_with_stable_codes(
    api: Harness, content: bytes, type: str, status: int, code: str
) -> None:
    headers = {**api.auth(), "content-type": type}
    response = await api.client.post("/api/townhalls", content=content, headers=headers)
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_a_body_without_length_is_still_limited(api: Harness) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}'

    headers = {**api.auth(), "content-type": "application/json"}
    response = await api.client.post("/api/townhalls", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_a_refusal_by_the_room_undoes_the_creation(api: Harness) -> None:
    api.rooms.refuse["agenda.add"] = "text_too_long"
    response = await api.client.post(
        "/api/townhalls",
        json={"title": "x", "agenda": [{"title": "a", "duration_s": 60}]},
        headers=api.auth(),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "text_too_long"
    assert await rooms.list_townhalls(api.sessions) == []
    assert len(api.rooms.dropped) == 1


async def test_a_crash_answers_json_500_and_undoes_the_creation(
    api: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    api.rooms.broken.add("server:configure")
    response = await api.client.post("/api/townhalls", json={"title": "x"}, headers=api.auth())
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert await rooms.list_townhalls(api.sessions) == []
    assert "POST /api/townhalls failed" in caplog.text
    assert api.key not in caplog.text


async def test_get_shows_the_town_hall_and_its_live_room(api: Harness) -> None:
    created = await api.create(agenda=[{"title": "Opening", "duration_s": 300}])
    response = await api.client.get(f"/api/townhalls/{created['id']}", headers=api.auth())
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["title"], body["status"]) == (
        created["id"],
        "Budget 2027",
        "scheduled",
    )
    assert [i["title"] for i in body["room"]["agenda"]["items"]] == ["Opening"]
    assert "token" not in response.text  # links are shown once, at creation or rotation
    listed = await api.client.get("/api/townhalls", headers=api.auth())
    assert [t["id"] for t in listed.json()["townhalls"]] == [created["id"]]


async def test_unknown_town_halls_are_404(api: Harness) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = await api.client.request(
            method, "/api/townhalls/nope", json={"title": "x"}, headers=api.auth()
        )
        assert response.status_code == 404, method
        assert response.json()["code"] == "not_found"
    response = await api.client.post("/api/townhalls/nope/links/rotate", headers=api.auth())
    assert response.status_code == 404


async def test_patch_edits_before_start(api: Harness) -> None:
    room = (await api.create(agenda=[{"title": "Old", "duration_s": 60}], settings={"turn_s": 60}))[
        "id"
    ]
    api.rooms.calls.clear()
    response = await api.client.patch(
        f"/api/townhalls/{room}",
        json={
            "title": "Budget 2028",
            "visibility": "public",
            "agenda": [{"title": "New", "duration_s": 120}],
            "settings": {"slow_mode_s": 10},
        },
        headers=api.auth(),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["title"], body["visibility"]) == ("Budget 2028", "public")
    assert body["settings"] == {"turn_s": 60, "slow_mode_s": 10}
    assert [i["title"] for i in body["room"]["agenda"]["items"]] == ["New"]
    assert [type for type, _ in api.rooms.commands(room)] == [
        "server:configure", "agenda.remove", "agenda.add", "room.settings",
    ]  # fmt: skip
    assert api.rooms.commands(room)[0][1] == {
        "title": "Budget 2028",
        "description": "",
        "language": "en",
    }


async def test_patch_validates_its_fields(api: Harness) -> None:
    room = (await api.create())["id"]
    for body in ({"title": None}, {"title": "   "}, {"language": "fr"}, {"status": "live"}):
        response = await api.client.patch(f"/api/townhalls/{room}", json=body, headers=api.auth())
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid_request"


async def test_patch_after_start_is_409_already_started(api: Harness) -> None:
    room = (await api.create())["id"]
    api.rooms.status[room] = "live"
    response = await api.client.patch(
        f"/api/townhalls/{room}", json={"title": "x"}, headers=api.auth()
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_started"
    # The room's own refusal (a start racing the edit) maps to the same code.
    api.rooms.status[room] = "scheduled"
    api.rooms.refuse["server:configure"] = "session_not_scheduled"
    response = await api.client.patch(
        f"/api/townhalls/{room}", json={"title": "x"}, headers=api.auth()
    )
    assert response.json()["code"] == "already_started"


async def test_delete_removes_everything_and_closes_connections(api: Harness) -> None:
    created = await api.create()
    room = created["id"]
    response = await api.client.delete(f"/api/townhalls/{room}", headers=api.auth())
    assert response.status_code == 204
    assert (await api.client.get(f"/api/townhalls/{room}", headers=api.auth())).status_code == 404
    assert api.rooms.disconnected == [(room, frozenset((*rooms.ROLES, rooms.CAPTIONER)))]
    assert api.rooms.dropped == [room]
    for url in created["links"].values():
        assert await rooms.resolve_link(api.sessions, token_of(url)) is None


async def test_rotate_replaces_links_and_closes_their_connections(api: Harness) -> None:
    created = await api.create()
    room = created["id"]
    response = await api.client.post(
        f"/api/townhalls/{room}/links/rotate", json={"roles": ["participant"]}, headers=api.auth()
    )
    assert response.status_code == 200
    links = response.json()["links"]
    assert set(links) == {"participant"}
    assert await rooms.resolve_link(api.sessions, token_of(created["links"]["participant"])) is None
    assert await rooms.resolve_link(api.sessions, token_of(links["participant"])) is not None
    assert (
        await rooms.resolve_link(api.sessions, token_of(created["links"]["observer"])) is not None
    )
    assert api.rooms.disconnected == [(room, frozenset({"participant"}))]
    # No body: every role is rotated.
    response = await api.client.post(f"/api/townhalls/{room}/links/rotate", headers=api.auth())
    assert set(response.json()["links"]) == set(rooms.ROLES)


async def test_rotate_validates_roles_and_expiry(api: Harness) -> None:
    room = (await api.create())["id"]
    bodies: list[dict[str, object]] = [
        {"roles": ["organiser"]},
        {"roles": []},
        {"expires_at": "2001-01-01T00:00:00Z"},
    ]
    for body in bodies:
        response = await api.client.post(
            f"/api/townhalls/{room}/links/rotate", json=body, headers=api.auth()
        )
        assert response.status_code == 422, body

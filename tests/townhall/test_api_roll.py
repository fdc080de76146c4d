"""The roll and proxy endpoints against a real database (the room is the recording
double of tests.townhall.api_harness): validation, refs, PATCH of the access mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.townhall.api_harness import Harness, harness, token_of


@pytest.fixture
async def api(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(db_url, tmp_path) as h:
        yield h


async def test_create_without_a_roll_has_no_personal_links(api: Harness) -> None:
    created = await api.create()
    assert "personal" not in created["links"]
    town = (await api.client.get(f"/api/townhalls/{created['id']}", headers=api.auth())).json()
    assert town["access"] == "open"


async def test_refs_are_unique_printable_and_slash_free(api: Harness) -> None:
    bad = [
        [{"name": "A", "ref": "x"}, {"name": "B", "ref": "x"}],
        [{"name": "A", "ref": "a/b"}],
        [{"name": "  "}],
        [{"name": "A", "ref": "tab\there"}],
    ]
    for roll in bad:
        response = await api.client.post(
            "/api/townhalls", json={"title": "T", "roll": roll}, headers=api.auth()
        )
        assert response.status_code in (409, 422), response.text
        code = response.json()["code"]
        assert code == ("duplicate_ref" if response.status_code == 409 else "invalid_request")
    listed = (await api.client.get("/api/townhalls", headers=api.auth())).json()
    assert listed["townhalls"] == []  # a refused roll leaves no half-made town hall


async def test_patch_access_before_the_start(api: Harness) -> None:
    room = (await api.create())["id"]
    response = await api.client.patch(
        f"/api/townhalls/{room}", json={"access": "roll"}, headers=api.auth()
    )
    assert response.status_code == 200, response.text
    assert response.json()["access"] == "roll"
    assert ("server:access", {"access": "roll"}) in api.rooms.commands(room)
    api.rooms.status[room] = "live"
    late = await api.client.patch(
        f"/api/townhalls/{room}", json={"access": "open"}, headers=api.auth()
    )
    assert (late.status_code, late.json()["code"]) == (409, "already_started")


async def test_roll_add_and_list(api: Harness) -> None:
    room = (await api.create(access="roll", roll=[{"name": "Kim", "ref": "A-1"}]))["id"]
    added = await api.client.post(
        f"/api/townhalls/{room}/roll",
        json={"members": [{"name": "Lee"}, {"name": "Park", "ref": "A-3"}]},
        headers=api.auth(),
    )
    assert added.status_code == 201, added.text
    links = added.json()["personal"]
    assert [m["name"] for m in links] == ["Lee", "Park"]
    roll = (await api.client.get(f"/api/townhalls/{room}/roll", headers=api.auth())).json()
    assert [m["ref"] for m in roll["members"]] == ["A-1", links[0]["ref"], "A-3"]
    assert all(m["proxy"] is None for m in roll["members"])
    empty = await api.client.post(
        f"/api/townhalls/{room}/roll", json={"members": []}, headers=api.auth()
    )
    assert empty.status_code == 422
    missing = await api.client.get("/api/townhalls/nope/roll", headers=api.auth())
    assert missing.status_code == 404


async def test_a_refused_roll_add_leaves_no_member(api: Harness) -> None:
    room = (await api.create())["id"]
    api.rooms.refuse["server:roll"] = "session_ended"
    refused = await api.client.post(
        f"/api/townhalls/{room}/roll", json={"members": [{"name": "Kim"}]}, headers=api.auth()
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "session_ended")
    roll = (await api.client.get(f"/api/townhalls/{room}/roll", headers=api.auth())).json()
    assert roll["members"] == []


async def test_proxies_by_ref(api: Harness) -> None:
    roll = [{"name": "Kim", "ref": "A-1"}, {"name": "Lee", "ref": "A-2"}]
    room = (await api.create(access="roll", roll=roll))["id"]
    path = f"/api/townhalls/{room}/proxies"
    recorded = await api.client.post(path, json={"from": "A-2", "to": "A-1"}, headers=api.auth())
    assert (recorded.status_code, recorded.json()) == (201, {"from": "A-2", "to": "A-1"})
    proxies = [data for type, data in api.rooms.commands(room) if type == "server:proxy"]
    assert len(proxies) == 1
    unknown = await api.client.delete(f"{path}/Z-9", headers=api.auth())
    assert (unknown.status_code, unknown.json()["code"]) == (404, "member_not_found")
    removed = await api.client.delete(f"{path}/A-2", headers=api.auth())
    assert removed.status_code == 204
    assert [type for type, _ in api.rooms.commands(room)][-1] == "server:unproxy"
    extra = await api.client.post(
        path, json={"from": "A-2", "to": "A-1", "why": "x"}, headers=api.auth()
    )
    assert extra.status_code == 422


async def test_a_personal_link_opens_what_the_participant_link_opens(api: Harness) -> None:
    """POST /api/link and /api/link/minutes: the page asks what its token opens (the
    waiting view, and after the end the read-only minutes), a personal link included."""
    created = await api.create(title="총회", access="roll", roll=[{"name": "Kim", "ref": "A-1"}])
    url = created["links"]["personal"][0]["url"]
    info = await api.client.post("/api/link", json={"token": token_of(url)})
    assert info.status_code == 200, info.text
    assert (info.json()["role"], info.json()["title"]) == ("participant", "총회")
    early = await api.client.post("/api/link/minutes", json={"token": token_of(url)})
    assert (early.status_code, early.json()["code"]) == (409, "not_archived")
    almost = token_of(url)[:-1] + ("A" if token_of(url)[-1] != "A" else "B")
    wrong = await api.client.post("/api/link", json={"token": almost})
    assert (wrong.status_code, wrong.json()["code"]) == (404, "not_found")


async def test_the_console_gets_each_personal_link_with_its_qr_code(api: Harness) -> None:
    room = (await api.create(access="roll"))["id"]
    body = {"members": [{"name": "Kim", "ref": "M-1"}, {"name": "Lee"}], "qr": True}
    added = await api.client.post(f"/api/townhalls/{room}/roll", json=body, headers=api.auth())
    assert added.status_code == 201
    links = added.json()["personal"]
    assert [link["name"] for link in links] == ["Kim", "Lee"]
    for link in links:
        assert link["qr"].startswith("data:image/svg+xml;charset=utf-8,")
    plain = await api.client.post(
        f"/api/townhalls/{room}/roll", json={"members": [{"name": "Park"}]}, headers=api.auth()
    )
    assert "qr" not in plain.json()["personal"][0]  # only when asked for

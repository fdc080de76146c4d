"""The organiser console's side of the API: signing in with a key (cookie and CSRF),
keys owning what they create, links shown again with QR codes and short join links,
what a link opens, and the public calendar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.townhall.api_harness import ENV_KEY, Harness, harness, token_of
from townhall import rooms
from townhall.api.console_auth import COOKIE
from townhall.api.logging import strip_query
from townhall.db.models import metadata
from townhall.stream import embed_url, frame_origin

STARTS = "2031-05-04T19:00:00+09:00"


@pytest.fixture
async def api(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(sqlite_url, tmp_path) as h:
        yield h


async def sign_in(api: Harness, key: str | None = None) -> tuple[str, str]:
    """Signs a console in; returns (cookie value, csrf token)."""
    response = await api.client.post("/api/console/session", json={"key": key or api.key})
    assert response.status_code == 200, response.text
    header = response.headers["set-cookie"]
    value = header.split(";")[0].split("=", 1)[1]
    return value, response.json()["csrf"]


def console(cookie: str, csrf: str | None = None) -> dict[str, str]:
    headers = {"cookie": f"{COOKIE}={cookie}"}
    if csrf:
        headers["x-csrf-token"] = csrf
    return headers


async def test_console_sign_in_sets_a_strict_http_only_cookie(api: Harness) -> None:
    response = await api.client.post("/api/console/session", json={"key": api.key})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "path", "max-age", "samesite"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert api.key not in cookie  # the cookie holds a random id, never the key
    body = response.json()
    assert body["signed_in"] is True
    assert body["csrf"]
    assert body["admin"] is False
    assert response.headers["cache-control"] == "no-store"
    # Only the id's hash is stored.
    value = cookie.split(";")[0].split("=", 1)[1]
    async with api.sessions() as session:
        stored = (await session.execute(sa.select(metadata.tables["console_session"]))).all()
    assert len(stored) == 1
    assert value not in str(stored[0])
    assert api.key not in str(stored[0])


async def test_a_wrong_key_signs_nothing_in(api: Harness) -> None:
    response = await api.client.post("/api/console/session", json={"key": "thk_wrong"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert (await api.client.get("/api/console/session")).json() == {
        "signed_in": False, "csrf": None, "admin": False, "key_id": None,
    }  # fmt: skip


async def test_sign_in_from_another_site_is_refused(api: Harness) -> None:
    response = await api.client.post(
        "/api/console/session", json={"key": api.key}, headers={"origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


async def test_changes_with_the_cookie_need_the_csrf_token(api: Harness) -> None:
    cookie, csrf = await sign_in(api)
    listed = await api.client.get("/api/townhalls", headers=console(cookie))
    assert listed.status_code == 200  # reading needs the cookie only
    body = {"title": "Forged"}
    for headers in (console(cookie), console(cookie, "wrong-token")):
        forged = await api.client.post("/api/townhalls", json=body, headers=headers)
        assert forged.status_code == 403
        assert forged.json()["code"] == "csrf_failed"
    assert (await api.client.get("/api/townhalls", headers=console(cookie))).json() == {
        "townhalls": []
    }
    made = await api.client.post("/api/townhalls", json=body, headers=console(cookie, csrf))
    assert made.status_code == 201
    room = made.json()["id"]
    gone = await api.client.delete(f"/api/townhalls/{room}", headers=console(cookie))
    assert gone.json()["code"] == "csrf_failed"
    assert (
        await api.client.delete(f"/api/townhalls/{room}", headers=console(cookie, csrf))
    ).status_code == 204


async def test_sign_out_ends_the_session_and_clears_the_cookie(api: Harness) -> None:
    cookie, csrf = await sign_in(api)
    refused = await api.client.delete("/api/console/session", headers=console(cookie))
    assert refused.json()["code"] == "csrf_failed"
    out = await api.client.delete("/api/console/session", headers=console(cookie, csrf))
    assert out.status_code == 204
    assert "max-age=0" in out.headers["set-cookie"].lower()
    after = await api.client.get("/api/townhalls", headers=console(cookie))
    assert after.status_code == 401
    assert (await api.client.get("/api/console/session", headers=console(cookie))).json()[
        "signed_in"
    ] is False


async def test_revoking_the_key_ends_its_console_sessions(api: Harness) -> None:
    cookie, _ = await sign_in(api)
    key_id = (await rooms.identify_api_key(api.sessions, api.key)) or ("", False)
    assert await rooms.revoke_api_key(api.sessions, key_id[0])
    assert (await api.client.get("/api/townhalls", headers=console(cookie))).status_code == 401


async def test_keys_own_what_they_create_and_an_admin_key_sees_all(api: Harness) -> None:
    other = await rooms.create_api_key(api.sessions, "other office")
    admin = await rooms.create_api_key(api.sessions, "clerk", admin=True)
    mine = (await api.create(title="Mine"))["id"]
    made = await api.client.post(
        "/api/townhalls", json={"title": "Theirs"}, headers=api.auth(other)
    )
    theirs = made.json()["id"]

    def titles(response: Any) -> list[str]:
        return [t["title"] for t in response.json()["townhalls"]]

    assert titles(await api.client.get("/api/townhalls", headers=api.auth())) == ["Mine"]
    assert titles(await api.client.get("/api/townhalls", headers=api.auth(other))) == ["Theirs"]
    everything = await api.client.get("/api/townhalls", headers=api.auth(admin))
    assert sorted(titles(everything)) == ["Mine", "Theirs"]
    env = await api.client.get("/api/townhalls", headers=api.auth(ENV_KEY))
    assert sorted(titles(env)) == ["Mine", "Theirs"]  # the operator's key is an admin
    for method, path in (
        ("GET", f"/api/townhalls/{theirs}"),
        ("PATCH", f"/api/townhalls/{theirs}"),
        ("DELETE", f"/api/townhalls/{theirs}"),
        ("POST", f"/api/townhalls/{theirs}/links/rotate"),
        ("GET", f"/api/townhalls/{theirs}/links"),
        ("GET", f"/api/townhalls/{theirs}/minutes.md"),
        ("GET", f"/api/townhalls/{theirs}/roll"),
        ("POST", f"/api/townhalls/{theirs}/roll"),
        ("GET", f"/api/townhalls/{theirs}/proxies"),
        ("GET", f"/api/townhalls/{theirs}/uploads"),
    ):
        json: dict[str, Any] | None = {"title": "x"} if method == "PATCH" else None
        if path.endswith("/roll"):
            json = {"members": [{"name": "Mallory"}]}
        response = await api.client.request(method, path, json=json, headers=api.auth())
        assert response.status_code == 404, (method, path)  # as if it did not exist
    assert (
        await api.client.get(f"/api/townhalls/{mine}", headers=api.auth(admin))
    ).status_code == 200
    # An admin's console sees everything too.
    cookie, _ = await sign_in(api, admin)
    assert len(titles(await api.client.get("/api/townhalls", headers=console(cookie)))) == 2


async def test_links_are_shown_again_with_qr_codes_and_a_short_join_link(api: Harness) -> None:
    created = await api.create()
    room = created["id"]
    again = await api.client.get(f"/api/townhalls/{room}/links", headers=api.auth())
    links = again.json()["links"]
    assert {role: view["url"] for role, view in links.items()} == created["links"]
    assert all(view["qr"].startswith("data:image/svg+xml") for view in links.values())
    short = links["participant"]["short_url"]
    assert short.startswith("https://townhall.example.org/j/")
    assert len(short.rsplit("/", 1)[1]) == 10
    svg = await api.client.get(f"/api/townhalls/{room}/links/observer/qr.svg", headers=api.auth())
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg")
    assert "<path" in svg.text
    code = short.rsplit("/", 1)[1]
    jump = await api.client.get(f"/j/{code}")
    assert jump.status_code == 303
    assert jump.headers["location"] == created["links"]["participant"]
    # Rotation: new links, the old short code stops working, the new one works.
    rotated = await api.client.post(f"/api/townhalls/{room}/links/rotate", headers=api.auth())
    new = rotated.json()["links"]
    assert new["participant"] != created["links"]["participant"]
    assert (await api.client.get(f"/j/{code}")).status_code == 404
    shown = (await api.client.get(f"/api/townhalls/{room}/links", headers=api.auth())).json()
    assert shown["links"]["participant"]["url"] == new["participant"]
    new_code = shown["links"]["participant"]["short_url"].rsplit("/", 1)[1]
    assert (await api.client.get(f"/j/{new_code}")).headers["location"] == new["participant"]
    assert (await api.client.get("/j/0000000000")).status_code == 404
    # The stored rows hold hashes only.
    async with api.sessions() as session:
        stored = str((await session.execute(sa.select(metadata.tables["link"]))).all())
    assert token_of(new["participant"]) not in stored
    assert new_code not in stored


async def test_a_link_says_what_it_opens(api: Harness) -> None:
    created = await api.create(
        title="예산 공청회",
        starts_at=STARTS,
        timezone="Asia/Seoul",
        stream_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        place="City hall, room 3",
    )
    for role in ("participant", "observer", "facilitator"):
        answer = await api.client.post(
            "/api/link", json={"token": token_of(created["links"][role])}
        )
        info = answer.json()
        assert answer.status_code == 200
        assert info["role"] == role
        assert info["title"] == "예산 공청회"
        assert info["status"] == "scheduled"
        assert info["timezone"] == "Asia/Seoul"
        assert datetime.fromisoformat(info["starts_at"]) == datetime.fromisoformat(STARTS)
        assert info["stream"]["embed"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
        assert info["join"]["url"] == created["links"]["participant"]
        assert info["join"]["qr"].startswith("data:image/svg+xml")
    bad = await api.client.post("/api/link", json={"token": "l_nonsense"})
    assert bad.status_code == 404
    early = await api.client.post(
        "/api/link/minutes", json={"token": token_of(created["links"]["observer"])}
    )
    assert early.json()["code"] == "not_archived"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stream_url", "http://example.org/live"),
        ("stream_url", "https://user:pw@example.org/live"),
        ("stream_url", "javascript:alert(1)"),
        ("timezone", "Mars/Olympus_Mons"),
        ("starts_at", "2031-05-04T19:00:00"),  # no offset: ambiguous
    ],
)
async def test_bad_meeting_fields_are_refused(api: Harness, field: str, value: str) -> None:
    response = await api.client.post(
        "/api/townhalls", json={"title": "x", field: value}, headers=api.auth()
    )
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == field


async def test_meeting_fields_are_kept_and_edited_before_the_start(api: Harness) -> None:
    room = (await api.create(starts_at=STARTS, timezone="Asia/Seoul", chair="Kim"))["id"]
    patched = await api.client.patch(
        f"/api/townhalls/{room}",
        json={"timezone": "Europe/Berlin", "stream_url": "https://meet.jit.si/townhall-42"},
        headers=api.auth(),
    )
    body = patched.json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["chair"] == "Kim"
    assert body["stream_url"] == "https://meet.jit.si/townhall-42"
    assert datetime.fromisoformat(body["starts_at"]).astimezone(UTC) == datetime(
        2031, 5, 4, 10, 0, tzinfo=UTC
    )


async def test_the_public_calendar(api: Harness) -> None:
    long = "A hearing; about the budget, with questions\nand a long description " * 3
    room = (
        await api.create(
            title="Budget, 2027", description=long, visibility="public",
            starts_at=STARTS, timezone="Asia/Seoul", place="City hall",
        )
    )["id"]  # fmt: skip
    await api.create(title="Private one", starts_at=STARTS)
    await api.create(title="No date yet", visibility="public")
    feed = await api.client.get("/api/public/townhalls.ics")
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    text = feed.text
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.count("BEGIN:VEVENT") == 1
    assert "Private one" not in text
    assert "No date yet" not in text
    unfolded = text.replace("\r\n ", "")
    assert f"UID:{room}@townhall.example.org" in unfolded
    assert "DTSTART:20310504T100000Z" in unfolded
    assert "SUMMARY:Budget\\, 2027" in unfolded
    assert "LOCATION:City hall" in unfolded
    assert "2031-05-04 19:00 Asia/Seoul (UTC+0900)" in unfolded
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    one = await api.client.get(f"/api/public/townhalls/{room}.ics")
    assert one.status_code == 200
    assert "BEGIN:VEVENT" in one.text
    private = (await api.client.get("/api/townhalls", headers=api.auth())).json()["townhalls"]
    hidden = next(t["id"] for t in private if t["title"] == "Private one")
    assert (await api.client.get(f"/api/public/townhalls/{hidden}.ics")).status_code == 404


def test_streams_are_embedded_from_their_own_origin() -> None:
    assert (
        embed_url("https://youtu.be/dQw4w9WgXcQ")
        == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    )
    assert embed_url("https://www.youtube.com/live/dQw4w9WgXcQ?si=x") == (
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    )
    assert embed_url("https://video.example.org/w/9c9de5e8-0a1e-484a-b099-e80766180a6d") == (
        "https://video.example.org/videos/embed/9c9de5e8-0a1e-484a-b099-e80766180a6d"
    )
    assert embed_url("https://meet.jit.si/townhall-42") == "https://meet.jit.si/townhall-42"
    assert frame_origin("https://youtu.be/dQw4w9WgXcQ") == "https://www.youtube-nocookie.com"
    assert (
        frame_origin("https://Video.Example.org:8443/w/abcdefgh")
        == "https://video.example.org:8443"
    )


def test_short_join_codes_stay_out_of_the_logs() -> None:
    assert strip_query("/j/7h3k9m2q4r") == "/j/[redacted]"
    assert strip_query("https://townhall.example.org/j/7h3k9m2q4r") == (
        "https://townhall.example.org/j/[redacted]"
    )
    assert strip_query("/api/join/x") == "/api/join/x"

"""Captions over HTTP (SPEC §10) against real ``townhall serve`` workers: the organiser
makes a captioner link, a speech-to-text bot posts captions with its token, and they
reach the live room (the current turn, or the running item when nobody holds the floor)
through the same path as WebSocket commands, on one worker and on three behind Redis.
Every bad request answers a stable code and leaves the room unchanged."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import services
from tests.townhall.scripted import (
    Town,
    call,
    close_all,
    connect,
    create_town,
    minutes,
    named,
    refusal,
    rest,
    seen,
    token_of,
    until,
    wait_archived,
    worker_env,
    you,
)


async def _caption(
    base: str, room: str, token: str | None, body: Any, headers: dict[str, str] | None = None
) -> httpx.Response:
    auth = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        return await http.post(
            f"/api/townhalls/{room}/captions", json=body, headers={**auth, **(headers or {})}
        )


async def _captioner(town: Town, **body: Any) -> tuple[bool, dict[str, Any]]:
    response = await rest(town.base, "POST", f"/api/townhalls/{town.id}/links/captioner", json=body)
    assert response.status_code == 200, response.text
    return bool(response.json()["made"]), response.json()


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, str(response.json()["code"])


async def test_captions_over_http_on_one_worker(
    worker_pool: services.WorkerPool, tmp_path: Path
) -> None:
    env = worker_env(f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}")
    [worker] = await asyncio.to_thread(worker_pool.start, 1, env)
    town = await create_town(worker.url, "Captions", [("Budget", 600)])
    other = await create_town(worker.url, "Another", [("Other", 600)])

    made, link = await _captioner(town)
    assert made
    token = link["token"]
    assert token_of(link["url"]) == token
    assert link["captions_url"].endswith(f"/api/townhalls/{town.id}/captions")
    again, same = await _captioner(town)  # shown again, not replaced
    assert (again, same["token"]) == (False, token)
    unknown = await rest(worker.url, "POST", "/api/townhalls/nope/links/captioner")
    assert _code(unknown) == (404, "not_found")
    no_key = await rest(worker.url, "POST", f"/api/townhalls/{town.id}/links/captioner", auth=False)
    assert _code(no_key) == (401, "unauthorized")

    # Before the start the room takes no caption.
    early = await _caption(worker.url, town.id, token, {"text": "Too early"})
    assert _code(early) == (409, "session_not_live")

    f = await connect(worker.ws_url, town.token("facilitator"), "Chair")
    a = await connect(worker.ws_url, town.token("participant"), "Ana")
    clients = [f, a]
    try:
        item = f.welcome["snapshot"]["agenda"]["items"][0]["id"]
        await call(f, "session.start")
        await call(f, "agenda.start", {"item": item})

        # Nobody holds the floor: the caption belongs to the running item.
        first = await _caption(worker.url, town.id, token, {"text": "Welcome, everyone."})
        assert first.status_code == 201, first.text
        assert isinstance(first.json()["seq"], int)
        await seen(f, "transcript.appended")
        [on_item] = named(f, "transcript.appended")
        assert on_item["data"]["turn"] is None
        assert on_item["data"]["item"] == item
        assert on_item["data"]["text"] == "Welcome, everyone."
        assert on_item["data"]["by"] == "captioner"
        await seen(a, "transcript.appended")  # participants see captions live too

        # Ana has the floor: the next caption is part of her turn.
        await call(a, "hand.raise", {"kind": "speak"})
        await call(f, "floor.grant")
        await seen(f, "floor.granted")
        turn = named(f, "floor.granted")[0]["data"]["turn"]
        assert named(f, "floor.granted")[0]["data"]["participant"] == you(a)
        second = await _caption(
            worker.url,
            town.id,
            token,
            {"text": "Ana: the budget grows."},
            {"Idempotency-Key": "k1"},
        )
        assert second.status_code == 201, second.text
        retried = await _caption(
            worker.url,
            town.id,
            token,
            {"text": "Ana: the budget grows."},
            {"Idempotency-Key": "k1"},
        )
        assert retried.status_code == 201
        assert retried.json()["seq"] == second.json()["seq"]  # applied once
        await seen(f, "transcript.appended", 2)
        on_turn = named(f, "transcript.appended")[1]["data"]
        assert (on_turn["turn"], on_turn["text"]) == (turn, "Ana: the budget grows.")

        # Bad requests: a stable code each, and nothing reaches the room.
        checks = [
            (await _caption(worker.url, town.id, None, {"text": "x"}), (401, "unauthorized")),
            (await _caption(worker.url, town.id, "l_forged", {"text": "x"}), (401, "unauthorized")),
            (
                await _caption(worker.url, town.id, town.token("participant"), {"text": "x"}),
                (403, "forbidden"),
            ),
            (
                await _caption(worker.url, town.id, town.token("facilitator"), {"text": "x"}),
                (403, "forbidden"),
            ),
            (await _caption(worker.url, other.id, token, {"text": "x"}), (403, "forbidden")),
            (await _caption(worker.url, town.id, token, {"text": "   "}), (422, "text_empty")),
            (
                await _caption(worker.url, town.id, token, {"text": "x" * 2001}),
                (422, "text_too_long"),
            ),
            (await _caption(worker.url, town.id, token, {}), (422, "invalid_request")),
            (await _caption(worker.url, town.id, token, {"text": 7}), (422, "invalid_request")),
            (
                await _caption(worker.url, town.id, token, {"text": "x", "speaker": "Bo"}),
                (422, "invalid_request"),
            ),
            (
                await _caption(worker.url, town.id, token, {"text": "a\x00b"}),
                (422, "invalid_request"),
            ),
        ]
        for response, expected in checks:
            assert _code(response) == expected, response.text

        # Past the rate limit: 429 with Retry-After, and the refused ones are not kept.
        # A burst of 100 at once (the bucket holds 20 and refills 5 a second): sent one
        # by one, a loaded machine answered them slower than the bucket refills.
        burst = await asyncio.gather(
            *(_caption(worker.url, town.id, token, {"text": f"Line {n}"}) for n in range(100))
        )
        codes = [r.status_code for r in burst]
        assert set(codes) <= {201, 429}, codes
        accepted = codes.count(201)
        limited = next((r for r in burst if r.status_code == 429), None)
        assert limited is not None, "no caption of the burst was rate limited"
        assert limited.json()["code"] == "rate_limited"
        assert limited.headers["retry-after"] == "1"
        await seen(f, "transcript.appended", 2 + accepted)
        marker = await _caption_after_limit(worker.url, town.id, token)
        await seen(f, "transcript.appended", 3 + accepted)
        texts = [e["data"]["text"] for e in named(f, "transcript.appended")]
        assert texts[-1] == marker
        assert len(texts) == 3 + accepted  # nothing of the bad or limited requests

        # The captioner link opens a page too: it may append, and nothing else.
        c = await connect(worker.ws_url, token, "Typist")
        clients.append(c)
        assert c.welcome["you"]["role"] == "captioner"
        await call(c, "transcript.append", {"text": "Typed by hand."})
        await seen(f, "transcript.appended", 4 + accepted)
        assert named(f, "transcript.appended")[-1]["data"]["by"] == you(c)
        assert await refusal(c, "hand.raise", {"kind": "speak"}) == "forbidden"
        assert await refusal(c, "statement.post", {"text": "Hi"}) == "forbidden"
        assert not [e for e in named(f, "participant.joined") if e["data"]["participant"] == you(c)]

        # Rotating the link: the old token stops working at once.
        rotated, fresh = await _captioner(town, rotate=True)
        assert rotated
        assert fresh["token"] != token
        stale = await _caption(worker.url, town.id, token, {"text": "old"})
        assert _code(stale) == (401, "unauthorized")
        ok = await _caption(worker.url, town.id, fresh["token"], {"text": "New link."})
        assert ok.status_code == 201, ok.text

        await call(f, "session.end")
        ended = await _caption(worker.url, town.id, fresh["token"], {"text": "late"})
        assert _code(ended) == (409, "session_ended")
    finally:
        await close_all(clients)

    # The minutes list the captions under the item or the turn they belong to.
    await wait_archived(worker.url, town.id)
    doc = json.loads(await minutes(worker.url, town.id, "json"))
    archived = [(t["text"], t["item"], t["turn"], t["author"]) for t in doc["transcript"]]
    assert archived[0] == ("Welcome, everyone.", item, None, "captioner")
    assert archived[1] == ("Ana: the budget grows.", item, 0, "captioner")
    assert archived[-1] == ("New link.", item, 0, "captioner")  # Ana still had the floor
    assert len(archived) == 5 + accepted
    md = (await minutes(worker.url, town.id, "md")).decode()
    turn_at = md.index("**Turn 1:**")
    assert md.index("Ana: the budget grows.") > turn_at  # under Ana's turn
    assert "Captioner (Transcript)" in md
    assert md.count("Welcome, everyone.") == 1


async def _caption_after_limit(base: str, room: str, token: str) -> str:
    """Posts one caption once the bucket has refilled (retrying on 429); its text."""
    text = "After the limit."
    for _ in range(200):
        response = await _caption(base, room, token, {"text": text})
        if response.status_code == 201:
            return text
        assert response.status_code == 429, response.text
        await asyncio.sleep(0.1)
    raise AssertionError("the caption stayed rate limited")


@pytest.mark.redis
async def test_any_worker_accepts_captions(
    worker_pool: services.WorkerPool, redis_log_url: str, tmp_path: Path
) -> None:
    env = worker_env(f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}", redis_log_url)
    workers = await asyncio.to_thread(worker_pool.start, 3, env)
    town = await create_town(workers[0].url, "Captions on three", [("Item", 600)])
    _, link = await _captioner(town)
    f = await connect(workers[0].ws_url, town.token("facilitator"), "Chair")
    o = await connect(workers[2].ws_url, town.token("observer"))
    clients = [f, o]
    try:
        item = f.welcome["snapshot"]["agenda"]["items"][0]["id"]
        await call(f, "session.start")
        await call(f, "agenda.start", {"item": item})
        await seen(o, "agenda.started")
        sent = []
        for n, worker in enumerate([*workers, *workers]):
            text = f"Caption {n} via {worker.port}"
            response = await _caption(worker.url, town.id, link["token"], {"text": text})
            assert response.status_code == 201, response.text
            sent.append(text)
        for client in clients:
            await seen(client, "transcript.appended", len(sent))
        await until(lambda: len(named(f, "transcript.appended")) == len(sent), "every caption")
        for client in clients:
            got = [e["data"]["text"] for e in named(client, "transcript.appended")]
            assert got == sent  # each once, in the order posted
            assert all(e["data"]["item"] == item for e in named(client, "transcript.appended"))
        assert f.gaps == 0
    finally:
        await close_all(clients)

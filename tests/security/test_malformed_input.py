"""Attack class: malformed input. Control characters, huge integers, non-ASCII digits and
absurd nesting, over the WebSocket and over REST: each is a clear refusal that changes
nothing, never an ``internal`` error, a 500 or an archive that can never be written."""

from __future__ import annotations

import json

import httpx

from tests import services
from tests.townhall.scripted import AUTH, call, close_all, connect, create_town, refusal


async def test_control_characters_and_huge_integers_are_refused_live(
    server: services.Worker,
) -> None:
    town = await create_town(server.url, "Malformed", [("Only", 600)])
    f = await connect(server.ws_url, town.token("facilitator"))
    p = await connect(server.ws_url, town.token("participant"), "Mallory")
    try:
        await call(f, "session.start")
        for text in ("nul\x00byte", "esc\x1b[31m", "cr\rlf", "bell\x07"):
            assert await refusal(p, "statement.post", {"text": text}) == "invalid_data"
            assert await refusal(p, "question.ask", {"text": text}) == "invalid_data"
        poll = {"question": "Q", "kind": "yes_no_abstain"}
        assert await refusal(f, "poll.create", {**poll, "quorum": 2**40}) == "invalid_data"
        assert await refusal(f, "poll.create", {**poll, "quorum": 2**70}) == "invalid_data"
        assert await refusal(f, "poll.create", {**poll, "duration_s": 10**12}) == "invalid_data"
        # The largest integer still within bounds is refused by the rule, not by a crash.
        assert await refusal(f, "poll.create", {**poll, "duration_s": 2**31 - 1}) == "invalid_poll"
        created = await call(f, "poll.create", {"question": "Q", "kind": "score",
                                                "options": ["A", "B"]})  # fmt: skip
        await call(f, "poll.open", {"poll": created["result"]["poll"]})
        vote = {"poll": created["result"]["poll"], "choice": {"²": 3}}
        assert await refusal(p, "poll.vote", vote) == "invalid_data"
        posted = await call(p, "statement.post", {"text": "tab\tand\nnewline stay"})
        assert posted["result"]["statement"]
    finally:
        await close_all([f, p])


async def test_rest_refuses_deep_json_and_control_characters(server: services.Worker) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=AUTH) as http:
        deep = b"[" * 100_000 + b"]" * 100_000
        response = await http.post(
            "/api/townhalls", content=deep, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["code"] == "nested_too_deeply"
        for title in ("nul\x00", "esc\x1b", "\ud800"):
            body = {"title": title, "agenda": [{"title": f"item{title}", "duration_s": 60}]}
            # json.dumps escapes the lone surrogate as \\ud800, valid JSON text.
            raw = json.dumps(body).encode()
            response = await http.post(
                "/api/townhalls", content=raw, headers={"content-type": "application/json"}
            )
            assert response.status_code == 422, title
            fields = {f["field"] for f in response.json()["fields"]}
            assert fields == {"title", "agenda.0.title"}
        listed = await http.get("/api/townhalls")
        assert all("\x00" not in t["title"] for t in listed.json()["townhalls"])

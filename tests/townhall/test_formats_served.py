"""Parti's formats end to end on a real ``townhall serve`` worker: a battle with a switch,
a dot vote, proposals promoted to a poll, cheering with reveal and a caption over HTTP,
sent as a facilitator, participants and a caption bot would, archived when the session
ends, and served as minutes in every format (a Korean town hall)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from tests import services
from tests.townhall.scripted import (
    call,
    close_all,
    connect,
    csv_rows,
    minutes,
    rest,
    seen,
    token_of,
    wait_archived,
    worker_env,
)


async def test_formats_reach_the_served_minutes(
    worker_pool: services.WorkerPool, tmp_path: Path
) -> None:
    env = worker_env(f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}")
    [worker] = await asyncio.to_thread(worker_pool.start, 1, env)
    body = {
        "title": "정책배틀",
        "language": "ko",
        "agenda": [
            {"title": "발표", "duration_s": 600, "presenters": ["김 박사", "이 교수"]},
            {"title": "토론", "duration_s": 600},
        ],
    }
    created = await rest(worker.url, "POST", "/api/townhalls", json=body)
    assert created.status_code == 201, created.text
    room, links = created.json()["id"], created.json()["links"]
    captioner = await rest(worker.url, "POST", f"/api/townhalls/{room}/links/captioner")
    caption_token = captioner.json()["token"]

    f = await connect(worker.ws_url, token_of(links["facilitator"]), "사회자")
    a = await connect(worker.ws_url, token_of(links["participant"]), "민지")
    b = await connect(worker.ws_url, token_of(links["participant"]), "준호")
    c = await connect(worker.ws_url, token_of(links["participant"]), "서연")
    clients = [f, a, b, c]
    try:
        talks, debate = (i["id"] for i in f.welcome["snapshot"]["agenda"]["items"])
        tree = (await call(a, "proposal.submit", {"text": "나무 심기"}))["result"]["proposal"]
        await call(f, "session.start")
        await call(f, "agenda.start", {"item": talks})
        for client in (a, b, c):
            await seen(client, "agenda.started")
        await call(a, "cheer.send", {"presenter": "김 박사"})
        await call(b, "cheer.send", {"presenter": "김 박사"})
        await call(c, "cheer.send", {"presenter": "이 교수"})
        await call(f, "cheer.reveal", {"item": talks})
        async with httpx.AsyncClient(base_url=worker.url, timeout=60) as http:
            posted = await http.post(
                f"/api/townhalls/{room}/captions",
                json={"text": "발표를 시작합니다."},
                headers={"Authorization": f"Bearer {caption_token}"},
            )
        assert posted.status_code == 201, posted.text
        await call(f, "agenda.start", {"item": debate})
        battle = {"question": "공원을 지을까요?", "kind": "battle", "options": ["찬성", "반대"]}
        b1 = (await call(f, "poll.create", battle))["result"]["poll"]
        await call(f, "poll.open", {"poll": b1})
        for client in (a, b, c):
            await seen(client, "poll.opened")
        await call(a, "poll.vote", {"poll": b1, "choice": 0})
        await call(b, "poll.vote", {"poll": b1, "choice": 0})
        await call(c, "poll.vote", {"poll": b1, "choice": 1})
        await call(b, "poll.vote", {"poll": b1, "choice": 1})  # 준호 switches
        await call(f, "poll.close", {"poll": b1})
        library = (await call(b, "proposal.submit", {"text": "도서관"}))["result"]["proposal"]
        await call(c, "proposal.support", {"proposal": tree})
        promoted = {"question": "먼저 할 일?", "kind": "single", "from_proposals": [tree, library]}
        v1 = (await call(f, "poll.create", promoted))["result"]["poll"]
        dot = {"question": "우선순위?", "kind": "dot", "options": ["길", "조명", "화장실"],
               "votes_per_person": 3}  # fmt: skip
        d1 = (await call(f, "poll.create", dot))["result"]["poll"]
        await call(f, "poll.open", {"poll": d1})
        for client in (a, b):
            await seen(client, "poll.opened", 2)
        await call(a, "poll.vote", {"poll": d1, "choice": {"0": 2, "2": 1}})
        await call(b, "poll.vote", {"poll": d1, "choice": {"0": 1}})
        await call(f, "poll.close", {"poll": d1})
        await call(f, "session.end")
    finally:
        await close_all(clients)

    await wait_archived(worker.url, room)
    doc = json.loads(await minutes(worker.url, room, "json"))
    polls = {p["id"]: p for p in doc["polls"]}
    assert polls[b1]["battle"]["opening"] == [2, 1]
    assert polls[b1]["battle"]["closing"] == [1, 2]
    assert polls[b1]["battle"]["switches"] == [[0, 1], [0, 0]]
    assert polls[d1]["dot_voters"] == [2, 0, 1]
    assert [t["votes"] for t in polls[d1]["tally"]] == [3, 0, 1]
    assert polls[v1]["proposals"] == [tree, library]
    fates = {x["text"]: (x["status"], x["supporters"], x["polls"]) for x in doc["proposals"]}
    assert fates == {"나무 심기": ("promoted", 1, [v1]), "도서관": ("promoted", 0, [v1])}
    assert [(x["presenter"], x["count"], x["revealed"]) for x in doc["cheers"]] == [
        ("김 박사", 2, True),
        ("이 교수", 1, True),
    ]
    assert [(t["text"], t["item"], t["turn"]) for t in doc["transcript"]] == [
        ("발표를 시작합니다.", talks, None)
    ]
    md = (await minutes(worker.url, room, "md")).decode()
    for words in ("의견 변화", "찬성 → 반대", "응원", "현장에서 공개함", "제안", "자막 담당"):
        assert words in md, words
    assert "점 나누기 투표" in md
    html = (await minutes(worker.url, room, "html")).decode()
    assert "의견 변화" in html
    pdf = await minutes(worker.url, room, "pdf")
    assert pdf.startswith(b"%PDF")
    rows = csv_rows(await minutes(worker.url, room, "csv"))
    assert [r["text"] for r in rows if r["kind"] == "transcript"] == ["발표를 시작합니다."]

"""Attack class: reading withdrawn text through a replay. An observer (or anyone) that
resumes from ``{epoch, seq: 0}`` used to receive the original ``statement.posted`` with
its full text, then ``statement.hidden``. Replays must carry no text that is withdrawn
now (hidden statements, dismissed questions) for any public view; snapshots neither."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from websockets.asyncio.client import connect as ws_connect

from tests import services
from tests.townhall.scripted import call, close_all, connect, create_town

SECRET_TEXT = "my neighbour lives at 12 Elm St"
QUESTION_TEXT = "why is the mayor a crook"


async def _replay(worker: services.Worker, token: str, epoch: str, upto: int) -> list[Any]:
    """Every message a client resuming from seq 0 receives, up to seq ``upto``."""
    got: list[Any] = []
    async with ws_connect(worker.ws_url) as ws:
        hello = {"type": "hello", "token": token, "name": "Late",
                 "resume": {"epoch": epoch, "seq": 0}}  # fmt: skip
        await ws.send(json.dumps(hello))
        seqs: set[int] = set()
        while not seqs or max(seqs) < upto:
            raw = await asyncio.wait_for(ws.recv(), 20)
            messages = json.loads(raw)
            for message in messages if isinstance(messages, list) else [messages]:
                got.append(message)
                if message.get("type") == "event":
                    seqs.add(message["seq"])
    return got


async def test_no_replay_or_snapshot_carries_hidden_text(server: services.Worker) -> None:
    town = await create_town(server.url, "Replays", [("Open mic", 600)])
    f = await connect(server.ws_url, town.token("facilitator"))
    p = await connect(server.ws_url, town.token("participant"), "Poster")
    try:
        await call(f, "session.start")
        statement = (await call(p, "statement.post", {"text": SECRET_TEXT}))["result"]["statement"]
        question = (await call(p, "question.ask", {"text": QUESTION_TEXT}))["result"]["question"]
        await call(f, "statement.hide", {"statement": statement, "reason": "personal data"})
        last = await call(f, "question.dismiss", {"question": question})
        epoch = str(f.welcome["epoch"])
        for role in ("observer", "participant"):
            frames = await _replay(server, town.token(role), epoch, last["seq"])
            text = json.dumps(frames)
            names = [m.get("name") for m in frames if m.get("type") == "event"]
            assert "statement.posted" in names, role  # the replay did go through it
            assert "statement.hidden" in names, role
            assert SECRET_TEXT not in text, role
            assert QUESTION_TEXT not in text, role
            (posted,) = [m for m in frames if m.get("name") == "statement.posted"]
            assert posted["data"]["text"] is None
            assert posted["data"]["withdrawn"] is True
        # A fresh snapshot of the public views shows no withdrawn text either.
        o = await connect(server.ws_url, town.token("observer"))
        assert SECRET_TEXT not in json.dumps(o.welcome)
        assert QUESTION_TEXT not in json.dumps(o.welcome)
        await o.close()
        # Facilitators moderate it: their replay, like their snapshot, still shows it.
        frames = await _replay(server, town.token("facilitator"), epoch, last["seq"])
        assert SECRET_TEXT in json.dumps(frames)
    finally:
        await close_all([f, p])

"""Setup hook of the `app` preset: a live town hall on the real Townhall server.

bench/run.py calls `live_townhall(base_url)` once the server listens: it creates a town
hall through the organiser REST API (SPEC §4) with the key the preset gave the server,
starts its session as a facilitator over the WebSocket (statements need a live
session), and hands back the tokens: observers subscribe (participants with
`live_townhall_participants`), facilitators publish `statement.post`.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
from websockets.sync.client import connect

# Given to the benchmark's own server only (TOWNHALL_ORGANISER_KEY in the preset).
ORGANISER_KEY = "townhall-bench-organiser"


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _start_session(ws_url: str, facilitator: str) -> None:
    with connect(ws_url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "data": {"token": facilitator, "name": "bench"}}))
        ws.send(json.dumps({"type": "session.start", "id": "bench-start", "data": {}}))
        # Read until the command is answered: frames may hold one message or an array.
        for _ in range(100):
            frame = json.loads(ws.recv(timeout=10))
            for message in frame if isinstance(frame, list) else [frame]:
                if message.get("id") == "bench-start":
                    if message["type"] == "error":
                        raise RuntimeError(f"session.start refused: {message['code']}")
                    return
        raise RuntimeError("session.start was never answered")


def live_townhall(base_url: str, subscribers: str = "observer") -> dict[str, str]:
    response = httpx.post(
        f"{base_url}/api/townhalls",
        headers={"Authorization": f"Bearer {ORGANISER_KEY}"},
        # Every subscriber may be a participant: past the default cap of 10,000 per room.
        json={
            "title": "Fan-out benchmark",
            "settings": {"slow_mode_s": 0, "max_participants": 100_000},
        },
        timeout=30,
    )
    response.raise_for_status()
    links = response.json()["links"]
    facilitator = _token(links["facilitator"])
    ws_url = base_url.replace("http", "ws", 1) + "/ws"
    _start_session(ws_url, facilitator)
    return {"token": _token(links[subscribers]), "pub_token": facilitator, "path": "/ws"}


def live_townhall_participants(base_url: str) -> dict[str, str]:
    """The same town hall, with subscribers joining by the participant link."""
    return live_townhall(base_url, "participant")


STATEMENTS = 3000  # issue 16: "a room of 5,000 participants and 3,000 statements"


def live_townhall_statements(base_url: str) -> dict[str, str]:
    """The participants' town hall with ``STATEMENTS`` statements already posted (by
    the facilitator, 200 at a time: a connection may have 256 commands in flight)."""
    tokens = live_townhall(base_url, "participant")
    ws_url = base_url.replace("http", "ws", 1) + "/ws"
    with connect(ws_url, open_timeout=10, max_size=2**24) as ws:
        ws.send(json.dumps({"type": "hello", "data": {"token": tokens["pub_token"], "name": "b"}}))
        sent = 0
        while sent < STATEMENTS:
            chunk = range(sent, min(sent + 200, STATEMENTS))
            for n in chunk:
                text = f"Statement {n}: the budget line for the parks should double next year."
                ws.send(
                    json.dumps({"type": "statement.post", "id": f"s{n}", "data": {"text": text}})
                )
            waiting = {f"s{n}" for n in chunk}
            while waiting:
                frame = json.loads(ws.recv(timeout=30))
                for message in frame if isinstance(frame, list) else [frame]:
                    if message.get("id") in waiting:
                        if message["type"] == "error":
                            raise RuntimeError(f"statement.post refused: {message['code']}")
                        waiting.discard(message["id"])
            sent += len(chunk)
    return tokens

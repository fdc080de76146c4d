"""Lost Redis state is never silent: a PRIVATE redis-server without persistence is
restarted under a live town hall. The worker says so on /health (degraded, which room)
and in its log, closes the room's sockets, refuses every hello with ``state_lost``
instead of showing an empty room, and writes nothing of the empty room to SQL."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from realtime.client import Client, ClientError
from tests.realtime.redis_private import PrivateRedis
from tests.services import WorkerPool
from tests.townhall.api_harness import token_of

pytestmark = [pytest.mark.redis, pytest.mark.slow]

KEY = "thk_lost-state-key"


async def _until(check: Any, what: str, within_s: float = 60.0) -> Any:
    deadline = time.monotonic() + within_s  # bounded: a missed loss fails, never hangs
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"never: {what}")


async def test_a_live_room_whose_redis_restarted_empty_is_reported_and_refused(
    worker_pool: WorkerPool, tmp_path: Path
) -> None:
    redis = PrivateRedis(tmp_path, aof=False)
    await redis.start()
    try:
        env = {"TOWNHALL_REDIS_URL": redis.address, "TOWNHALL_ORGANISER_KEY": KEY}
        (worker,) = await asyncio.to_thread(worker_pool.start, 1, env)
        auth = {"authorization": f"Bearer {KEY}"}
        async with httpx.AsyncClient(base_url=worker.url, headers=auth, timeout=30) as http:
            made = (await http.post("/api/townhalls", json={"title": "Riverside"})).json()
            room, links = made["id"], made["links"]
            chair = Client(worker.ws_url, token_of(links["facilitator"]), origin=worker.url)
            voice = Client(worker.ws_url, token_of(links["participant"]), name="Ann",
                           origin=worker.url)  # fmt: skip
            await chair.connect()
            await voice.connect()
            await chair.request("session.start")
            for n in range(10):
                await voice.request("statement.post", {"text": f"statement {n}"})

            async def row_live() -> bool:
                return bool((await http.get(f"/api/townhalls/{room}")).json()["status"] == "live")

            await _until(row_live, "the town hall row says live")
            assert (await http.get("/health")).json()["lost_rooms"] == []

            await redis.kill()  # no AOF, no snapshot: everything Redis held is gone
            await redis.start()

            async def degraded() -> dict[str, Any] | None:
                answer = await http.get("/health")
                body: dict[str, Any] = answer.json()
                return body if answer.status_code == 503 and body["lost_rooms"] else None

            health = await _until(degraded, "/health reports the lost room")
            assert health["status"] == "degraded"
            assert health["lost_rooms"] == [room]
            # The people in the room are told, not shown an empty room: their sockets
            # are closed, and every hello (their resume, a new join) gets state_lost.
            assert await chair.wait_closed(within=30) is not None
            for token, name in ((links["participant"], "Bo"), (links["observer"], None)):
                late = Client(worker.ws_url, token_of(token), name=name, origin=worker.url)
                with pytest.raises(ClientError) as refused:
                    await late.connect()
                assert refused.value.code == "state_lost"
                await late.close()
            row = (await http.get(f"/api/townhalls/{room}")).json()
            assert (row["status"], row["title"]) == ("live", "Riverside")  # SQL untouched
        for client in (chair, voice):
            await client.close()
        text = worker.log.read_text()
        assert text.count(f"town hall {room} is live in the database but its live log") == 1
    finally:
        await redis.kill()

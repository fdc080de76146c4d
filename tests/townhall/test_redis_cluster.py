"""Townhall on a real 3-master Redis Cluster (``redis+cluster://``): two servers share a
live room (room log, presence and the ballot vault all on the cluster)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from realtime.client import Client
from tests.services import RedisCluster, WorkerPool
from tests.townhall.api_harness import token_of
from townhall.settings import load_settings

pytestmark = [pytest.mark.redis, pytest.mark.slow]

KEY = "thk_cluster-test-key"


def test_a_cluster_url_is_a_shared_bus() -> None:
    settings = load_settings(redis_url="redis+cluster://10.0.0.7:7000", workers=2)
    assert settings.distributed
    assert settings.bus_url == "redis+cluster://10.0.0.7:7000"


async def test_two_servers_share_a_room_on_a_redis_cluster(
    worker_pool: WorkerPool, redis_cluster: RedisCluster, postgres_url: str
) -> None:
    env = {
        "TOWNHALL_REDIS_URL": f"{redis_cluster.url}?prefix=th-cluster-{id(worker_pool)}:",
        "TOWNHALL_DATABASE_URL": postgres_url,
        "TOWNHALL_ORGANISER_KEY": KEY,
    }
    one, two = await asyncio.to_thread(worker_pool.start, 2, env)
    async with httpx.AsyncClient(timeout=30) as http:
        made = await http.post(
            f"{one.url}/api/townhalls",
            json={"title": "Cluster"},
            headers={"authorization": f"Bearer {KEY}"},
        )
        links = made.json()["links"]
        chair = Client(one.ws_url, token_of(links["facilitator"]), origin=one.url)
        voter = Client(two.ws_url, token_of(links["participant"]), name="Ann", origin=two.url)
        await chair.connect()
        await voter.connect()
        await chair.request("session.start")
        poll = await chair.request(
            "poll.create", {"question": "Yes?", "kind": "yes_no_abstain", "secret": True}
        )
        await chair.request("poll.open", {"poll": poll["result"]["poll"]})
        voted = await voter.request("poll.vote", {"poll": poll["result"]["poll"], "choice": 0})
        for client in (chair, voter):
            while client.seq < voted["seq"]:
                await asyncio.wait_for(client.next_event(), 30)
        since = voter.trace[0][0]  # one order, whichever server each client is on
        assert [e for e in chair.trace if e[0] >= since] == voter.trace
        assert voter.gaps == chair.gaps == 0
        for worker in (one, two):
            health = (await http.get(f"{worker.url}/health")).json()
            assert (health["status"], health["bus"], health["lost_rooms"]) == ("ok", "redis", [])
    await chair.close()
    await voter.close()

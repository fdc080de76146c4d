"""Attack class: floods through the shared participant link. One script opened 177
identities a second, and 10 identities sent 400 statements past the per-person rate
limit. Now: hellos and new participants per client address and per link are rate
limited, a room admits at most ``max_participants`` participants, and each identity
keeps its own message rate."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from realtime.client import Client, ClientError
from tests import services
from tests.townhall.scripted import call, close_all, connect, create_town, worker_env


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[services.Worker]:
    """A worker with small join limits: 4 new participants per address at once."""
    base: Path = tmp_path_factory.mktemp("floods")
    env = {
        **worker_env(f"sqlite+aiosqlite:///{base / 'townhall.db'}"),
        "TOWNHALL_JOIN_RATE_PER_MIN": "1",
        "TOWNHALL_JOIN_BURST": "4",
        "TOWNHALL_HELLO_RATE_PER_S": "2",  # a burst of 12 hellos
    }
    for pool in services.pool(base, env):
        (worker,) = pool.start(1)
        yield worker


async def _refusal(url: str, token: str, name: str | None) -> str:
    with pytest.raises(ClientError) as refused:
        await connect(url, token, name)
    return refused.value.code


async def test_new_identities_per_address_are_limited(tight: services.Worker) -> None:
    town = await create_town(tight.url, "Flood")
    people: list[Client] = []
    try:
        for i in range(4):
            people.append(await connect(tight.ws_url, town.token("participant"), f"Bot {i}"))
        assert await _refusal(tight.ws_url, town.token("participant"), "Bot 5") == "rate_limited"
        # Coming back with one's own resume token is not a new identity.
        await people[0].reconnect()
        # The hellos themselves are limited too: a burst of 12, then 2 a second.
        codes = []
        for _ in range(16):
            try:
                observer = await connect(tight.ws_url, town.token("observer"))
                await observer.close()
                codes.append("ok")
            except ClientError as exc:
                codes.append(exc.code)
        assert "rate_limited" in codes
        assert codes[0] == "ok"
    finally:
        await close_all(people)


async def test_a_room_admits_at_most_max_participants(server: services.Worker) -> None:
    town = await create_town(server.url, "Capped", settings={"max_participants": 3})
    f = await connect(server.ws_url, town.token("facilitator"))
    people = [await connect(server.ws_url, town.token("participant"), f"P{i}") for i in range(3)]
    try:
        assert await _refusal(server.ws_url, town.token("participant"), "P4") == "room_full"
        # Those already in come back; facilitators are not counted.
        await people[0].reconnect()
        f2 = await connect(server.ws_url, town.token("facilitator"), "Co-chair")
        await f2.close()
        await call(f, "room.settings", {"max_participants": 4})
        people.append(await connect(server.ws_url, town.token("participant"), "P4"))
        assert (await asyncio.wait_for(f.next_event(), 10))["seq"] > 0
    finally:
        await close_all([f, *people])


async def test_each_identity_keeps_its_message_rate(server: services.Worker) -> None:
    town = await create_town(server.url, "Rates")
    f = await connect(server.ws_url, town.token("facilitator"))
    p = await connect(server.ws_url, town.token("participant"), "Spammer")
    try:
        await call(f, "session.start")
        sent = [p.send("statement.post", {"text": f"spam {i}"}) for i in range(120)]
        results = await asyncio.gather(*sent, return_exceptions=True)
        limited = [r for r in results if isinstance(r, ClientError) and r.code == "rate_limited"]
        assert limited  # the per-person bucket (40 burst) refuses the rest
    finally:
        await close_all([f, p])

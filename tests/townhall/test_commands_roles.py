"""Every command against every role, through a real server: observers change nothing,
participants cannot run the room, each command is accepted from the role that owns it;
removal with a ban, locked rooms, the lobby and rotated links keep people out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from facilitation import codec
from facilitation.roles import FACILITATOR, PARTICIPANT
from realtime.client import Client, ClientError, Disconnected
from tests import services
from tests.townhall.scripted import (
    Town,
    call,
    close_all,
    connect,
    create_town,
    reconnect,
    refusal,
    rest,
    token_of,
    until,
    worker_env,
    you,
)

# Well-formed data for every client command, so a refusal can only come from the role.
SAMPLE: dict[str, dict[str, Any]] = {
    "hand.raise": {"kind": "speak"},
    "hand.lower": {},
    "floor.grant": {},
    "floor.yield": {},
    "floor.end": {},
    "floor.extend": {"seconds": 30},
    "queue.close": {},
    "queue.open": {},
    "queue.clear": {},
    "queue.move": {"participant": "p0", "position": 0},
    "agenda.add": {"title": "Extra", "duration_s": 60},
    "agenda.update": {"item": "i0", "title": "Renamed"},
    "agenda.remove": {"item": "i0"},
    "agenda.start": {"item": "i0"},
    "agenda.complete": {},
    "agenda.reorder": {"items": ["i0"]},
    "agenda.pause": {},
    "agenda.resume": {},
    "agenda.extend": {"seconds": 60},
    "poll.create": {"question": "Agreed?", "kind": "yes_no_abstain"},
    "poll.open": {"poll": "x"},
    "poll.vote": {"poll": "x", "choice": 0},
    "poll.close": {"poll": "x"},
    "poll.publish": {"poll": "x"},
    "statement.post": {"text": "Hello"},
    "statement.hide": {"statement": "s", "reason": "Off topic"},
    "transcript.append": {"text": "Caption"},
    "question.ask": {"text": "Why?"},
    "question.upvote": {"question": "q"},
    "question.answer": {"question": "q"},
    "question.dismiss": {"question": "q"},
    "question.to_queue": {"question": "q"},
    "question.approve": {"question": "q"},
    "question.hide": {"question": "q", "reason": "Rude"},
    "reaction.send": {"kind": "agree"},
    "cheer.send": {"presenter": "Kim"},
    "cheer.reveal": {"item": "i0"},
    "proposal.submit": {"text": "Idea"},
    "proposal.support": {"proposal": "x"},
    "proposal.unsupport": {"proposal": "x"},
    "proposal.merge": {"proposal": "x", "into": "y"},
    "proposal.hide": {"proposal": "x", "reason": "Off topic"},
    "decision.record": {"item": "i0", "text": "Decided"},
    "participant.mute": {"participant": "p0"},
    "participant.unmute": {"participant": "p0"},
    "participant.admit": {"participant": "p0"},
    "participant.remove": {"participant": "p0", "ban": True, "reason": "Abuse"},
    "room.lock": {},
    "room.unlock": {},
    "room.settings": {"slow_mode_s": 0},
    "session.start": {},
    "session.end": {},
    "ping": {},
}
CHANGING = sorted(set(SAMPLE) - {"ping"})
STAFF_ONLY = sorted(set(SAMPLE) & (FACILITATOR - PARTICIPANT))


@dataclass
class Server:
    url: str
    ws: str


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    base: Path = tmp_path_factory.mktemp("roles")
    pool = services.WorkerPool(base_dir=base)
    try:
        env = worker_env(f"sqlite+aiosqlite:///{base / 'townhall.db'}")
        (worker,) = await asyncio.to_thread(pool.start, 1, env)
        yield Server(worker.url, worker.ws_url)
    finally:
        await asyncio.to_thread(pool.stop_all)


@dataclass
class Live:
    town: Town
    facilitator: Client
    participant: Client
    observer: Client


@pytest.fixture(scope="module")
async def live(server: Server) -> AsyncIterator[Live]:
    """A live session with its first item running: the room every refusal is tried in."""
    town = await create_town(server.url, "Roles", [("First", 600), ("Second", 600)])
    f = await connect(server.ws, town.token("facilitator"), "Facilitator")
    p = await connect(server.ws, town.token("participant"), "Participant")
    o = await connect(server.ws, town.token("observer"))
    await call(f, "session.start")
    await call(f, "agenda.start", {"item": f.welcome["snapshot"]["agenda"]["items"][0]["id"]})
    yield Live(town, f, p, o)
    await close_all([f, p, o])


def test_the_sample_covers_every_client_command() -> None:
    assert set(SAMPLE) == set(codec.SPECS)


@pytest.mark.parametrize("command", CHANGING)
async def test_observer_may_not(live: Live, command: str) -> None:
    assert await refusal(live.observer, command, SAMPLE[command]) == "forbidden"


async def test_observer_ping_changes_nothing(live: Live) -> None:
    before = live.facilitator.seq
    ack = await call(live.observer, "ping")
    assert ack["seq"] >= before
    mine = you(live.observer)
    assert not any(str(e.get("cause") or "").startswith(mine) for e in live.facilitator.history)


@pytest.mark.parametrize("command", STAFF_ONLY)
async def test_participant_may_not(live: Live, command: str) -> None:
    assert await refusal(live.participant, command, SAMPLE[command]) == "forbidden"


async def test_participant_may_not_lower_someone_elses_hand(live: Live) -> None:
    await call(live.facilitator, "hand.raise", {"kind": "speak"})
    data = {"participant": you(live.facilitator)}
    assert await refusal(live.participant, "hand.lower", data) == "forbidden"
    await call(live.facilitator, "hand.lower")


async def test_every_command_is_accepted_from_its_role(server: Server) -> None:
    town = await create_town(server.url, "Every command", [("One", 600), ("Two", 600)])
    token = town.token("participant")
    f = await connect(server.ws, town.token("facilitator"), "Facilitator")
    a, b, c = [await connect(server.ws, token, name) for name in ("Ana", "Bo", "최민")]
    done: set[str] = set()

    async def ok(client: Client, type: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        if client is not f:
            assert type in PARTICIPANT or type == "ping", type
        ack = await call(client, type, data)
        done.add(type)
        return ack

    try:
        one, two = (i["id"] for i in f.welcome["snapshot"]["agenda"]["items"])
        extra = (await ok(f, "agenda.add", {"title": "Extra", "duration_s": 60}))["result"]
        await ok(f, "agenda.update", {"item": extra["item"], "title": "Extra item"})
        await ok(f, "agenda.reorder", {"items": [extra["item"], one, two]})
        await ok(f, "agenda.remove", {"item": extra["item"]})
        await ok(f, "room.settings", {"queue_policy": "fair", "turn_s": 60})
        await call(f, "agenda.update", {"item": one, "presenters": ["Kim", "Lee"]})
        await ok(f, "session.start")
        await ok(f, "agenda.start", {"item": one})
        for type, data in (
            ("agenda.pause", {}),
            ("agenda.resume", {}),
            ("agenda.extend", {"seconds": 30}),
        ):
            await ok(f, type, data)
        await ok(a, "hand.raise", {"kind": "speak"})
        await ok(b, "hand.raise", {"kind": "speak"})
        await ok(c, "hand.raise", {"kind": "point_of_order"})
        await ok(f, "queue.move", {"participant": you(b), "position": 0})
        await ok(a, "hand.lower")
        await ok(f, "hand.lower", {"participant": you(c)})
        await ok(f, "floor.grant")
        assert f.history[-1]["data"]["participant"] == you(b)
        await ok(b, "statement.post", {"text": "My point"})
        await ok(f, "transcript.append", {"text": "Caption"})
        await ok(f, "floor.extend", {"seconds": 30})
        await ok(a, "hand.raise", {"kind": "reply"})
        await ok(b, "floor.yield")
        await ok(f, "floor.grant", {"participant": you(a)})
        await ok(f, "floor.end")
        await ok(f, "queue.close")
        await ok(f, "queue.open")
        await ok(c, "hand.raise")
        await ok(f, "queue.clear")
        q1 = (await ok(a, "question.ask", {"text": "First?"}))["result"]["question"]
        await ok(b, "question.upvote", {"question": q1})
        await ok(f, "question.answer", {"question": q1})
        q2 = (await ok(a, "question.ask", {"text": "Second?"}))["result"]["question"]
        await ok(f, "question.dismiss", {"question": q2})
        q3 = (await ok(b, "question.ask", {"text": "Third?"}))["result"]["question"]
        await ok(f, "question.to_queue", {"question": q3})
        await ok(f, "room.settings", {"questions_premoderated": True})
        q4 = (await ok(c, "question.ask", {"text": "Fourth?", "anonymous": True}))["result"]
        await ok(f, "question.approve", {"question": q4["question"]})
        await ok(f, "question.hide", {"question": q4["question"], "reason": "Off topic"})
        await ok(a, "reaction.send", {"kind": "agree"})
        await ok(b, "cheer.send", {"presenter": "Kim"})
        await ok(f, "cheer.reveal", {"item": one})
        x1 = (await ok(a, "proposal.submit", {"text": "Free buses"}))["result"]["proposal"]
        x2 = (await ok(b, "proposal.submit", {"text": "Cheap buses"}))["result"]["proposal"]
        x3 = (await ok(c, "proposal.submit", {"text": "Rude idea"}))["result"]["proposal"]
        await ok(b, "proposal.support", {"proposal": x1})
        await ok(b, "proposal.unsupport", {"proposal": x1})
        await ok(f, "proposal.merge", {"proposal": x2, "into": x1})
        await ok(f, "proposal.hide", {"proposal": x3, "reason": "Rude"})
        created = await ok(f, "poll.create", {"question": "Agreed?", "kind": "yes_no_abstain"})
        poll = created["result"]["poll"]
        await ok(f, "poll.open", {"poll": poll})
        await ok(a, "poll.vote", {"poll": poll, "choice": 0})
        await ok(f, "poll.close", {"poll": poll})
        await ok(f, "poll.publish", {"poll": poll})
        decision = {"item": one, "text": "Agreed", "poll": poll, "dissent": "None"}
        await ok(f, "decision.record", decision)
        sid = (await ok(a, "statement.post", {"text": "Rude"}))["result"]["statement"]
        await ok(f, "statement.hide", {"statement": sid, "reason": "Rude"})
        await ok(f, "participant.mute", {"participant": you(a)})
        await ok(f, "participant.unmute", {"participant": you(a)})
        await ok(f, "room.lock")
        await ok(f, "room.unlock")
        await ok(f, "room.settings", {"lobby": True})
        d = await connect(server.ws, token, "Late")
        assert d.welcome["snapshot"]["you"]["status"] == "waiting"
        assert await refusal(d, "hand.raise") == "not_admitted"
        await ok(f, "participant.admit", {"participant": you(d)})
        await call(d, "hand.raise")
        await ok(f, "participant.remove", {"participant": you(c), "reason": "Left early"})
        await ok(f, "agenda.complete")
        await ok(a, "ping")
        await ok(f, "session.end")
        assert done == set(SAMPLE)
        await close_all([d])
    finally:
        await close_all([f, a, b, c])


async def _outcome(client: Client, type: str) -> str:
    try:
        await client.request(type, {}, within=10)
    except ClientError as exc:
        return exc.code
    except Disconnected:
        return "closed"
    return "accepted"


async def test_banned_participant_cannot_rejoin(server: Server, live: Live) -> None:
    r = await connect(server.ws, live.town.token("participant"), "Troll")
    await call(
        live.facilitator,
        "participant.remove",
        {"participant": you(r), "ban": True, "reason": "Abuse"},
    )
    # Refused as removed, or already disconnected by the removal: both keep them out.
    assert await _outcome(r, "hand.raise") in ("removed", "closed")
    with pytest.raises(ClientError) as again:
        await reconnect(r)  # with its personal resume token
    assert again.value.code == "banned"
    log = live.facilitator.history
    removal = [e for e in log if e["name"] == "participant.removed"][-1]
    assert (removal["data"]["participant"], removal["data"]["ban"]) == (you(r), True)
    await r.close()


async def test_removed_participant_is_disconnected(server: Server, live: Live) -> None:
    r = await connect(server.ws, live.town.token("participant"), "Removed")
    await call(live.facilitator, "participant.remove", {"participant": you(r)})
    await r.wait_closed(within=5)
    await r.close()


async def test_locked_room_refuses_new_participants(server: Server, live: Live) -> None:
    await call(live.facilitator, "room.lock")
    try:
        with pytest.raises(ClientError) as refused:
            await connect(server.ws, live.town.token("participant"), "Latecomer")
        assert refused.value.code == "room_locked"
        # Staff still get in: a locked room is locked to new participants only.
        f2 = await connect(server.ws, live.town.token("facilitator"), "Co-facilitator")
        await f2.close()
    finally:
        await call(live.facilitator, "room.unlock")


async def test_rotated_link_is_refused(server: Server) -> None:
    town = await create_town(server.url, "Rotation", [("Only", 600)])
    f = await connect(server.ws, town.token("facilitator"), "Facilitator")
    p = await connect(server.ws, town.token("participant"), "Before")
    try:
        response = await rest(
            server.url,
            "POST",
            f"/api/townhalls/{town.id}/links/rotate",
            json={"roles": ["participant"]},
        )
        assert response.status_code == 200, response.text
        new = token_of(response.json()["links"]["participant"])
        await until(lambda: p.close_code is not None, "the rotated participant to be closed", 10)
        for stale in (town.token("participant"), p.resume_token or ""):
            with pytest.raises(ClientError) as refused:
                await connect(server.ws, stale, "Again")
            assert refused.value.code == "bad_token"
        with pytest.raises(ClientError) as resumed:
            await reconnect(p)
        assert resumed.value.code == "bad_token"
        fresh = await connect(server.ws, new, "After")
        await call(fresh, "ping")
        await fresh.close()
        assert f.close_code is None  # the facilitator link was not rotated
        await call(f, "ping")
    finally:
        await close_all([f, p])

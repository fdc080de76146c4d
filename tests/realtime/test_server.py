"""The hub end to end in one process: real uvicorn, real sockets, the memory:// log."""

from __future__ import annotations

import asyncio

import pytest

from realtime.client import Client, ClientError
from tests.realtime.conftest import ServeFn


async def test_welcome_then_ack_after_own_event(serve: ServeFn) -> None:
    s = await serve()
    client = Client(s.url, "participant@main", name="Ana")
    welcome = await client.connect()
    assert welcome["type"] == "welcome"
    assert welcome["you"]["name"] == "Ana"
    assert welcome["you"]["role"] == "participant"
    assert welcome["snapshot"]["total"] == 0
    # our own join ran before the welcome and is folded into its snapshot
    assert welcome["snapshot"]["members"] == [welcome["you"]["participant"]]
    assert welcome["seq"] == 1
    ack = await client.request("counter.add", {"n": 5})
    assert ack["result"] == {"total": "5"}
    event = await client.next_event()
    assert event["seq"] == ack["seq"] == 2
    assert event["name"] == "counter.added"
    assert event["data"]["total"] == 5
    assert event["cause"] == ack["id"]  # the client's own id, never its identity key
    await client.close()


async def test_every_client_sees_the_same_order(serve: ServeFn) -> None:
    s = await serve()
    clients = [Client(s.url, "participant@r1") for _ in range(5)]
    for c in clients:
        await c.connect()
    acks = await asyncio.gather(*(c.request("counter.add", {"n": 1}) for c in clients * 4))
    last = max(a["seq"] for a in acks)
    for c in clients:
        while c.seq < last:
            await c.next_event()
    lists = [[(e["seq"], e["name"], e["data"]) for e in c.history if e["seq"] > 5] for c in clients]
    assert all(lst == lists[0] for lst in lists)
    assert [e[2]["total"] for e in lists[0] if e[1] == "counter.added"] == list(range(1, 21))
    assert all(c.gaps == 0 for c in clients[-1:])
    for c in clients:
        await c.close()


async def test_resend_after_reconnect_is_applied_once(serve: ServeFn) -> None:
    s = await serve()
    client = Client(s.url, "participant@main")
    await client.connect()
    first = await client.request("once.claim")
    # the same id again, as a client does after a reconnect: the original ack, no new event
    again = client.send("once.claim", id=first["id"])
    assert (await asyncio.wait_for(again, 5)) == first
    fresh = client.send("once.claim")
    with pytest.raises(ClientError) as refused:
        await asyncio.wait_for(fresh, 5)
    assert refused.value.code == "already_claimed"
    assert sum(e["name"] == "once.claimed" for e in client.history) == 1
    await client.close()


async def test_observer_is_read_only_and_sees_only_public(serve: ServeFn) -> None:
    s = await serve()
    fac = Client(s.url, "facilitator@main")
    obs = Client(s.url, "observer@main")
    await fac.connect()
    welcome = await obs.connect()
    assert "notes" not in welcome["snapshot"]
    with pytest.raises(ClientError) as forbidden:
        await obs.request("counter.add", {"n": 1})
    assert forbidden.value.code == "forbidden"
    ping = await obs.request("ping")
    assert ping["seq"] == welcome["seq"]
    await fac.request("note.add", {"text": "secret"})
    ack = await fac.request("counter.add", {"n": 2})
    event = await obs.next_event()
    assert (event["name"], event["seq"]) == ("counter.added", ack["seq"])
    assert obs.gaps == 1  # the note's seq is skipped for this audience, never reordered
    assert [e["name"] for e in fac.history] == ["note.added", "counter.added"]
    await fac.close()
    await obs.close()


async def test_resume_replays_missed_events(serve: ServeFn) -> None:
    s = await serve()
    talker = Client(s.url, "participant@main")
    await talker.connect()
    listener = Client(s.url, "participant@main")
    await listener.connect()
    await talker.request("counter.add", {"n": 1})
    await listener.next_event()
    await listener.close()
    for _ in range(3):
        await talker.request("counter.add", {"n": 1})
    welcome = await listener.reconnect()
    assert welcome["resumed"] is True
    assert welcome["snapshot"] is None
    seen = [await listener.next_event() for _ in range(5)]
    # its leave (recorded as the old socket closed, so possibly among the adds), three
    # adds, then its own rejoin
    names = [e["name"] for e in seen]
    assert sorted(names[:4]) == ["counter.added"] * 3 + ["member.left"]
    assert names[4] == "member.joined"
    assert listener.gaps == 0
    assert welcome["you"] == listener.welcome["you"]
    await talker.close()
    await listener.close()


async def test_resume_past_the_window_resyncs(serve: ServeFn) -> None:
    s = await serve(window=3)
    talker = Client(s.url, "participant@main")
    await talker.connect()
    listener = Client(s.url, "participant@main")
    await listener.connect()
    await listener.close()
    for _ in range(5):
        await talker.request("counter.add", {"n": 1})
    welcome = await listener.reconnect()
    assert listener.resyncs == 1
    assert welcome["resumed"] is False
    assert welcome["snapshot"]["total"] == 5
    assert welcome["seq"] == await s.rt.log.head("main")  # its rejoin is folded in
    await talker.close()
    await listener.close()


async def test_resume_from_another_epoch_resyncs(serve: ServeFn) -> None:
    s = await serve()
    client = Client(s.url, "participant@main")
    await client.connect()
    await client.close()
    client.epoch = "an-older-epoch"
    welcome = await client.reconnect()
    assert client.resyncs == 1
    assert welcome["snapshot"] is not None
    await client.close()


async def test_snapshot_plus_events_equals_fresh_snapshot(serve: ServeFn) -> None:
    s = await serve()
    early = Client(s.url, "participant@r2")
    first = await early.connect()
    others = [Client(s.url, "participant@r2") for _ in range(3)]
    for o in others:
        await o.connect()
    await asyncio.gather(*(o.request("counter.add", {"n": 3}) for o in others))
    await early.request("chat.say", {"text": "hi"})
    late = Client(s.url, "observer@r2")
    fresh = await late.connect()
    while early.seq < fresh["seq"]:
        await early.next_event()
    members = set(first["snapshot"]["members"])
    total = first["snapshot"]["total"]
    for e in early.history:
        if e["name"] == "member.joined":
            members.add(e["data"]["who"])
        elif e["name"] == "counter.added":
            total = e["data"]["total"]
    assert fresh["snapshot"]["members"] == sorted(members)
    assert fresh["snapshot"]["total"] == total == 9
    for c in [early, late, *others]:
        await c.close()


async def test_iter_events_yields_every_event_in_order(serve: ServeFn) -> None:
    s = await serve()
    client = Client(s.url, "participant@r3")
    await client.connect()
    acks = [await client.request("counter.add", {"n": n}) for n in (1, 2, 3)]
    totals = []
    async for event in client.iter_events():
        totals.append(event["data"]["total"])
        if event["seq"] == acks[-1]["seq"]:
            break
    assert totals == [1, 3, 6]
    await client.close()


async def test_presence_is_coalesced_per_tick(serve: ServeFn) -> None:
    s = await serve(presence_interval=0.3)
    fac = Client(s.url, "facilitator@main")
    await fac.connect()
    observers = [Client(s.url, "observer@main") for _ in range(30)]
    await asyncio.gather(*(o.connect() for o in observers))
    for _ in range(500):
        counts = [e["data"]["counts"] for e in fac.history if e["name"] == "presence.updated"]
        if counts and counts[-1] == {"facilitator": 1, "public": 30}:
            break
        await asyncio.sleep(0.01)
    assert counts[-1] == {"facilitator": 1, "public": 30}
    assert len(counts) <= 4  # 31 connections, a handful of presence events
    for o in observers:
        await o.close()
    await fac.close()


async def test_a_snapshot_bigger_than_the_byte_budget_is_still_delivered(serve: ServeFn) -> None:
    s = await serve(byte_budget=600)
    for _ in range(60):  # one at a time, so no live connection gets near its budget
        claimer = Client(s.url, "participant@r1", keep_history=False)
        await claimer.connect()
        await claimer.request("once.claim")
        await claimer.close()
    late = Client(s.url, "observer@r1")
    welcome = await late.connect()
    assert len(welcome["snapshot"]["claimed"]) == 60  # well over 600 characters
    assert (await late.request("ping"))["seq"] == welcome["seq"]
    await late.close()

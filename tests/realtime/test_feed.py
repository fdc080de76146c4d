"""Audience feeds: a broadcast is appended once, whatever the audience's size, and every
member still gets exactly what was broadcast while it was a member, in order with its
own messages, in slices or not, joining and leaving at any point."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime.fanout import Flusher, Outbox, RoomFanout, Traffic
from realtime.wire import CloseCode
from tests.realtime.test_transport import FakeSocket, StepClock, _never, _never_close


def _outbox(sock: FakeSocket, flusher: Flusher, budget: int = 10_000) -> Outbox:
    return Outbox(_never, _never_close, budget, Traffic(), frames=(sock, flusher))


def _messages(sock: FakeSocket) -> list[object]:
    out: list[object] = []
    for text in sock.texts():
        value = json.loads(text)
        out.extend(value if isinstance(value, list) else [value])
    return out


async def _ticks(n: int = 3) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_broadcast_is_one_append_and_one_frame_for_the_whole_audience() -> None:
    flusher = Flusher(clock=StepClock(0.0))  # time stands still: one slice, however slow
    fanout = RoomFanout()
    socks = [FakeSocket() for _ in range(1000)]
    outboxes = [_outbox(sock, flusher) for sock in socks]
    for outbox in outboxes:
        fanout.add("public", outbox)
    fanout.publish("public", "1")
    fanout.publish("public", "2,3", 2)
    feed = fanout._audiences["public"]
    assert feed.items == [("1", 1), ("2,3", 2)]  # nothing was pushed per connection
    assert all(o.queued == 0 for o in outboxes)
    await _ticks()
    assert flusher.passes == 1
    assert {s.texts()[0] for s in socks} == {"[1,2,3]"}
    assert all(s.frames[0] is socks[0].frames[0] for s in socks)  # one frame object
    assert feed.items == []
    assert feed.base == 2
    assert fanout.counts() == {"public": 1000}


async def test_own_messages_keep_their_place_among_broadcasts() -> None:
    flusher = Flusher()
    fanout = RoomFanout()
    me, other = FakeSocket(), FakeSocket()
    mine = _outbox(me, flusher)
    fanout.add("public", mine)
    fanout.add("public", _outbox(other, flusher))
    fanout.publish("public", '"event"')
    mine.push('"ack"')
    fanout.publish("public", '"next"')
    await _ticks()
    assert _messages(me) == ["event", "ack", "next"]
    assert _messages(other) == ["event", "next"]


async def test_joining_starts_at_the_end_and_leaving_keeps_what_was_sent() -> None:
    flusher = Flusher()
    fanout = RoomFanout()
    early, late = FakeSocket(), FakeSocket()
    early_box = _outbox(early, flusher)
    fanout.add("public", early_box)
    fanout.publish("public", "1")
    fanout.add("public", _outbox(late, flusher))
    fanout.publish("public", "2")
    fanout.discard("public", early_box)  # left before the pass: still gets 1 and 2
    fanout.publish("public", "3")
    await _ticks()
    assert _messages(early) == [1, 2]
    assert _messages(late) == [2, 3]
    assert fanout.counts() == {"public": 1}


async def test_a_member_past_its_budget_is_closed_and_leaves_the_audience() -> None:
    flusher = Flusher()
    fanout = RoomFanout()
    small, fine = FakeSocket(), FakeSocket()
    fanout.add("public", _outbox(small, flusher, budget=10))
    fanout.add("public", _outbox(fine, flusher))
    fanout.publish("public", '"' + "x" * 20 + '"')
    await _ticks()
    assert small.frames == []
    assert small.closed == (CloseCode.SLOW_CONSUMER, "slow_consumer")
    assert _messages(fine) == ["x" * 20]
    assert fanout.counts() == {"public": 1}


async def test_connections_without_the_flusher_still_get_each_broadcast() -> None:
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    flusher = Flusher()
    fanout = RoomFanout()
    tasked = Outbox(send, _never_close, 10_000, Traffic())
    fed = FakeSocket()
    fanout.add("public", tasked)
    fanout.add("public", _outbox(fed, flusher))
    writer = asyncio.ensure_future(tasked.run())
    fanout.publish("public", "1")
    await _ticks()
    assert sent == ["1"]
    assert _messages(fed) == [1]
    writer.cancel()


async def test_a_lazy_broadcast_waits_for_the_next_pass_or_its_delay() -> None:
    flusher = Flusher(lazy_delay=0.05)
    fanout = RoomFanout()
    socks = [FakeSocket() for _ in range(3)]
    for sock in socks:
        fanout.add("public", _outbox(sock, flusher))
    fanout.publish("public", "1", lazy=True)
    await _ticks()
    assert flusher.passes == 0  # a crowd's count alone starts no pass
    assert all(sock.frames == [] for sock in socks)
    await asyncio.sleep(0.1)
    assert flusher.passes == 1  # ... but it does not wait longer than its delay
    assert all(_messages(sock) == [1] for sock in socks)


async def test_a_lazy_broadcast_leaves_with_the_next_urgent_one_in_order() -> None:
    flusher = Flusher(lazy_delay=3600.0)
    fanout = RoomFanout()
    socks = [FakeSocket() for _ in range(3)]
    for sock in socks:
        fanout.add("public", _outbox(sock, flusher))
    fanout.publish("public", "1", lazy=True)
    fanout.publish("public", "2", lazy=True)
    await _ticks()
    assert flusher.passes == 0
    fanout.publish("public", "3")
    await _ticks()
    assert flusher.passes == 1
    assert all(_messages(sock) == [1, 2, 3] for sock in socks)
    assert all(len(sock.frames) == 1 for sock in socks)  # one frame for the three


async def test_an_own_message_takes_the_waiting_lazy_broadcasts_first() -> None:
    flusher = Flusher(lazy_delay=3600.0)
    fanout = RoomFanout()
    me, other = FakeSocket(), FakeSocket()
    mine = _outbox(me, flusher)
    fanout.add("public", mine)
    fanout.add("public", _outbox(other, flusher))
    fanout.publish("public", '"count"', lazy=True)
    mine.push('"welcome"')
    await _ticks()
    assert _messages(me) == ["count", "welcome"]  # the order holds
    assert other.frames == []  # the others wait: no pass over the whole room
    flusher.close()  # shutdown writes what waits
    assert _messages(other) == ["count"]


# One step of a scenario: publish (lazy or not), push to a connection, join, leave, or let
# the loop turn.
Step = tuple[str, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(["publish", "lazy", "push", "join", "leave", "turn"]), st.integers(0, 7)
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, slice_clock=st.sampled_from([0.0, 0.001]))
def test_every_member_gets_exactly_its_messages_in_order(
    steps: list[Step], slice_clock: float
) -> None:
    # A clock step of 1 ms with a 0-length slice cuts every pass after 64 writes: with
    # 8 connections a pass is never cut, so the slices come from 64 extra bystanders.
    async def scenario() -> None:
        flusher = Flusher(slice=0.0, clock=StepClock(slice_clock), lazy_delay=3600.0)
        fanout = RoomFanout()
        socks = [FakeSocket() for _ in range(8)]
        boxes = [_outbox(sock, flusher) for sock in socks]
        bystanders = [FakeSocket() for _ in range(64)]
        for sock in bystanders:
            fanout.add("public", _outbox(sock, flusher))
        member = [False] * 8
        expected: list[list[int]] = [[] for _ in range(8)]
        everyone: list[int] = []
        n = 0
        for op, who in steps:
            if op in ("publish", "lazy"):
                n += 1
                fanout.publish("public", str(n), lazy=op == "lazy")
                everyone.append(n)
                for i in range(8):
                    if member[i]:
                        expected[i].append(n)
            elif op == "push":
                n += 1
                boxes[who].push(str(n))
                expected[who].append(n)
            elif op == "join" and not member[who]:
                fanout.add("public", boxes[who])
                member[who] = True
            elif op == "leave" and member[who]:
                fanout.discard("public", boxes[who])
                member[who] = False
            elif op == "turn":
                await asyncio.sleep(0)
        flusher.close()
        for i in range(8):
            assert _messages(socks[i]) == expected[i]
        for sock in bystanders:
            assert _messages(sock) == everyone
        feed = fanout._audiences["public"]
        assert feed.items == []  # nothing kept once everyone had it

    loop = asyncio.new_event_loop()  # asyncio.run would unset the tests' loop
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()

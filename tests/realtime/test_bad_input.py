"""Hostile input against a real server: each gets its documented error or close code,
the worker keeps serving everyone else, and nothing is written to the room log."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from realtime.application import Principal
from realtime.client import Client, ClientError
from realtime.config import Limits
from realtime.sansio import Close, ConnectionProtocol, Reply, RunCommand
from realtime.wire import ERRORS, CloseCode
from tests.realtime.conftest import Served, ServeFn

ORIGIN = "https://townhall.example"
DOMAIN_CODES = {"unknown_command", "invalid_data", "forbidden"}


async def _raw(url: str, origin: str | None = ORIGIN) -> ClientConnection:
    return await connect(url, origin=Origin(origin) if origin else None, compression=None)


async def _closed_with(ws: ClientConnection) -> int | None:
    """Read until the server closes; its close code."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except ConnectionClosed:
        return ws.close_code


def corpus(seed: int = 4) -> list[str]:
    """Malformed frames: broken JSON, wrong types, unknown types, big and deep values."""
    rng = random.Random(seed)
    frames = [
        "",
        "{",
        "null",
        "[]",
        '"hello"',
        "{}",
        '{"type":null,"id":"a"}',
        '{"type":"counter.add","id":7}',
        '{"type":"counter.add","id":"a","data":"x"}',
        '{"type":"counter.add","id":"a","data":{"n":"many"}}',
        '{"type":"no.such","id":"a","data":{}}',
        '{"type":"../../etc","id":"a"}',
        '{"type":"counter.add"}',
        '{"type":"chat.say","id":"a","data":{"text":"' + "x" * 60_000 + '"}}',
        '{"type":"a.b","id":"a","data":{"k":' + "[" * 20_000 + "]" * 20_000 + "}}",
        '{"type":"a.b","id":"' + "i" * 1000 + '"}',
        '{"type":"hello","data":{"token":"participant@main"}}',
        '{"type":"counter.add","id":"a","data":{"n":1.5}}',
        '{"type":"counter.add","id":"a","data":{"n":true}}',
    ]
    good = '{"type":"counter.add","id":"a","data":{"n":1}}'
    for _ in range(60):  # byte-level mutations of a good command
        chars = list(good)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(chars))
            chars[i] = rng.choice('{}[]":,\\ 0aZ\u00e9\U0001f600')
        frame = "".join(chars)
        if frame != good and '"n":1}' not in frame:
            frames.append(frame)
    return frames


def _codes(client: Client) -> list[str]:
    return [e["code"] for e in client.errors]


@pytest.fixture
async def server(serve: ServeFn) -> Served:
    return await serve(origins=[ORIGIN], rate=10_000.0, burst=10_000, hello_timeout=0.5)


async def test_malformed_frames_get_errors_and_write_nothing(server: Served) -> None:
    good = Client(server.url, "participant@main", origin=ORIGIN)
    await good.connect()
    bad = Client(server.url, "participant@main", origin=ORIGIN)
    await bad.connect()
    head = await server.rt.log.head("main")
    frames = corpus()
    for frame in frames:
        await bad.send_raw(frame)
    for _ in range(500):
        if len(bad.errors) >= len(frames):
            break
        await asyncio.sleep(0.01)
    assert len(bad.errors) == len(frames)
    assert set(_codes(bad)) <= set(ERRORS) | DOMAIN_CODES
    assert {"bad_json", "invalid_message", "missing_id", "unknown_command"} <= set(_codes(bad))
    assert await server.rt.log.head("main") == head  # nothing was written
    ack = await bad.request("counter.add", {"n": 1})  # and the socket is still open
    assert ack["seq"] == head + 1
    while good.seq < head + 1:  # the other worker-side client is served all along
        await good.next_event()
    assert good.history[-1]["cause"].endswith(ack["id"])
    await good.close()
    await bad.close()


async def test_connection_level_abuse_is_closed_with_its_code(server: Served) -> None:
    ws = await _raw(server.url)
    await ws.send(b"\x00\xff")
    assert await _closed_with(ws) == CloseCode.UNSUPPORTED_DATA

    ws = await _raw(server.url)
    await ws.send('{"type":"hello","data":{"token":"participant@main"}}')
    await ws.recv()
    await ws.send('{"type":"chat.say","id":"a","data":{"text":"' + "x" * 70_000 + '"}}')
    assert await _closed_with(ws) == CloseCode.TOO_BIG

    ws = await _raw(server.url)  # says nothing
    assert await _closed_with(ws) == CloseCode.HELLO_TIMEOUT

    ws = await _raw(server.url)
    await ws.send('{"type":"counter.add","id":"1"}')
    assert await _closed_with(ws) == CloseCode.HELLO_REQUIRED


@pytest.mark.parametrize("token", ["expired@main", "participant@elsewhere", "nonsense", "x" * 5000])
async def test_bad_tokens_are_refused_4003(server: Served, token: str) -> None:
    client = Client(server.url, token, origin=ORIGIN)
    with pytest.raises(ClientError) as refused:
        await client.connect()
    assert refused.value.code in ("bad_token", "bad_hello")
    assert await client.wait_closed() in (CloseCode.BAD_TOKEN, CloseCode.HELLO_REQUIRED)
    assert "elsewhere" not in await server.rt.log.rooms()


async def test_a_forged_room_in_hello_is_ignored(server: Served) -> None:
    ws = await _raw(server.url)
    await ws.send('{"type":"hello","data":{"token":"participant@main","room":"r3"}}')
    welcome: dict[str, Any] = json.loads(await ws.recv())
    assert welcome["type"] == "welcome"
    assert "r3" not in await server.rt.log.rooms()
    await ws.close()


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1"])
async def test_a_wrong_origin_is_closed_4004_unread(server: Served, origin: str) -> None:
    # A browser's script cannot see an HTTP status of a refused handshake (only 1006,
    # like a network drop): the socket is accepted and closed at once with a code it
    # can read, and nothing it sends is read.
    ws = await _raw(server.url, origin)
    with contextlib.suppress(ConnectionClosed):
        await ws.send('{"type":"hello","data":{"token":"participant@main"}}')
    assert await _closed_with(ws) == CloseCode.ORIGIN_REFUSED
    assert int(CloseCode.ORIGIN_REFUSED) == 4004  # documented in docs/protocol
    assert ws.close_reason == "origin_not_allowed"
    assert await server.rt.log.rooms() == []


async def test_own_origin_is_the_default_allowlist(serve: ServeFn) -> None:
    s = await serve()
    own = s.url.replace("ws://", "http://").removesuffix("/ws")
    await (await _raw(s.url, own)).close()
    assert await _closed_with(await _raw(s.url, ORIGIN)) == CloseCode.ORIGIN_REFUSED


async def test_max_connections_is_a_clean_503(serve: ServeFn) -> None:
    s = await serve(max_connections=2)
    first, second = await _raw(s.url, None), await _raw(s.url, None)
    with pytest.raises(InvalidStatus) as refused:
        await _raw(s.url, None)
    assert refused.value.response.status_code == 503
    await first.close()
    await second.close()


async def test_a_flood_is_rate_limited_then_closed_4008(serve: ServeFn) -> None:
    s = await serve(rate=5.0, burst=5, abuse=30)
    flooder = Client(s.url, "participant@main")
    bystander = Client(s.url, "participant@main")
    await flooder.connect()
    await bystander.connect()
    futures = [flooder.send("counter.add", {"n": 1}) for _ in range(100)]
    assert await flooder.wait_closed() == CloseCode.RATE_LIMITED
    answered = [f for f in futures if f.done()]
    errors = [f.exception() for f in answered]
    codes = [e.code for e in errors if isinstance(e, ClientError)]
    assert codes.count("rate_limited") >= 29  # abuse=30: the 30th refusal in a row closes
    assert set(codes) == {"rate_limited"}
    ack = await bystander.request("counter.add", {"n": 1})
    while bystander.seq < ack["seq"]:
        await bystander.next_event()
    flooder_key = flooder.welcome["you"]["participant"]
    applied = [e for e in bystander.history if e["data"].get("by") == flooder_key]
    assert 1 <= len(applied) <= 6  # its burst, never the flood
    await bystander.close()


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.binary(max_size=50),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=20,
        ).map(json.dumps),
    )
)
def test_any_frame_gets_a_command_an_error_or_a_close(frame: str | bytes) -> None:
    session = ConnectionProtocol(Limits(), 0.0)
    session.receive_text('{"type":"hello","data":{"token":"t"}}', 0.0)
    session.authenticated()
    if isinstance(frame, bytes):
        actions = session.receive_bytes(frame, 0.0)
    else:
        actions = session.receive_text(frame, 0.0)
    assert actions
    for action in actions:
        assert isinstance(action, Reply | RunCommand | Close)
        if isinstance(action, Reply):
            assert json.loads(action.text)["code"] in ERRORS
        if isinstance(action, RunCommand):
            assert action.id is not None or action.type == "ping"


async def test_more_sockets_with_one_resume_token_buy_no_more_messages(serve: ServeFn) -> None:
    s = await serve(rate=0.01, burst=4, abuse=1000)
    first = Client(s.url, "participant@main")
    await first.connect()
    token = first.welcome["resume_token"]
    others = [Client(s.url, token) for _ in range(3)]
    for other in others:
        await other.connect()
        assert other.welcome["you"]["participant"] == first.welcome["you"]["participant"]
    futures = [c.send("counter.add", {"n": 1}) for c in (first, *others) for _ in range(4)]
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    acked = [o for o in outcomes if isinstance(o, dict)]
    limited = [o for o in outcomes if isinstance(o, ClientError) and o.code == "rate_limited"]
    assert len(acked) == 4  # one participant's burst, however many sockets it opens
    assert len(limited) == 12
    for client in (first, *others):
        await client.close()


async def test_a_flood_while_the_room_opens_is_read_and_limited(serve: ServeFn) -> None:
    """Hello, then a flood before the welcome: the reader keeps reading while the
    authenticator and the attach run, so the flood meets the rate limit and is closed
    (4008) even if the room never opens; nothing of it is applied."""
    s = await serve(rate=5.0, burst=5, abuse=30)
    opened = asyncio.Event()
    real = s.rt._connections.authenticator

    async def slow(token: str, data: dict[str, object]) -> Principal:
        await opened.wait()  # a room that takes its time to load
        return await real(token, data)

    s.rt._connections = dataclasses.replace(s.rt._connections, authenticator=slow)
    ws = await _raw(s.url, origin=None)
    await ws.send(json.dumps({"type": "hello", "data": {"token": "participant@main"}}))
    for i in range(100):
        await ws.send(json.dumps({"type": "counter.add", "id": f"c{i}", "data": {"n": 1}}))
    codes: list[str] = []
    try:
        with contextlib.suppress(ConnectionClosed):
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                codes.extend(m["code"] for m in (frame if isinstance(frame, list) else [frame]))
    finally:
        opened.set()
    assert ws.close_code == CloseCode.RATE_LIMITED
    assert set(codes) == {"rate_limited"}
    assert len(codes) >= 29
    for _ in range(100):  # the attach finishes after the close and is undone
        await asyncio.sleep(0.01)
        if not s.rt.counts("main").get("participant"):
            break
    assert not s.rt.counts("main").get("participant")
    assert (await s.rt.state("main")).total == 0

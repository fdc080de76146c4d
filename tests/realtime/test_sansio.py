"""The per-connection protocol logic without sockets: feed frames and time, read actions."""

from __future__ import annotations

import json
from typing import Any

from realtime.config import Limits
from realtime.sansio import (
    Action,
    Authenticate,
    Close,
    ConnectionProtocol,
    Phase,
    Reply,
    RunCommand,
)
from realtime.throttle import SharedBuckets, TokenBucket
from realtime.wire import CloseCode

LIMITS = Limits(rate=10.0, burst=3, abuse=5, hello_timeout=10.0)


def opened(now: float = 0.0) -> ConnectionProtocol:
    session = ConnectionProtocol(LIMITS, now)
    [auth] = session.receive_text('{"type":"hello","data":{"token":"t"}}', now)
    assert isinstance(auth, Authenticate)
    session.authenticated()
    return session


def errors(actions: list[Action]) -> list[str]:
    return [json.loads(a.text)["code"] for a in actions if isinstance(a, Reply)]


def closes(actions: list[Action]) -> list[int]:
    return [a.code for a in actions if isinstance(a, Close)]


def test_hello_in_data_is_authenticated() -> None:
    session = ConnectionProtocol(LIMITS, 0.0)
    frame = '{"type":"hello","data":{"token":"t","name":"민지","resume":{"epoch":"e","seq":4}}}'
    [auth] = session.receive_text(frame, 1.0)
    assert isinstance(auth, Authenticate)
    assert (auth.hello.token, auth.hello.name) == ("t", "민지")
    assert auth.hello.resume is not None
    assert auth.hello.resume.seq == 4
    assert session.phase is Phase.AUTH
    assert session.deadline is None


def test_hello_fields_at_top_level_are_accepted() -> None:
    [auth] = ConnectionProtocol(LIMITS, 0.0).receive_text(
        '{"type":"hello","token":"t","name":"A"}', 0.0
    )
    assert isinstance(auth, Authenticate)
    assert auth.hello.name == "A"


def test_a_command_before_hello_closes_4002() -> None:
    actions = ConnectionProtocol(LIMITS, 0.0).receive_text('{"type":"hand.raise","id":"1"}', 0.0)
    assert errors(actions) == ["hello_required"]
    assert closes(actions) == [CloseCode.HELLO_REQUIRED]


def test_hello_without_token_closes_4002() -> None:
    actions = ConnectionProtocol(LIMITS, 0.0).receive_text(
        '{"type":"hello","data":{"name":"x"}}', 0.0
    )
    assert errors(actions) == ["bad_hello"]
    assert closes(actions) == [CloseCode.HELLO_REQUIRED]


def test_no_hello_within_the_timeout_closes_4001() -> None:
    session = ConnectionProtocol(LIMITS, 100.0)
    assert session.timeout(109.9) == []
    assert closes(session.timeout(110.0)) == [CloseCode.HELLO_TIMEOUT]
    assert session.phase is Phase.CLOSED


def test_refused_token_says_why_then_closes_4003() -> None:
    session = ConnectionProtocol(LIMITS, 0.0)
    session.receive_text('{"type":"hello","data":{"token":"bad"}}', 0.0)
    actions = session.refused("bad_token", "unknown token")
    assert errors(actions) == ["bad_token"]
    assert closes(actions) == [CloseCode.BAD_TOKEN]


def test_commands_pass_through_with_their_id_and_data() -> None:
    [run] = opened().receive_text('{"type":"hand.raise","id":"c1","data":{"kind":"reply"}}', 0.1)
    assert run == RunCommand("hand.raise", "c1", {"kind": "reply"})


def test_malformed_frames_get_errors_and_the_socket_stays_open() -> None:
    session = opened()
    bad: dict[str, str] = {
        "{": "bad_json",
        '{"type":"a.b","id":"x","data":{"k":' + "[" * 9000 + "]" * 9000 + "}}": "bad_json",
        "[1,2]": "invalid_message",
        '{"type":5,"id":"x"}': "invalid_message",
        '{"type":"Hand Raise","id":"x"}': "invalid_message",
        '{"type":"a.b","id":"' + "x" * 65 + '"}': "invalid_message",
        '{"type":"a.b","id":"x","data":[]}': "invalid_message",
        '{"type":"a.b"}': "missing_id",
        '{"type":"hello","data":{"token":"t"}}': "already_hello",
    }
    for now, (frame, code) in enumerate(bad.items()):
        actions = session.receive_text(frame, now * 1.0)
        assert errors(actions) == [code], frame[:60]
        assert closes(actions) == []
    assert session.phase is Phase.OPEN


def test_ping_needs_no_id() -> None:
    [run] = opened().receive_text('{"type":"ping"}', 0.0)
    assert run == RunCommand("ping", None, {})


def test_binary_frames_close_1003() -> None:
    actions = opened().receive_bytes(b"\x00\x01", 0.0)
    assert errors(actions) == ["binary_frame"]
    assert closes(actions) == [CloseCode.UNSUPPORTED_DATA]


def test_a_flood_is_rate_limited_then_closed() -> None:
    session = opened()
    frame = '{"type":"a.b","id":"x"}'
    outcomes: list[Any] = [session.receive_text(frame, 0.0) for _ in range(3)]
    assert all(isinstance(o[0], RunCommand) for o in outcomes)
    assert errors(session.receive_text(frame, 0.0)) == ["rate_limited"]
    # tokens come back with time: a polite client is served again
    assert isinstance(session.receive_text(frame, 0.1)[0], RunCommand)
    for _ in range(LIMITS.abuse - 1):
        assert errors(session.receive_text(frame, 0.1)) == ["rate_limited"]
    assert closes(session.receive_text(frame, 0.1)) == [CloseCode.RATE_LIMITED]
    assert session.receive_text(frame, 5.0) == []


def test_token_bucket_refills_up_to_its_burst() -> None:
    bucket = TokenBucket(rate=2.0, burst=2, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [True, True, False]
    assert bucket.take(0.5)
    assert not bucket.take(0.5)
    assert [bucket.take(100.0) for _ in range(3)] == [True, True, False]


def test_connections_of_one_participant_share_one_rate() -> None:
    buckets = SharedBuckets(LIMITS.rate, LIMITS.burst)
    one, two = (ConnectionProtocol(LIMITS, 0.0) for _ in range(2))
    for session in (one, two):
        session.receive_text('{"type":"hello","data":{"token":"t"}}', 0.0)
        session.authenticated(buckets.acquire("main", "p1", 0.0))
    frame = '{"type":"a.b","id":"x"}'
    sent = [
        one.receive_text(frame, 0.0),
        two.receive_text(frame, 0.0),
        one.receive_text(frame, 0.0),
    ]
    assert all(isinstance(actions[0], RunCommand) for actions in sent)
    # The burst of 3 is spent across both sockets: a second socket buys nothing.
    assert errors(two.receive_text(frame, 0.0)) == ["rate_limited"]
    other = ConnectionProtocol(LIMITS, 0.0)
    other.receive_text('{"type":"hello","data":{"token":"t"}}', 0.0)
    other.authenticated(buckets.acquire("main", "p2", 0.0))
    assert isinstance(other.receive_text(frame, 0.0)[0], RunCommand)  # someone else: own


def test_a_released_bucket_is_kept_until_it_has_refilled() -> None:
    buckets = SharedBuckets(rate=1.0, burst=2)
    spent = buckets.acquire("main", "p1", 0.0)
    assert spent.take(0.0)
    assert spent.take(0.0)
    buckets.release("main", "p1")
    buckets.sweep(0.5)
    assert buckets.acquire("main", "p1", 0.5) is spent  # reconnecting resets nothing
    assert not spent.take(0.5)
    buckets.release("main", "p1")
    buckets.sweep(10.0)  # refilled and unheld: forgotten
    assert len(buckets) == 0
    held = buckets.acquire("main", "p2", 10.0)
    buckets.sweep(20.0)
    assert buckets.acquire("main", "p2", 20.0) is held  # held: never swept

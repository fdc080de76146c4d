"""docs/protocol/ is generated from the structs the server validates with, and current."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from realtime.schema import documents, main
from realtime.wire import ERRORS, Ack, CloseCode, Command, Event, encode

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol"


def test_the_committed_schemas_are_up_to_date() -> None:
    assert main([str(DOCS), "--check"]) == 0, "run: python -m realtime.schema docs/protocol"


def test_every_code_is_documented() -> None:
    codes = json.loads((DOCS / "codes.json").read_text(encoding="utf-8"))
    assert set(codes["errors"]) == set(ERRORS)
    assert {int(c) for c in codes["close_codes"]} == {int(c) for c in CloseCode}


def test_the_schema_names_every_message_type() -> None:
    server = documents()["server.schema.json"]["$defs"]
    tags = {
        d["properties"]["type"]["enum"][0]
        for d in server.values()
        if "type" in d.get("properties", {}) and "enum" in d["properties"]["type"]
    }
    assert tags == {"welcome", "event", "ack", "error", "resync", "pong"}


def test_messages_round_trip_through_their_structs() -> None:
    event = Event(seq=3, name="hand.raised", data={"who": "p1"}, at="2026-11-25T15:00:00.000Z")
    assert json.loads(encode(event)) == {
        "type": "event",
        "seq": 3,
        "name": "hand.raised",
        "data": {"who": "p1"},
        "at": "2026-11-25T15:00:00.000Z",
        "cause": None,
    }
    assert msgspec.json.decode(encode(Ack(id="c1", seq=3)), type=Ack) == Ack(id="c1", seq=3)
    cmd = msgspec.json.decode(b'{"type":"hand.raise","id":"c1"}', type=Command)
    assert (cmd.type, cmd.id, cmd.data) == ("hand.raise", "c1", {})

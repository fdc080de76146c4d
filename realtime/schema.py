"""JSON Schema of the wire protocol, generated from the structs that validate it.

    python -m realtime.schema docs/protocol          # write the files
    python -m realtime.schema docs/protocol --check  # fail if they are out of date

Writes ``client.schema.json`` (what a client may send), ``server.schema.json`` (what it
receives) and ``codes.json`` (every hub error code and close code with its meaning).
Application commands add their own ``data`` schemas on top (townhall documents those).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import msgspec

from realtime.wire import (
    ERRORS,
    Ack,
    CloseCode,
    Command,
    Error,
    Event,
    HelloData,
    Pong,
    Resync,
    Welcome,
)

__all__ = ["documents", "main"]

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_CLOSE_MEANINGS = {
    CloseCode.NORMAL: "normal closure",
    CloseCode.GOING_AWAY: "the server is going away or the peer vanished",
    CloseCode.UNSUPPORTED_DATA: "a binary frame was sent",
    CloseCode.TOO_BIG: "a frame was over 64 KiB",
    CloseCode.INTERNAL: "the server could not open the room; reconnect later",
    CloseCode.HELLO_TIMEOUT: "no hello within the hello timeout (10 s by default)",
    CloseCode.HELLO_REQUIRED: "the first message was not a valid hello",
    CloseCode.BAD_TOKEN: "the token was refused (see the preceding error)",
    CloseCode.ORIGIN_REFUSED: (
        "the page's Origin is not allowed (the server's public URL or allowed origins); "
        "reconnecting cannot help, open the page at the server's address"
    ),
    CloseCode.RATE_LIMITED: "the connection kept flooding past rate_limited errors",
    CloseCode.SLOW_CONSUMER: "the client fell too far behind; reconnect and resume",
    CloseCode.RESYNC_LOOP: "the room's log changed epoch under this connection",
    CloseCode.REVOKED: "the application revoked this connection's credentials; do not resume",
}


def _schema(types: list[Any], title: str) -> dict[str, Any]:
    (refs, components) = msgspec.json.schema_components(types, ref_template="#/$defs/{name}")
    return {
        "$schema": _DRAFT,
        "title": title,
        "description": "A frame holds one message object, or a JSON array of them.",
        "anyOf": refs,
        "$defs": components,
    }


def documents() -> dict[str, Any]:
    """Every file of docs/protocol/ that is generated, by name."""
    client = _schema([Command, HelloData], "Townhall protocol v1: client -> server")
    client["description"] = (
        "Every message is a Command; the first must have type hello, with HelloData in "
        "data (or its fields at the top level)."
    )
    server = _schema(
        [Welcome, Event, Ack, Error, Resync, Pong], "Townhall protocol v1: server -> client"
    )
    closes = {
        str(int(code)): {"name": code.name.lower(), "meaning": _CLOSE_MEANINGS.get(code, "")}
        for code in CloseCode
    }
    codes = {
        "errors": dict(ERRORS),
        "close_codes": closes,
        "http": {"503": "the worker is at its connection limit"},
    }
    return {"client.schema.json": client, "server.schema.json": server, "codes.json": codes}


def _text(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "docs/protocol")
    stale = []
    for name, document in documents().items():
        path = folder / name
        text = _text(document)
        if "--check" in args:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date in {folder}: {', '.join(stale)}; run python -m realtime.schema")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Ready WebSocket frames, and where the hub writes them.

A server-to-client text frame is not masked, so the same bytes go to every connection of
an audience: the hub encodes a frame once and writes it N times, through a ``FrameSink``
that the ASGI server offers in the scope extension ``EXTENSION``
(``realtime.transport.protocol.FrameProtocol``, our WebSocket protocol under uvicorn).
"""

from __future__ import annotations

import struct
from typing import Protocol

__all__ = ["EXTENSION", "FrameSink", "text_frame"]

EXTENSION = "realtime.frames"


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked, uncompressed text frame (RFC 6455 §5.2) holding ``payload``.

    Valid with or without permessage-deflate: an uncompressed message keeps RSV1 clear.
    """
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


class FrameSink(Protocol):
    """Where the hub's ready frames go: a ``FrameWriter``, or a test's fake socket."""

    def write(self, frame: bytes) -> bool: ...

    def buffered(self) -> int: ...

    def close(self, code: int, reason: str) -> None: ...

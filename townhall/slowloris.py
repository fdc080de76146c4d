"""A deadline for reading an HTTP request's headers (the slowloris attack).

uvicorn arms its keep-alive timeout only once a response is complete: a connection that
sends nothing, or trickles its request headers a byte at a time, stays open for as long
as the client likes (the audit kept 30 such connections open 60 s, a silent one 90 s and
more), and enough of them exhaust a worker's file descriptors. uvicorn offers no header
timeout (``h11_max_incomplete_event_size`` bounds the size, not the time), so this
protocol adds one: from the connection's start, and from the first byte of each later
request on a kept-alive connection, the headers must be complete within
``TOWNHALL_HEADER_TIMEOUT_S`` seconds (default 10), or the connection is closed. A
WebSocket's upgrade request is an HTTP request like any other; its frames come after.

Behind a reverse proxy the proxy's own header timeout applies first (nginx:
``client_header_timeout``, 60 s by default); docs/security.md.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEADER_TIMEOUT_S", "HeaderTimeoutProtocol"]


def _timeout() -> float:
    try:
        value = float(os.environ.get("TOWNHALL_HEADER_TIMEOUT_S", "10"))
    except ValueError:
        return 10.0
    return value if value > 0 else 10.0


HEADER_TIMEOUT_S = _timeout()


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline on reading request headers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that says nothing at all is cut off too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._expired)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expired(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()

"""Server runtime options shared by ``townhall serve`` and the test worker pool."""

from __future__ import annotations

from typing import Any

from realtime.server import UVICORN_WS_OPTIONS
from townhall.settings import Settings

# The hub's WebSocket settings (sans-I/O protocol that keeps reading under load,
# permessage-deflate off, 64 KiB frame cap, heartbeats), plus ours: no proxy headers
# unless configured, no Server header.
UVICORN_OPTIONS: dict[str, Any] = {
    **UVICORN_WS_OPTIONS,
    "proxy_headers": False,
    # Open sockets do not hold a stopping worker: clients resume on another one.
    "timeout_graceful_shutdown": 5,
    "server_header": False,
    # Request headers must arrive within TOWNHALL_HEADER_TIMEOUT_S (slowloris).
    "http": "townhall.slowloris:HeaderTimeoutProtocol",
}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """``UVICORN_OPTIONS`` for these settings: behind a proxy named in
    ``forwarded_allow_ips``, X-Forwarded-For and X-Forwarded-Proto from that proxy (and
    only from it) give the client's address and scheme (``wss`` for the origin check)."""
    options = dict(UVICORN_OPTIONS)
    if settings.forwarded_allow_ips:
        options["proxy_headers"] = True
        options["forwarded_allow_ips"] = settings.forwarded_allow_ips
    return options

"""Server runtime options shared by ``townhall serve`` and the test worker pool."""

from __future__ import annotations

from typing import Any

from realtime.server import UVICORN_WS_OPTIONS

# The hub's WebSocket settings (sans-I/O protocol that keeps reading under load,
# permessage-deflate off, 64 KiB frame cap, heartbeats), plus ours: no proxy headers
# unless configured, no Server header.
UVICORN_OPTIONS: dict[str, Any] = {
    **UVICORN_WS_OPTIONS,
    "proxy_headers": False,
    # Open sockets do not hold a stopping worker: clients resume on another one.
    "timeout_graceful_shutdown": 5,
    "server_header": False,
}

"""The bare python-socketio comparison server: the same room broadcast as sio_node.js.

Run by bench/run.py under uvicorn from bench/.venv-bench (python-socketio is installed
only for the benchmark). With BENCH_REDIS_URL set, workers share the room through
python-socketio's own Redis manager, which is how it is deployed on several workers.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qs

import socketio  # type: ignore[import-not-found, unused-ignore]

ROOM = "r"

_redis_url = os.environ.get("BENCH_REDIS_URL")
_manager: Any = socketio.AsyncRedisManager(_redis_url) if _redis_url else None

# Websocket only and no compression, like every other target of the benchmark.
sio: Any = socketio.AsyncServer(
    async_mode="asgi",
    transports=["websocket"],
    client_manager=_manager,
    http_compression=False,
    max_http_buffer_size=64 * 1024,
)


async def _connect(sid: str, environ: dict[str, Any], auth: object = None) -> None:
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if query.get("role") != ["pub"]:
        await sio.enter_room(sid, ROOM)


async def _publish(sid: str, data: object) -> None:
    await sio.emit("ev", data, room=ROOM)


sio.on("connect", _connect)
sio.on("pub", _publish)

app: Any = socketio.ASGIApp(sio)

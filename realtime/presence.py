"""Presence without a storm: at most one presence command per room per tick.

Connections come and go in bursts (a link posted in a chat, a network blip). Instead of
an event per connect, every ``interval`` the loop compares each room's connection counts
per audience on this worker with what it last reported, and only on a change asks the
domain for its presence command, which it runs as the room's server principal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from realtime.application import Domain
from realtime.replica import Replica

__all__ = ["presence_loop"]

S = TypeVar("S")
log = logging.getLogger("realtime.presence")

RunServerCommand = Callable[[str, str, dict[str, Any]], Awaitable[int]]


async def presence_loop(
    rooms: Callable[[], Iterable[Replica[S]]],
    domain: Domain[S],
    run: RunServerCommand,
    interval: float,
) -> None:
    while True:
        await asyncio.sleep(interval)
        for room in list(rooms()):
            counts = room.fanout.counts()
            if counts == room.presence_sent:
                continue
            cmd = domain.presence(room.name, counts)
            if cmd is not None:
                try:
                    await run(room.name, cmd[0], cmd[1])
                except Exception:
                    # Not marked as sent: the next tick tries again (e.g. after an outage
                    # of the log), else the change would stay unrecorded until the next.
                    log.exception("presence update failed in room %s", room.name)
                    continue
            room.presence_sent = counts

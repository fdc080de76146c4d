"""A worker unloads the rooms it holds for nobody: idle, nothing due, nothing to archive."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from facilitation.base import Actor, Role
from realtime.domain import Principal, Refused
from realtime.hub import Metrics, Outbox
from realtime.log import open_log
from realtime.server import Realtime, RealtimeConfig
from townhall.archiving import Archiver
from townhall.db import create_engine, migrate, session_factory
from townhall.domain import Member, TownhallDomain
from townhall.live import LiveRooms
from townhall.presence import Presence


async def _refuse(token: str, data: dict[str, Any]) -> Principal:
    raise Refused("bad_token", "no connections in this test")


async def _version(room: str, role: str) -> int:
    return 0


def _outbox() -> Outbox:
    async def send(text: str) -> None: ...

    async def close(code: int, reason: str) -> None: ...

    return Outbox(send, close, 1 << 20, Metrics())


async def test_idle_rooms_are_unloaded_and_busy_ones_kept(sqlite_url: str) -> None:
    await migrate(sqlite_url)
    db = create_engine(sqlite_url)
    log = open_log("memory://")
    rt = Realtime(log, TownhallDomain(), _refuse, RealtimeConfig(presence_interval=3600.0))
    await rt.start()
    live = LiveRooms(rt, Archiver(session_factory(db), log), _version, Presence(None), 0.0)
    try:
        await live.room_view("idle")  # scheduled, nobody connected: nothing keeps it
        item = (
            await live.run_as_organiser("timed", "agenda.add", {"title": "A", "duration_s": 600})
        )["item"]
        await live.run_as_organiser("timed", "session.start", {})
        chair = Member(actor=Actor("f1", Role.FACILITATOR), name="Chair", ballot_secret=None)
        fac = Principal("timed", "f1", "facilitator", True, {}, None, chair)
        fac_box = _outbox()
        await rt.engine.attach(fac, fac_box, None)
        await rt.engine.execute(fac, "agenda.start", {"item": item}, "f1:start")  # a deadline
        await rt.engine.detach(fac, fac_box)
        await live.room_view("watched")
        watcher = Principal("watched", "o1", "observer", False, {}, None)
        box = _outbox()
        await rt.engine.attach(watcher, box, None)  # someone connected on this worker
        await live.run_as_organiser("ended", "session.start", {})
        await live.run_as_organiser("ended", "session.end", {})

        await live.tick(datetime.now(UTC))
        # The ended room waits for its archive; the idle one is gone.
        assert set(rt.engine.states()) == {"timed", "watched", "ended"}
        for _ in range(200):
            await asyncio.sleep(0.01)
            await live.tick(datetime.now(UTC))
            if "ended" not in rt.engine.states():
                break
        assert set(rt.engine.states()) == {"timed", "watched"}

        await rt.engine.detach(watcher, box)
        await live.tick(datetime.now(UTC))
        assert set(rt.engine.states()) == {"timed"}
        # An unloaded room comes back from the log when asked for.
        view = await live.room_view("ended")
        assert view["session"]["status"] == "ended"
        await live.tick(datetime.now(UTC))  # archived already: not archived again
        assert "ended" not in rt.engine.states()
    finally:
        await live.close()
        await rt.close()
        await db.dispose()

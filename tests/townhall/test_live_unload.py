"""A worker unloads the rooms it holds for nobody (idle, nothing due, nothing to archive)
and closes the connections whose link was rotated since."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from facilitation.base import Actor, Role
from realtime.application import Principal, Refused
from realtime.config import RealtimeConfig
from realtime.fanout import Outbox, Traffic
from realtime.server import Realtime, open_log
from realtime.wire import CloseCode
from townhall import rooms
from townhall.archiving import Archiver
from townhall.db import create_engine, migrate, session_factory
from townhall.domain import CONFIGURE, Member, TownhallDomain
from townhall.live import LiveRooms


async def _refuse(token: str, data: dict[str, Any]) -> Principal:
    raise Refused("bad_token", "no connections in this test")


async def _versions(rooms: Collection[str]) -> dict[str, int]:
    return {}


def _outbox() -> Outbox:
    async def send(text: str) -> None: ...

    async def close(code: int, reason: str) -> None: ...

    return Outbox(send, close, 1 << 20, Traffic())


async def test_idle_rooms_are_unloaded_and_busy_ones_kept(sqlite_url: str) -> None:
    await migrate(sqlite_url)
    db = create_engine(sqlite_url)
    log = open_log("memory://")
    rt = Realtime(log, TownhallDomain(), _refuse, RealtimeConfig(presence_interval=3600.0))
    await rt.start()
    live = LiveRooms(rt, Archiver(session_factory(db), log), _versions, 0.0)
    try:
        await live.room_view("idle")  # scheduled, nobody connected: nothing keeps it
        item = (
            await live.run_as_organiser("timed", "agenda.add", {"title": "A", "duration_s": 600})
        )["item"]
        await live.run_as_organiser("timed", "session.start", {})
        chair = Member(actor=Actor("f1", Role.FACILITATOR), name="Chair", ballot_secret=None)
        fac = Principal("timed", "f1", "facilitator", True, {}, None, chair)
        fac_box = _outbox()
        await rt._engine.attach(fac, fac_box, None)
        await rt.execute(fac, "agenda.start", {"item": item}, "f1:start")  # a deadline
        await rt._engine.detach(fac, fac_box)
        await live.room_view("watched")
        watcher = Principal("watched", "o1", "observer", False, {}, None)
        box = _outbox()
        await rt._engine.attach(watcher, box, None)  # someone connected on this worker
        await live.run_as_organiser("ended", "session.start", {})
        await live.run_as_organiser("ended", "session.end", {})

        await live.sweep()
        # The ended room waits for its archive; the idle one is gone.
        assert set(rt.states()) == {"timed", "watched", "ended"}
        for _ in range(200):
            await asyncio.sleep(0.01)
            await live.sweep()
            if "ended" not in rt.states():
                break
        assert set(rt.states()) == {"timed", "watched"}

        await rt._engine.detach(watcher, box)
        await live.sweep()
        assert set(rt.states()) == {"timed"}
        # An unloaded room comes back from the log when asked for.
        view = await live.room_view("ended")
        assert view["session"]["status"] == "ended"
        await live.settle()  # loading it mirrored its row again, nothing more
        await live.sweep()  # archived already: not archived again
        assert "ended" not in rt.states()
    finally:
        await live.close()
        await rt.close()
        await db.dispose()


async def test_rotated_links_close_their_connections_with_one_query_per_check(
    sqlite_url: str,
) -> None:
    """The periodic link check reads every connected room's versions at once, skips the
    rooms nobody here is connected to, and closes only the rotated-out connections."""
    await migrate(sqlite_url)
    db = create_engine(sqlite_url)
    log = open_log("memory://")
    rt = Realtime(log, TownhallDomain(), _refuse, RealtimeConfig(presence_interval=3600.0))
    await rt.start()
    asked: list[list[str]] = []
    live_versions = {"busy/participant": 2, "busy/observer": 1}

    async def versions(rooms: Collection[str]) -> dict[str, int]:
        asked.append(sorted(rooms))
        return {k: v for k, v in live_versions.items() if k.split("/")[0] in rooms}

    live = LiveRooms(rt, Archiver(session_factory(db), log), versions, 3600.0)
    people: list[tuple[Principal, Outbox]] = []

    def member(key: str, role: Role, version: int) -> tuple[Principal, Outbox]:
        info = Member(actor=Actor(key, role), name=key, ballot_secret=None, link_version=version)
        audience = "observer" if role is Role.OBSERVER else "participant"
        principal = Principal("busy", key, audience, role is not Role.OBSERVER, {}, None, info)
        return principal, _outbox()

    def closed() -> dict[str, tuple[int | None, str | None]]:
        return {p.key: (box.close_code, box.close_reason) for p, box in people if box.close_code}

    try:
        await live.room_view("empty")  # loaded here, nobody connected: never asked for
        await live.close_stale_links()
        assert asked == []
        people[:] = [
            member("p-old", Role.PARTICIPANT, 1),
            member("p-new", Role.PARTICIPANT, 2),
            member("o-1", Role.OBSERVER, 1),
        ]
        for principal, box in people:
            await rt._engine.attach(principal, box, None)
        await live.close_stale_links()
        assert asked == [["busy"]]
        assert closed() == {"p-old": (CloseCode.REVOKED, "link_rotated")}
        live_versions.pop("busy/observer")  # the observer link revoked: version 0
        await live.close_stale_links()
        assert set(closed()) == {"p-old", "o-1"}
    finally:
        await live.close()
        await rt.close()
        await db.dispose()


async def test_the_row_mirrors_settings_changed_while_live(sqlite_url: str) -> None:
    """REST reads the town hall's row: settings a facilitator changes during the meeting
    reach it as soon as they are applied, with the status; an unchanged room costs no UPDATE."""
    await migrate(sqlite_url)
    db = create_engine(sqlite_url)
    sessions = session_factory(db)
    log = open_log("memory://")
    rt = Realtime(log, TownhallDomain(), _refuse, RealtimeConfig(presence_interval=3600.0))
    await rt.start()
    archiver = Archiver(sessions, log)
    live = LiveRooms(rt, archiver, _versions, 3600.0)
    row, _ = await rooms.create_townhall(
        sessions, title="Budget", base_url="https://t.example", settings={"turn_s": 60}
    )
    statements: list[str] = []
    sa.event.listen(
        db.sync_engine, "before_cursor_execute", lambda *args: statements.append(str(args[2]))
    )
    try:
        await live.run_as_organiser(
            row.id, CONFIGURE, {"title": "Budget", "description": "", "language": "en"}
        )
        await live.run_as_organiser(row.id, "room.settings", {"turn_s": 60})
        await live.run_as_organiser(row.id, "session.start", {})
        chair = Member(actor=Actor("f1", Role.FACILITATOR), name="Chair", ballot_secret=None)
        fac = Principal(row.id, "f1", "facilitator", True, {}, None, chair)
        box = _outbox()
        await rt._engine.attach(fac, box, None)
        change = {"turn_s": 90, "slow_mode_s": 5}
        await rt.execute(fac, "room.settings", change, "f1:settings")
        await live.settle()
        fresh = await rooms.get_townhall(sessions, row.id)
        assert fresh is not None
        assert fresh.status == "live"
        assert (fresh.settings["turn_s"], fresh.settings["slow_mode_s"]) == (90, 5)
        assert fresh.title == "Budget"
        updates = [s for s in statements if s.startswith("UPDATE")]
        await live.settle()
        assert [s for s in statements if s.startswith("UPDATE")] == updates  # no change
    finally:
        await live.close()
        await rt.close()
        await db.dispose()

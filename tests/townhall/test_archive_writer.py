"""The archive writer on real SQLite and PostgreSQL: rows, idempotence, atomicity, secrecy."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.townhall.archive_sample import T0, at, sample_bundle
from townhall.archive import archive, pending_archives
from townhall.archive.bundle import ArchiveContent, Statement, content_of
from townhall.archive.writer import ARCHIVE_TABLES
from townhall.db import create_engine, migrate, session_factory
from townhall.db.models import metadata
from townhall.minutes.load import MinutesNotFound, load_minutes

ROOM = "th-sample"


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await migrate(db_url)
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


async def _room_rows(engine: AsyncEngine, room: str = ROOM) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that belongs to ``room``, in primary-key order."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for name, table in metadata.tables.items():
            column = table.c.id if name == "townhall" else table.c.get("room")
            if column is None:
                continue
            query = sa.select(table).where(column == room).order_by(*table.primary_key.columns)
            dump[name] = [tuple(row) for row in await conn.execute(query)]
    return dump


def _canonical(content: ArchiveContent) -> ArchiveContent:
    """Secret ballots are stored in choice order, not arrival order: compare them so."""
    polls = tuple(
        dataclasses.replace(
            poll, ballots=tuple(sorted(poll.ballots, key=lambda b: json.dumps(b.choice)))
        )
        if poll.secret
        else poll
        for poll in content.polls
    )
    return dataclasses.replace(content_of(content), polls=polls)


@pytest.mark.parametrize("roll", [False, True], ids=["open", "roll"])
async def test_archive_then_load_gives_back_the_bundle(engine: AsyncEngine, roll: bool) -> None:
    bundle = sample_bundle(roll=roll)
    await archive(engine, bundle)
    minutes = await load_minutes(engine, ROOM)
    assert _canonical(minutes) == _canonical(bundle)
    assert minutes.archived_at is not None


async def test_archive_rows_hold_the_session(engine: AsyncEngine) -> None:
    await archive(engine, sample_bundle(log=250))
    rows = await _room_rows(engine)
    assert {name: len(rows[name]) for name in ARCHIVE_TABLES} == {
        "attendance": 6, "agenda_item": 3, "turn": 3, "statement": 3, "transcript": 2,
        "question": 3, "poll": 3, "ballot": 10, "poll_voter": 10, "tally": 8,
        "irv_round": 5, "decision": 1, "reaction": 5, "moderation": 4,
        "poll_eligible": 0, "poll_proxy": 0, "roll_member": 0, "proxy": 0, "record_event": 0,
            "proposal": 0, "cheer": 0, "hand_count": 0,
    }  # fmt: skip
    assert len(rows["room_log"]) == 250
    assert len(rows["participant"]) == 5
    async with engine.connect() as conn:
        town = metadata.tables["townhall"]
        row = (await conn.execute(sa.select(town))).mappings().one()
        assert (row["status"], row["started_at"], row["ended_at"]) == ("archived", at(0), at(50))
        assert row["peak_observers"] == 42
        hidden = metadata.tables["statement"]
        statement = (
            (await conn.execute(sa.select(hidden).where(hidden.c.id == "s2"))).mappings().one()
        )
        assert statement["hidden"] is True
        assert statement["hidden_reason"] == "personal attack"
        log = metadata.tables["room_log"]
        first = (await conn.execute(sa.select(log).where(log.c.seq == 2))).mappings().one()
        assert json.loads(first["data"]) == {"participant": "p2", "n": 2, "text": "발언 발언 "}
        assert first["at"] == "2026-11-25T18:00:00.002000Z"
        assert first["cause"] == "cmd-2"


async def test_secret_ballots_are_not_linked_to_voters(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(metadata.tables["townhall"]).values(
                id=ROOM, title="x", status="ended", created_at=T0
            )
        )
    await archive(engine, sample_bundle())
    async with engine.connect() as conn:
        ballot = metadata.tables["ballot"]
        secret = await conn.execute(
            sa.select(ballot.c.participant, ballot.c.choice)
            .where(ballot.c.poll == "v1")
            .order_by(ballot.c.n)
        )
        # No voter, and the stored order is by choice whatever the order of casting.
        assert [tuple(r) for r in secret] == [(None, 0), (None, 0), (None, 1)]
        named = await conn.execute(
            sa.select(ballot.c.participant).where(ballot.c.poll == "v2").order_by(ballot.c.n)
        )
        assert [r[0] for r in named] == ["f1", "p1", "p2", "p3", "p4"]
        voter = metadata.tables["poll_voter"]
        voters = await conn.execute(
            sa.select(voter.c.participant).where(voter.c.poll == "v1").order_by(voter.c.participant)
        )
        assert [r[0] for r in voters] == ["p1", "p2", "p4"]
        town = metadata.tables["townhall"]
        assert "ballot_secret" not in town.c  # the secret never lives in SQL (0007)


async def test_archive_twice_gives_identical_rows(engine: AsyncEngine) -> None:
    bundle = sample_bundle()
    await archive(engine, bundle, now=datetime(2026, 11, 25, 19, 0, tzinfo=UTC))
    first = await _room_rows(engine)
    await archive(engine, bundle, now=datetime(2026, 11, 25, 19, 5, tzinfo=UTC))
    assert await _room_rows(engine) == first  # archived_at included: the first stamp stays


async def test_rerun_with_a_changed_bundle_leaves_no_stale_rows(engine: AsyncEngine) -> None:
    await archive(engine, sample_bundle())
    smaller = dataclasses.replace(
        sample_bundle(), statements=sample_bundle().statements[:1], polls=(), log=()
    )
    await archive(engine, smaller)
    rows = await _room_rows(engine)
    assert [r[1] for r in rows["statement"]] == ["s1"]
    assert rows["poll"] == rows["ballot"] == rows["tally"] == rows["irv_round"] == []
    assert len(rows["room_log"]) == 30  # no log in the rerun: the stored log is kept


async def test_a_failed_archive_leaves_nothing_and_a_rerun_completes(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(metadata.tables["townhall"]).values(
                id=ROOM, title="x", status="ended", created_at=T0
            )
        )
    assert await pending_archives(engine) == [ROOM]
    good = sample_bundle()
    duplicate = Statement(id="s1", participant="p1", item="i1", text="again", at=at(9))
    broken = dataclasses.replace(good, statements=(*good.statements, duplicate))
    with pytest.raises(sa.exc.IntegrityError):
        await archive(engine, broken)  # fails on the statement table, after earlier tables
    rows = await _room_rows(engine)
    assert all(rows[name] == [] for name in ARCHIVE_TABLES)
    assert rows["room_log"] == []
    assert rows["townhall"][0][5] == "ended"  # status unchanged, secret still there
    assert await pending_archives(engine) == [ROOM]
    with pytest.raises(MinutesNotFound):
        await load_minutes(engine, ROOM)
    await archive(session_factory(engine), good)  # the restart path, through a session
    assert await pending_archives(engine) == []
    # created_at is the town hall's own (set at creation), the rest is the bundle's.
    session = dataclasses.replace(good.session, created_at=T0)
    expected = dataclasses.replace(good, session=session)
    assert _canonical(await load_minutes(engine, ROOM)) == _canonical(expected)


async def test_archive_keeps_the_log_store_rows_it_does_not_own(engine: AsyncEngine) -> None:
    log = metadata.tables["room_log"]
    async with engine.begin() as conn:
        marker = {"room": ROOM, "epoch": "e1", "seq": 0, "name": "epoch.started", "data": "{}",
                  "at": "2026-11-25T17:00:00Z", "cause": None}  # fmt: skip
        stale = {**marker, "seq": 3, "name": "stale.copy", "data": '{"old":true}'}
        await conn.execute(sa.insert(log), [marker, stale])
    await archive(engine, sample_bundle())
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(log.c.seq, log.c.name).order_by(log.c.seq))).all()
    assert [tuple(r) for r in rows[:2]] == [(0, "epoch.started"), (1, "floor.granted")]
    assert len(rows) == 31  # the marker + the bundle's 30, the stale copy replaced
    assert "stale.copy" not in {r[1] for r in rows}
    assert rows[3][1] == "vote.counted"


async def test_participants_joined_live_are_updated_not_duplicated(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(metadata.tables["participant"]),
            [
                {"room": ROOM, "id": "p3", "name": "Carol", "role": "participant"},
                {"room": ROOM, "id": "p9", "name": "Left early", "role": "participant"},
            ],
        )
    await archive(engine, sample_bundle())
    rows = await _room_rows(engine)
    by_id = {r[1]: r for r in rows["participant"]}
    assert sorted(by_id) == ["f1", "p1", "p2", "p3", "p4", "p9"]
    assert by_id["p3"][4] is True  # banned, as the session ended


async def test_rooms_are_archived_independently(engine: AsyncEngine) -> None:
    await archive(engine, sample_bundle("room-a"))
    await archive(engine, sample_bundle("room-b", korean=True))
    await archive(engine, dataclasses.replace(sample_bundle("room-a"), questions=()))
    b = await load_minutes(engine, "room-b")
    assert len(b.questions) == 3
    assert b.session.title == "강변 공원 개선 타운홀"
    assert (await load_minutes(engine, "room-a")).questions == ()


async def test_concurrent_archives_of_one_room_serialise(engine: AsyncEngine) -> None:
    # Two workers may both see the session end: the archives must not interleave.
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(metadata.tables["townhall"]).values(
                id=ROOM, title="x", status="ended", created_at=T0
            )
        )
    bundle = sample_bundle(log=500)
    await asyncio.gather(*(archive(engine, bundle) for _ in range(3)))
    once = await _room_rows(engine)
    await archive(engine, bundle)
    assert await _room_rows(engine) == once
    assert len(once["room_log"]) == 500
    assert len(once["statement"]) == 3

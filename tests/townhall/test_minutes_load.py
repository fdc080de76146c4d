"""Minutes load from the archive tables of SQLite and PostgreSQL, and render from there."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.townhall.archive_sample import sample_bundle
from townhall.archive import archive
from townhall.db import create_engine, migrate, session_factory
from townhall.db.models import metadata
from townhall.minutes import (
    MinutesNotFound,
    load_minutes,
    render_csv,
    render_html,
    render_json,
    render_markdown,
)


async def test_minutes_come_from_the_archive_tables_alone(db_url: str) -> None:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        await archive(engine, sample_bundle("k1", korean=True, log=100))
        async with engine.begin() as conn:
            # No log replay: with the raw log gone the minutes are unchanged.
            before = render_json(await load_minutes(engine, "k1"))
            await conn.execute(sa.delete(metadata.tables["room_log"]))
        minutes = await load_minutes(session_factory(engine), "k1")
        assert render_json(minutes) == before
        assert minutes.session.language == "ko"
        assert [p.name for p in minutes.participants] == ["Alice", "Bob", "김민수", "Carol", "Dana"]
        assert "| 김민수 | 참가자 | 17:59:00 | 종료 시 참석 중 |" in render_markdown(minutes)
        assert '<html lang="ko">' in render_html(minutes)
        assert "나무 그늘을 더 많이 만들어 주세요." in render_csv(minutes)
    finally:
        await engine.dispose()


async def test_no_minutes_before_the_archive(db_url: str) -> None:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        for room, status in (("nope", None), ("live-room", "live")):
            if status:
                async with engine.begin() as conn:
                    await conn.execute(
                        sa.insert(metadata.tables["townhall"]).values(
                            id=room, title="t", status=status,
                            created_at=sample_bundle().session.started_at,
                        )
                    )  # fmt: skip
            with pytest.raises(MinutesNotFound) as missing:
                await load_minutes(engine, room)
            assert (missing.value.room, missing.value.status) == (room, status)
    finally:
        await engine.dispose()

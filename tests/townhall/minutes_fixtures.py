"""Minutes loaded back from a real archive (SQLite), shared by the renderer tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.townhall.archive_sample import at, sample_bundle
from townhall.archive import archive
from townhall.archive.bundle import ArchiveBundle, Statement
from townhall.db import create_engine, migrate
from townhall.minutes import Minutes, load_minutes

HOSTILE = "<script>alert(1)</script> | **bold** =SUM(A1)"
FORMULA = '=HYPERLINK("http://evil.example","click")'


def with_hostile_statement(bundle: ArchiveBundle) -> ArchiveBundle:
    """Add a statement full of markup, to check every format treats it as text."""
    hostile = Statement(id="s9", participant="p4", item="i2", text=HOSTILE, at=at(26))
    formula = Statement(id="s10", participant="p4", item="i2", text=FORMULA, at=at(27))
    return dataclasses.replace(bundle, statements=(*bundle.statements, hostile, formula))


async def archived_minutes(directory: Path) -> tuple[Minutes, Minutes]:
    """English and Korean minutes, each written to the archive and loaded from it."""
    url = f"sqlite+aiosqlite:///{directory / 'minutes.db'}"
    await migrate(url)
    engine = create_engine(url)
    try:
        await archive(engine, with_hostile_statement(sample_bundle("en-room")))
        await archive(engine, sample_bundle("ko-room", korean=True))
        return await load_minutes(engine, "en-room"), await load_minutes(engine, "ko-room")
    finally:
        await engine.dispose()

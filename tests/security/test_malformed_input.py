"""Attack class: malformed input. Control characters, huge integers, non-ASCII digits and
absurd nesting, over the WebSocket and over REST: each is a clear refusal that changes
nothing, never an ``internal`` error, a 500 or an archive that can never be written."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa

from facilitation.room import fold, initial_state
from facilitation.session import SessionEnded
from facilitation.statements import StatementPosted
from realtime.log.memory import MemoryLog
from tests import services
from tests.facilitation.dsl import LIVE, P1, t
from tests.townhall.scripted import AUTH, call, close_all, connect, create_town, refusal
from townhall.api.models import TownHall
from townhall.archiving import QUARANTINE_AFTER, Archiver
from townhall.db import create_engine, migrate, session_factory
from townhall.db.models import TownHallRow


async def test_control_characters_and_huge_integers_are_refused_live(
    server: services.Worker,
) -> None:
    town = await create_town(server.url, "Malformed", [("Only", 600)])
    f = await connect(server.ws_url, town.token("facilitator"))
    p = await connect(server.ws_url, town.token("participant"), "Mallory")
    try:
        await call(f, "session.start")
        for text in ("nul\x00byte", "esc\x1b[31m", "cr\rlf", "bell\x07"):
            assert await refusal(p, "statement.post", {"text": text}) == "invalid_data"
            assert await refusal(p, "question.ask", {"text": text}) == "invalid_data"
        poll = {"question": "Q", "kind": "yes_no_abstain"}
        assert await refusal(f, "poll.create", {**poll, "quorum": 2**40}) == "invalid_data"
        assert await refusal(f, "poll.create", {**poll, "quorum": 2**70}) == "invalid_data"
        assert await refusal(f, "poll.create", {**poll, "duration_s": 10**12}) == "invalid_data"
        # The largest integer still within bounds is refused by the rule, not by a crash.
        assert await refusal(f, "poll.create", {**poll, "duration_s": 2**31 - 1}) == "invalid_poll"
        created = await call(f, "poll.create", {"question": "Q", "kind": "score",
                                                "options": ["A", "B"]})  # fmt: skip
        await call(f, "poll.open", {"poll": created["result"]["poll"]})
        vote = {"poll": created["result"]["poll"], "choice": {"²": 3}}
        assert await refusal(p, "poll.vote", vote) == "invalid_data"
        posted = await call(p, "statement.post", {"text": "tab\tand\nnewline stay"})
        assert posted["result"]["statement"]
    finally:
        await close_all([f, p])


async def test_rest_refuses_deep_json_and_control_characters(server: services.Worker) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30, headers=AUTH) as http:
        deep = b"[" * 100_000 + b"]" * 100_000
        response = await http.post(
            "/api/townhalls", content=deep, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["code"] == "nested_too_deeply"
        for title in ("nul\x00", "esc\x1b", "\ud800"):
            body = {"title": title, "agenda": [{"title": f"item{title}", "duration_s": 60}]}
            # json.dumps escapes the lone surrogate as \\ud800, valid JSON text.
            raw = json.dumps(body).encode()
            response = await http.post(
                "/api/townhalls", content=raw, headers={"content-type": "application/json"}
            )
            assert response.status_code == 422, title
            fields = {f["field"] for f in response.json()["fields"]}
            assert fields == {"title", "agenda.0.title"}
        listed = await http.get("/api/townhalls")
        assert all("\x00" not in t["title"] for t in listed.json()["townhalls"])


# -- a value the database refuses must not stop the archive forever -----------------


async def test_an_archive_that_keeps_failing_backs_off_and_is_quarantined(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Text stored before the rule (or any value the database refuses) used to fail the
    archive on every retry, every 2 s, forever, each with a traceback. Now: a growing
    delay, one log line per step, and after five a quarantine shown on /health and in
    the API; the town hall's row says why."""
    room = "r-nul"
    poisoned = StatementPosted(
        at=t(2), statement="s1", participant=P1.participant, text="a\x00b", turn=None, item=None
    )
    state = fold([*LIVE, poisoned, SessionEnded(at=t(3))], initial_state(room))
    await migrate(postgres_url)
    engine = create_engine(postgres_url)
    sessions = session_factory(engine)
    now = [datetime(2026, 12, 7, 12, 0, tzinfo=UTC)]
    try:
        async with sessions.begin() as session:
            session.add(TownHallRow(id=room, title="NUL", status="ended", created_at=now[0]))
        archiver = Archiver(sessions, MemoryLog(), clock=lambda: now[0])
        caplog.set_level("INFO", logger="townhall.archiving")
        attempts = []
        row: TownHallRow | None = None
        for _ in range(40):  # a loop calling it often (the clock ticks every 0.2 s)
            assert await archiver.archive_room(room, state) is False
            now[0] += timedelta(seconds=1)
            async with sessions() as session:
                row = await session.get(TownHallRow, room)
                assert row is not None
                attempts.append(row.archive_failures)
        # 2 s, 4 s, 8 s, 16 s between attempts: five in 40 s, not 200.
        assert row is not None
        assert max(attempts) == QUARANTINE_AFTER
        assert attempts.count(1) == 2
        assert attempts.count(2) == 4
        assert attempts.count(3) == 8
        assert row.status == "ended"
        assert row.archive_error is not None
        assert "\x00" not in row.archive_error
        api = TownHall.of(row)
        assert api.archive is not None
        assert api.archive.quarantined
        assert api.archive.retry_at is not None
        assert await archiver.health() == {"failing": 1, "quarantined": [room]}
        lines = [r for r in caplog.records if room in r.getMessage()]
        assert len(lines) == QUARANTINE_AFTER  # one per back-off step
        assert lines[0].exc_info is not None
        assert all(r.exc_info is None for r in lines[1:])
        assert lines[-1].levelname == "ERROR"
        assert "quarantined" in lines[-1].getMessage()
        # Once the cause is gone the next hourly try archives it and clears the record.
        clean = fold([*LIVE, SessionEnded(at=t(3))], initial_state(room))
        now[0] += timedelta(hours=1)
        assert await archiver.archive_room(room, clean) is True
        async with sessions() as session:
            row = await session.get(TownHallRow, room)
            assert row is not None
            assert (row.status, row.archive_failures, row.archive_error) == ("archived", 0, None)
        assert await archiver.health() == {"failing": 0, "quarantined": []}
        async with engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()

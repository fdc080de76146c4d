"""Archive and minutes benchmark: a large finished session into PostgreSQL (or SQLite).

    .venv/bin/python -m bench.archive_bench [--events 100000] [--database-url URL]

Without ``--database-url`` a scratch PostgreSQL database is created on 127.0.0.1 (user
postgres) and dropped afterwards. Prints: archive time (first run and an idempotent
rerun, both one transaction), minutes load time, and each minutes format's render time
and size. Target: the archive of a 100,000-event session under 5 s on the 2-core box.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from townhall.archive import archive
from townhall.archive.bundle import (
    AgendaItem,
    ArchiveBundle,
    Attendance,
    Ballot,
    Decision,
    LogEntry,
    ModerationEntry,
    Participant,
    Poll,
    Question,
    ReactionCount,
    Session,
    Statement,
    TallyEntry,
    TranscriptSegment,
    Turn,
)
from townhall.db import create_engine, migrate
from townhall.minutes import (
    load_minutes,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_pdf,
)

T0 = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
PG = "postgres@127.0.0.1:5432"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def big_session(events: int, room: str = "bench-room") -> ArchiveBundle:
    """A two-hour town hall with 300 participants whose log holds ``events`` events."""
    people = [f"p{i}" for i in range(300)]
    items = [
        AgendaItem(id=f"i{n}", title=f"Item {n}: 예산 항목", planned_s=600, status="done",
                   started_at=at(n * 600), completed_at=at(n * 600 + 640), actual_s=640.0)
        for n in range(12)
    ]  # fmt: skip
    turns = [
        Turn(participant=people[n % 300], item=f"i{n % 12}", kind="speak",
             started_at=at(n * 36), ended_at=at(n * 36 + 30), limit_s=120, duration_s=30.0)
        for n in range(200)
    ]  # fmt: skip
    statements = [
        Statement(id=f"s{n}", participant=people[n % 300], item=f"i{n % 12}",
                  text=f"Statement {n}: 공원 예산을 늘려 주세요. " * 3, at=at(n * 3),
                  hidden=n % 97 == 0, hidden_reason="off topic" if n % 97 == 0 else None)
        for n in range(1500)
    ]  # fmt: skip
    polls = [
        Poll(id=f"v{n}", item=f"i{n % 12}", question=f"Poll {n}?", kind="single",
             options=("Yes", "No", "Abstain"), secret=n % 2 == 0, status="closed",
             eligible=300, turnout=250, quorum=150, quorum_met=True, winner=0,
             ballots=tuple(Ballot(participant=None if n % 2 == 0 else people[b],
                                  choice=b % 3) for b in range(250)),
             voters=tuple(people[:250]),
             tally=tuple(TallyEntry(option=o, votes=84 - o) for o in range(3)))
        for n in range(20)
    ]  # fmt: skip
    return ArchiveBundle(
        session=Session(room=room, title="대규모 타운홀 benchmark", language="ko",
                        started_at=T0, ended_at=at(7200), peak_observers=1800),
        participants=tuple(Participant(id=p, name=f"참가자 {p}", role="participant")
                           for p in people),
        attendance=tuple(Attendance(participant=p, joined_at=at(i), left_at=at(7000))
                         for i, p in enumerate(people)),
        items=tuple(items),
        turns=tuple(turns),
        statements=tuple(statements),
        transcript=tuple(TranscriptSegment(author="f1", speaker=t.participant, item=t.item,
                                           text="Live caption text. " * 5, at=t.started_at,
                                           turn=n) for n, t in enumerate(turns)),
        questions=tuple(Question(id=f"q{n}", participant=people[n % 300], item=f"i{n % 12}",
                                 text=f"Question {n}?", asked_at=at(n * 20), upvotes=n % 17)
                        for n in range(300)),
        polls=tuple(polls),
        decisions=tuple(Decision(id=f"d{n}", item=f"i{n}", text=f"Decision {n}",
                                 recorded_by="f1", at=at(n * 600 + 500), poll=f"v{n}",
                                 dissent="Some disagreed.") for n in range(12)),
        reactions=tuple(ReactionCount(item=f"i{n}", kind=k, count=n * 10)
                        for n in range(12) for k in ("agree", "disagree")),
        moderation=tuple(ModerationEntry(at=at(n * 100), actor="f1", action="participant.mute",
                                         target=people[n]) for n in range(30)),
        log=tuple(LogEntry(epoch="e1", seq=seq, name="vote.counted",
                           data={"poll": f"v{seq % 20}", "turnout": seq % 300, "tally": [1, 2, 3]},
                           at=at(seq * 0.07).isoformat().replace("+00:00", "Z"),
                           cause=f"c{seq}") for seq in range(1, events + 1)),
    )  # fmt: skip


def timed(label: str, fn: Callable[[], bytes | str]) -> None:
    started = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - started
    size = len(out.encode() if isinstance(out, str) else out)
    print(f"  render {label:<9} {elapsed:7.3f} s  {size / 1024:9.1f} KiB")


async def main(events: int, url: str | None) -> None:
    scratch = None
    if url is None:
        scratch = f"th_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(f"postgresql://{PG}/postgres")
        await admin.execute(f'CREATE DATABASE "{scratch}"')
        await admin.close()
        url = f"postgresql+asyncpg://{PG}/{scratch}"
    engine = create_engine(url)
    try:
        await migrate(url)
        bundle = big_session(events)
        ballots = sum(len(p.ballots) for p in bundle.polls)
        print(f"archive of {events:,} log events, {len(bundle.statements):,} statements, "
              f"{ballots:,} ballots into {engine.dialect.name}")  # fmt: skip
        for label in ("first run", "rerun"):
            started = time.perf_counter()
            await archive(engine, bundle)
            print(f"  archive {label:<9} {time.perf_counter() - started:7.3f} s")
        started = time.perf_counter()
        minutes = await load_minutes(engine, bundle.session.room)
        print(f"  load minutes      {time.perf_counter() - started:7.3f} s")
        timed("pdf", lambda: render_pdf(minutes))
        timed("html", lambda: render_html(minutes))
        timed("markdown", lambda: render_markdown(minutes))
        timed("json", lambda: render_json(minutes))
        timed("csv", lambda: render_csv(minutes))
        small = dataclasses.replace(minutes, statements=minutes.statements[:50])
        timed("pdf-small", lambda: render_pdf(small))
    finally:
        await engine.dispose()
        if scratch is not None:
            admin = await asyncpg.connect(f"postgresql://{PG}/postgres")
            await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.database_url))

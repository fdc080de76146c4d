"""The scripted session of issue 5, end to end, on SQLite and on PostgreSQL.

One real ``townhall serve`` per database plays the whole session through the public
protocol (see ``scripted.play``); the tests then check what every client saw, the
archive rows, and the content of every minutes format.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import services
from tests.townhall.scripted import (
    AGENDA,
    ARCHIVE_TABLES,
    DECISION,
    DISSENT,
    GREETING,
    HIDDEN_TEXT,
    HIDE_REASON,
    NAMED_OPTIONS,
    QUESTIONS,
    RANKED_OPTIONS,
    TITLE,
    Expected,
    People,
    Rows,
    archive_rows,
    check_one_order,
    close_all,
    create_town,
    csv_rows,
    join,
    minutes,
    named,
    play,
    settle,
    townhall_row,
    wait_archived,
    worker_env,
)

FORMATS = ("md", "html", "json", "csv", "pdf")


@dataclass
class Played:
    x: Expected
    people: People
    rows: Rows
    town: dict[str, Any]
    docs: dict[str, bytes]


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        # Three workers on Redis: every client on one of them, any worker serves the room.
        pytest.param(
            "redis-postgres", marks=[pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
        ),
    ],
)
async def played(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Played]:
    base = tmp_path_factory.mktemp(f"scripted-{request.param}")
    database = None
    bus = None
    if request.param == "sqlite":
        db_url = f"sqlite+aiosqlite:///{base / 'townhall.db'}"
    else:
        request.getfixturevalue("postgres_available")
        database = await asyncio.to_thread(services.create_pg_database)
        db_url = services.pg_url(database)
    if request.param == "redis-postgres":
        prefix = f"{request.getfixturevalue('redis_prefix')}{uuid.uuid4().hex[:8]}:"
        bus = f"{request.getfixturevalue('redis_url')}?prefix={prefix}"
    pool = services.WorkerPool(base_dir=base)
    people: People | None = None
    try:
        workers = await asyncio.to_thread(pool.start, 3 if bus else 1, worker_env(db_url, bus))
        worker = workers[0]
        town = await create_town(
            worker.url, TITLE, AGENDA, description="Where should the money go?"
        )
        people = await join(town, [w.ws_url for w in workers])
        x = await play(town, people)
        await settle(people)
        await wait_archived(worker.url, town.id)
        rows = await archive_rows(db_url, town.id, (*ARCHIVE_TABLES, "room_log"))
        docs = {fmt: await minutes(worker.url, town.id, fmt) for fmt in FORMATS}
        yield Played(x, people, rows, await townhall_row(db_url, town.id), docs)
    finally:
        if people is not None:
            await close_all(people.everyone)
        await asyncio.to_thread(pool.stop_all)
        if database is not None:
            await asyncio.to_thread(services.drop_pg_database, database)


# -- what the clients saw ---------------------------------------------------------------


def test_every_client_sees_one_gapless_order(played: Played) -> None:
    f = played.people.facilitator
    assert f.errors == []
    check_one_order(f, played.people.everyone)
    for client in played.people.everyone:
        assert client.gaps == 0
        # From its welcome on, a client receives every seq, up to the session's end.
        seqs = [e["seq"] for e in client.history]
        assert seqs == list(range(client.welcome["seq"] + 1, f.seq + 1))


def test_observer_watches_but_sends_nothing(played: Played) -> None:
    observer = played.people.observer
    assert observer.welcome["you"]["role"] == "observer"
    names = Counter(e["name"] for e in observer.history)
    # Drafts are the facilitators' business: the seq arrives, its details do not.
    withheld = [e["data"] for e in named(observer, "poll.created")]
    assert [{k: v for k, v in d.items() if k != "head"} for d in withheld] == [
        {"withheld": True}
    ] * 2
    assert all(len(d["head"]) == 8 for d in withheld)  # the record moves on all the same
    assert names["poll.opened"] == 2
    assert names["floor.granted"] == 30
    assert names["statement.hidden"] == 1
    assert names["session.ended"] == 1


def test_secret_poll_events_never_name_a_voter(played: Played) -> None:
    x = played.x
    ids = set(x.names)
    for client in played.people.everyone:
        for event in named(client, "vote.counted"):
            if event["data"]["poll"] != x.ranked_poll:
                continue
            text = json.dumps(event["data"])
            assert not any(pid in text for pid in ids), event
            if client is not played.people.facilitator:
                assert event["data"]["tally"] is None  # results on close: hidden until then
    published = named(played.people.observer, "poll.published")
    assert [e["data"]["tally"]["winner"] for e in published] == [1]


def test_secret_poll_causes_never_name_a_voter(played: Played) -> None:
    x = played.x
    leaks = [
        event
        for client in played.people.everyone
        for event in named(client, "vote.counted")
        if event["data"]["poll"] == x.ranked_poll
        and any(pid in str(event.get("cause")) for pid in x.names)
    ]
    archived = [
        row
        for row in played.rows["room_log"]
        if row["name"] == "vote.counted"
        and json.loads(row["data"])["poll"] == x.ranked_poll
        and any(pid in str(row["cause"]) for pid in x.names)
    ]
    assert (leaks, archived) == ([], [])


def test_named_poll_results_are_live(played: Played) -> None:
    p = played.people.participants[5]
    counted = [e for e in named(p, "vote.counted") if e["data"]["poll"] == played.x.named_poll]
    assert len(counted) == 21  # 20 ballots and one changed vote
    assert counted[-1]["data"]["tally"]["counts"] == [6, 7, 7]
    closed = [e for e in named(p, "poll.closed") if e["data"]["poll"] == played.x.named_poll]
    assert closed[0]["data"]["turnout"] == 20


# -- the archive rows -------------------------------------------------------------------


def test_archive_has_attendance_and_agenda(played: Played) -> None:
    rows, x = played.rows, played.x
    assert played.town["status"] == "archived"
    assert "ballot_secret" not in played.town  # never in SQL (decision 0007)
    # One observer all along, plus the late one that checks the hidden statement if a
    # presence count (once a second) happened to fall in its brief visit.
    assert played.town["peak_observers"] in (1, 2)
    assert {r["participant"] for r in rows["attendance"]} == set(x.names)
    assert all(r["left_at"] is not None for r in rows["attendance"])
    assert {r["id"]: r["name"] for r in rows["participant"]} == x.names
    items = sorted(rows["agenda_item"], key=lambda r: r["position"])
    assert [(r["id"], r["title"], r["planned_s"]) for r in items] == [
        (i, t, d) for i, (t, d) in zip(x.items, AGENDA, strict=True)
    ]
    assert all(r["status"] == "done" and r["actual_s"] > 0 for r in items)


def test_archive_has_every_turn_statement_and_caption(played: Played) -> None:
    rows, x = played.rows, played.x
    assert [(r["participant"], r["kind"], r["item"]) for r in rows["turn"]] == x.turns
    assert all(r["ended_at"] >= r["started_at"] for r in rows["turn"])
    statements = {
        r["id"]: (
            r["participant"],
            r["text"],
            r["item"],
            None if r["turn"] is None else r["turn"] + 1,
        )
        for r in rows["statement"]
    }
    assert statements == x.statements
    hidden = [r for r in rows["statement"] if r["hidden"]]
    assert [(r["id"], r["hidden_reason"], r["hidden_by"]) for r in hidden] == [
        (x.hidden, HIDE_REASON, x.facilitator)
    ]
    turn_of = {n: r["participant"] for n, r in enumerate(rows["turn"])}
    captions = [(r["text"], r["turn"] + 1) for r in rows["transcript"]]
    assert captions == x.transcript
    assert all(r["speaker"] == turn_of[r["turn"]] for r in rows["transcript"])


def test_transcript_rows_name_who_appended_them(played: Played) -> None:
    assert {r["author"] for r in played.rows["transcript"]} == {played.x.facilitator}


def test_archive_has_questions_reactions_and_moderation(played: Played) -> None:
    rows, x = played.rows, played.x
    questions = {r["id"]: (r["text"], r["upvotes"], r["status"]) for r in rows["question"]}
    assert questions == x.questions
    reactions = {(r["item"], r["kind"]): r["count"] for r in rows["reaction"]}
    assert reactions == x.reactions
    assert [(r["action"], r["target"]) for r in rows["moderation"]] == x.moderation
    assert all(r["actor"] == x.facilitator for r in rows["moderation"])
    assert rows["moderation"][0]["reason"] == HIDE_REASON


def test_archive_has_both_polls_with_full_distribution(played: Played) -> None:
    rows, x = played.rows, played.x
    polls = {r["id"]: r for r in rows["poll"]}
    single, ranked = polls[x.named_poll], polls[x.ranked_poll]
    assert (single["kind"], single["secret"], single["status"]) == ("single", False, "closed")
    assert (single["eligible"], single["turnout"], single["quorum_met"]) == (21, 20, True)
    assert single["options"] == NAMED_OPTIONS
    tally = {(r["poll"], r["option"]): r["votes"] for r in rows["tally"]}
    assert [tally[(x.named_poll, i)] for i in range(3)] == [6, 7, 7]
    named_ballots = {
        r["participant"]: r["choice"] for r in rows["ballot"] if r["poll"] == single["id"]
    }
    assert named_ballots == x.named_ballots
    assert (ranked["kind"], ranked["secret"], ranked["status"]) == ("ranked", True, "published")
    assert (ranked["turnout"], ranked["winner"], ranked["options"]) == (20, 1, RANKED_OPTIONS)
    secret_ballots = [r for r in rows["ballot"] if r["poll"] == x.ranked_poll]
    assert len(secret_ballots) == 20
    assert all(r["participant"] is None for r in secret_ballots)
    assert sorted(json.dumps(r["choice"]) for r in secret_ballots) == sorted(
        json.dumps(c) for c in ([[0, 1, 2]] * 8 + [[1, 2, 0]] * 7 + [[2, 1, 0]] * 5)
    )
    voters = {r["participant"] for r in rows["poll_voter"] if r["poll"] == x.ranked_poll}
    assert voters == {pid for pid in x.names if pid != x.facilitator}
    rounds = [
        (r["round"], r["option"], r["votes"], r["eliminated"])
        for r in rows["irv_round"]
        if r["poll"] == x.ranked_poll
    ]
    assert rounds == [
        (1, 0, 8, False),
        (1, 1, 7, False),
        (1, 2, 5, True),
        (2, 0, 8, False),
        (2, 1, 12, False),
    ]


def test_archive_has_the_decision_with_dissent_and_its_poll(played: Played) -> None:
    (decision,) = played.rows["decision"]
    assert (decision["id"], decision["text"], decision["dissent"]) == (
        played.x.decision,
        DECISION,
        DISSENT,
    )
    assert decision["item"] == played.x.items[2]
    assert decision["poll"] == played.x.ranked_poll
    assert decision["poll_result"]["counts"] == [8, 7, 5]
    assert decision["poll_result"]["winner"] == 1
    assert decision["recorded_by"] == played.x.facilitator


# -- the minutes, format by format --------------------------------------------------------


def _shared_content(text: str, x: Expected) -> None:
    for expected in (TITLE, *(t for t, _ in AGENDA), DECISION, *QUESTIONS, HIDE_REASON, GREETING):
        assert expected in text, expected
    for name in x.names.values():
        assert name in text, name
    assert HIDDEN_TEXT not in text  # hidden in the human formats, kept in JSON and CSV
    for option in (*NAMED_OPTIONS, *RANKED_OPTIONS):
        assert option in text


def test_markdown_minutes(played: Played) -> None:
    md = played.docs["md"].decode()
    _shared_content(md.replace("\\", ""), played.x)
    assert md.startswith(f"# {TITLE}")
    assert "[hidden]" in md.replace("\\", "")
    assert "Eight residents preferred Plan A" in md
    assert "Instant-runoff rounds" in md
    for row in ("| Park | 6 |", "| Library | 7 |", "| Bike lanes | 7 |"):
        assert row in md


def test_html_minutes(played: Played) -> None:
    html = played.docs["html"].decode()
    assert 'lang="en"' in html
    assert "<script" not in html
    _shared_content(html.replace("&#x27;", "'").replace("&amp;", "&"), played.x)
    assert "Eight residents preferred Plan A" in html


def test_json_minutes_are_complete(played: Played) -> None:
    doc = json.loads(played.docs["json"])
    x = played.x
    assert doc["format"] == "townhall-minutes/1"
    assert doc["session"]["title"] == TITLE
    assert len(doc["attendance"]) == 21
    assert len(doc["turns"]) == 30
    assert {s["id"] for s in doc["statements"]} == set(x.statements)
    hidden = next(s for s in doc["statements"] if s["hidden"])
    assert (hidden["text"], hidden["hidden_reason"]) == (HIDDEN_TEXT, HIDE_REASON)
    assert [len(p["ballots"]) for p in doc["polls"]] == [20, 20]
    assert doc["decisions"][0]["dissent"] == DISSENT
    assert len(doc["moderation"]) == len(x.moderation)
    assert sum(r["count"] for r in doc["reactions"]) == sum(x.reactions.values())


def test_csv_transcript(played: Played) -> None:
    rows = csv_rows(played.docs["csv"])
    kinds = Counter(r["kind"] for r in rows)
    assert kinds == {"turn": 30, "statement": len(played.x.statements), "transcript": 12}
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)
    hidden = [r for r in rows if r["hidden"] == "true"]
    assert [r["text"] for r in hidden] == [HIDDEN_TEXT]
    assert any(r["text"] == GREETING and r["item"] == "" for r in rows)


def test_pdf_minutes_carry_the_text(played: Played, tmp_path: Path) -> None:
    pdf = played.docs["pdf"]
    assert pdf.startswith(b"%PDF-")
    binary = shutil.which("pdftotext")
    if binary is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    path = tmp_path / "minutes.pdf"
    path.write_bytes(pdf)
    done = subprocess.run(
        [binary, str(path), "-"], capture_output=True, text=True, timeout=60, check=True
    )
    text = " ".join(done.stdout.split())
    for expected in (DECISION, "참가자 07 Resident7", "Plan B", HIDE_REASON):
        assert expected in text, expected

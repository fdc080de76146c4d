"""Shared helpers of the end-to-end protocol tests: real ``townhall serve`` workers,
the organiser REST API, protocol clients, and the archive read back from SQL.

Everything goes through the public surfaces (REST, the WebSocket protocol, the SQL
archive); nothing here reaches into a worker's memory.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import sqlalchemy as sa

from realtime.client import Client, ClientError
from townhall.db import create_engine
from townhall.db.models import metadata

KEY = "th-e2e-organiser-key"
AUTH = {"Authorization": f"Bearer {KEY}"}

ARCHIVE_TABLES = (
    "attendance",
    "agenda_item",
    "turn",
    "statement",
    "transcript",
    "question",
    "poll",
    "ballot",
    "poll_voter",
    "tally",
    "irv_round",
    "decision",
    "reaction",
    "moderation",
    "participant",
)


def worker_env(db_url: str, redis_url: str | None = None) -> dict[str, str]:
    """Environment of a ``townhall serve`` worker; no Redis URL means the embedded mode."""
    return {
        "TOWNHALL_DATABASE_URL": db_url,
        "TOWNHALL_REDIS_URL": redis_url or "",
        "TOWNHALL_ORGANISER_KEY": KEY,
        "TOWNHALL_LOG_LEVEL": "warning",
    }


# -- waiting without sleeping blindly ---------------------------------------------------


async def until(check: Callable[[], bool], what: str, within: float = 20.0) -> None:
    """Poll ``check`` until it holds; a bounded wait so a broken server fails, not hangs."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def eventually(
    probe: Callable[[], Awaitable[bool]], what: str, within: float = 30.0, every: float = 0.1
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await probe():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(every)


# -- the organiser API ------------------------------------------------------------------


@dataclass(frozen=True)
class Town:
    id: str
    links: dict[str, str]
    base: str  # the worker the organiser talks to

    def token(self, role: str) -> str:
        return token_of(self.links[role])


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def rest(
    base: str, method: str, path: str, *, json: Any = None, auth: bool = True
) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        return await http.request(method, path, json=json, headers=AUTH if auth else None)


async def create_town(
    base: str,
    title: str,
    agenda: Iterable[tuple[str, int]] = (),
    **extra: Any,
) -> Town:
    body = {"title": title, "agenda": [{"title": t, "duration_s": d} for t, d in agenda], **extra}
    response = await rest(base, "POST", "/api/townhalls", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    return Town(id=created["id"], links=dict(created["links"]), base=base)


async def town_status(base: str, room: str) -> str:
    response = await rest(base, "GET", f"/api/townhalls/{room}")
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


async def wait_archived(base: str, room: str, within: float = 60.0) -> None:
    async def archived() -> bool:
        return await town_status(base, room) == "archived"

    await eventually(archived, f"the archive of {room}", within)


async def minutes(base: str, room: str, fmt: str) -> bytes:
    name = "transcript.csv" if fmt == "csv" else f"minutes.{fmt}"
    response = await rest(base, "GET", f"/api/townhalls/{room}/{name}")
    assert response.status_code == 200, (fmt, response.status_code, response.text[:500])
    return response.content


def csv_rows(body: bytes) -> list[dict[str, str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff"), "the CSV starts with a BOM for spreadsheets"
    return list(csv.DictReader(io.StringIO(text[1:])))


# -- protocol clients -------------------------------------------------------------------


async def connect(url: str, token: str, name: str | None = None) -> Client:
    client = Client(url, token, name=name)
    await asyncio.wait_for(client.connect(), 30)  # bounded: a mute server fails the test
    return client


async def reconnect(client: Client, url: str | None = None) -> dict[str, Any]:
    """Resume ``client`` (on ``url``, another worker maybe) with its resume token."""
    return await asyncio.wait_for(client.reconnect(url), 30)


async def call(client: Client, type: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Send a command and return its ack; backs off on ``rate_limited`` like a real client."""
    for _ in range(100):
        try:
            return await client.request(type, dict(data or {}))
        except ClientError as exc:
            if exc.code != "rate_limited":
                raise
            await asyncio.sleep(0.1)
    raise AssertionError(f"{type} stayed rate limited")


async def refusal(client: Client, type: str, data: Mapping[str, Any] | None = None) -> str:
    """The error code a command is refused with (fails if it is accepted)."""
    for _ in range(100):
        try:
            ack = await client.request(type, dict(data or {}))
        except ClientError as exc:
            if exc.code == "rate_limited":
                await asyncio.sleep(0.1)
                continue
            return exc.code
        raise AssertionError(f"{type} {data} was accepted: {ack}")
    raise AssertionError(f"{type} stayed rate limited")


def you(client: Client) -> str:
    return str(client.welcome["you"]["participant"])


def named(client: Client, name: str) -> list[dict[str, Any]]:
    return [e for e in client.history if e["name"] == name]


async def seen(client: Client, name: str, count: int = 1) -> None:
    """Wait until ``client`` has received ``count`` events ``name``.

    With several workers a client's worker decides on the events it has applied, as a
    person acts on what their screen shows: wait for the event before acting on it.
    """
    await until(lambda: len(named(client, name)) >= count, f"{count} x {name}")


async def close_all(clients: Iterable[Client]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


def check_one_order(reference: Client, clients: Iterable[Client]) -> None:
    """Every client saw the reference's events, by seq, with the same names and causes."""
    by_seq = {e["seq"]: e for e in reference.history}
    for client in clients:
        assert client.resyncs == 0
        seqs = [e["seq"] for e in client.history]
        assert seqs == sorted(set(seqs)), "events arrive in seq order, once each"
        for event in client.history:
            if event["seq"] in by_seq:
                ref = by_seq[event["seq"]]
                assert (event["name"], event.get("cause")) == (ref["name"], ref.get("cause"))


# -- the SQL archive --------------------------------------------------------------------

Rows = dict[str, list[dict[str, Any]]]


async def archive_rows(db_url: str, room: str, tables: Iterable[str] = ARCHIVE_TABLES) -> Rows:
    """Every archive row of ``room``, per table, in primary-key order."""
    engine = create_engine(db_url)
    out: Rows = {}
    try:
        async with engine.connect() as conn:
            for name in tables:
                table = metadata.tables[name]
                query = (
                    sa.select(table)
                    .where(table.c.room == room)
                    .order_by(*table.primary_key.columns)
                )
                out[name] = [dict(row._mapping) for row in await conn.execute(query)]
    finally:
        await engine.dispose()
    return out


async def townhall_row(db_url: str, room: str) -> dict[str, Any]:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            table = metadata.tables["townhall"]
            row = (await conn.execute(sa.select(table).where(table.c.id == room))).one()
            return dict(row._mapping)
    finally:
        await engine.dispose()


# -- the scripted session of issue 5 ------------------------------------------------------
#
# A facilitator, 20 participants (Korean and Latin names) and an observer; an agenda of
# 3 items with 10 speaking turns each (speak, point of order, reply; yielded, ended, or
# ended by the next grant or by completing the item), statements on and off turns,
# transcript text, a hidden statement, questions with upvotes, a named single-choice poll
# with live results and a changed vote, a secret ranked poll with results on close that
# needs a second instant-runoff round, a decision with dissent, reactions, mute and unmute,
# and ``session.end``. ``Expected`` records what the archive and the minutes must show.

TITLE = "Riverside Park town hall — 강변 공원"
AGENDA = (("Opening and context", 600), ("Which project first", 900), ("Choosing the plan", 900))
PARTICIPANTS = 20
TURNS_PER_ITEM = 10
NAMED_OPTIONS = ["Park", "Library", "Bike lanes"]
RANKED_OPTIONS = ["Plan A", "Plan B", "Plan C"]
GREETING = "Hello everyone, 안녕하세요"
HIDDEN_TEXT = "You are all idiots (this will be hidden)"
HIDE_REASON = "Personal attack"
DECISION = "We adopt Plan B for the riverside."
DISSENT = "Eight residents preferred Plan A because it is cheaper; 소수 의견 기록."
QUESTIONS = (
    "How will the park be funded?",
    "Can the library open on Sundays?",
    "Is this even the right meeting?",
)


def person_name(i: int) -> str:
    return f"참가자 {i:02d} Resident{i}"


def ranked_ballot(i: int) -> list[int]:
    # 8 ballots A>B>C, 7 B>C>A, 5 C>B>A: no majority in round 1, C goes, B wins round 2.
    if i < 8:
        return [0, 1, 2]
    if i < 15:
        return [1, 2, 0]
    return [2, 1, 0]


@dataclass
class Expected:
    room: str
    facilitator: str = ""
    names: dict[str, str] = field(default_factory=dict)  # participant id -> display name
    items: list[str] = field(default_factory=list)
    turns: list[tuple[str, str, str]] = field(default_factory=list)  # who, kind, item
    statements: dict[str, tuple[str, str, str | None, int | None]] = field(
        default_factory=dict
    )  # id -> (who, text, item, turn number)
    hidden: str = ""
    transcript: list[tuple[str, int]] = field(default_factory=list)  # text, turn number
    questions: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # text, up, status
    named_poll: str = ""
    named_ballots: dict[str, int] = field(default_factory=dict)
    ranked_poll: str = ""
    reactions: dict[tuple[str, str], int] = field(default_factory=dict)  # (item, kind) -> n
    moderation: list[tuple[str, str]] = field(default_factory=list)  # action, target
    decision: str = ""
    head: int = 0  # the highest seq acked so far


async def act(
    x: Expected, client: Client, type: str, data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``call``, once the client's worker has applied every acked command before it.

    A person acts on what their screen shows; with several workers a client's worker
    may still be applying the others' last commands, so wait for that first.
    """
    await until(lambda: client.seq >= x.head, f"the client to catch up before {type}")
    ack = await call(client, type, data)
    x.head = max(x.head, int(ack["seq"]))
    return ack


@dataclass
class People:
    facilitator: Client
    observer: Client
    participants: list[Client]

    @property
    def everyone(self) -> list[Client]:
        return [self.facilitator, self.observer, *self.participants]


async def join(town: Town, urls: list[str]) -> People:
    """Facilitator first (so it sees every event), then the observer and 20 people."""
    facilitator = await connect(urls[0], town.token("facilitator"), "진행자 Facilitator")
    observer = await connect(urls[1 % len(urls)], town.token("observer"))
    participants = await asyncio.gather(
        *(
            connect(urls[(i + 2) % len(urls)], town.token("participant"), person_name(i))
            for i in range(PARTICIPANTS)
        )
    )
    return People(facilitator, observer, list(participants))


async def play(town: Town, people: People) -> Expected:
    f, ps = people.facilitator, people.participants
    x = Expected(room=town.id, facilitator=you(f))
    x.names = {you(p): person_name(i) for i, p in enumerate(ps)} | {you(f): "진행자 Facilitator"}
    x.items = [item["id"] for item in f.welcome["snapshot"]["agenda"]["items"]]
    assert len(x.items) == 3
    await act(x, f, "session.start")
    ack = await act(x, ps[0], "statement.post", {"text": GREETING})
    x.statements[ack["result"]["statement"]] = (you(ps[0]), GREETING, None, None)
    for k, item in enumerate(x.items):
        await act(x, f, "agenda.start", {"item": item})
        if k == 0:
            await _moderate(x, town, f, ps, item)
            await _react(x, ps[:5], "agree", item)
            await _react(x, ps[5:7], "disagree", item)
        await _turns(x, f, ps, k, item)
        if k == 1:
            await _questions(x, f, ps)
            await _named_poll(x, f, ps)
        if k == 2:
            await _react(x, ps[7:10], "applause", item)
            await _react(x, ps[10:11], "unclear", item)
            await _ranked_poll(x, f, ps)
            ack = await act(
                x,
                f,
                "decision.record",
                {"item": item, "text": DECISION, "poll": x.ranked_poll, "dissent": DISSENT},
            )
            x.decision = ack["result"]["decision"]
        await act(x, f, "agenda.complete", {"item": item})
    await act(x, f, "session.end")
    return x


async def _moderate(x: Expected, town: Town, f: Client, ps: list[Client], item: str) -> None:
    ack = await act(x, ps[19], "statement.post", {"text": HIDDEN_TEXT})
    sid = ack["result"]["statement"]
    x.statements[sid] = (you(ps[19]), HIDDEN_TEXT, item, None)
    x.hidden = sid
    await act(x, f, "statement.hide", {"statement": sid, "reason": HIDE_REASON})
    # Posted live, the text was seen; hidden, no later viewer of the public view gets it.
    late = await connect(f.url, town.token("observer"))
    shown = {s["id"]: s for s in late.welcome["snapshot"]["statements"]}
    await late.close()
    assert (shown[sid]["hidden"], shown[sid]["text"]) == (True, None)
    await act(x, f, "participant.mute", {"participant": you(ps[18])})
    await act(x, f, "participant.unmute", {"participant": you(ps[18])})
    x.moderation += [
        ("statement.hide", you(ps[19])),
        ("participant.mute", you(ps[18])),
        ("participant.unmute", you(ps[18])),
    ]


async def _react(x: Expected, who: list[Client], kind: str, item: str) -> None:
    await asyncio.gather(*(act(x, p, "reaction.send", {"kind": kind}) for p in who))
    x.reactions[(item, kind)] = x.reactions.get((item, kind), 0) + len(who)


async def _turns(x: Expected, f: Client, ps: list[Client], k: int, item: str) -> None:
    for t in range(TURNS_PER_ITEM):
        p = ps[(k * 7 + t) % PARTICIPANTS]
        # A reply needs a running turn: turn 3 is still running when turn 4's hand goes up.
        kind = "point_of_order" if t == 3 else "reply" if t == 4 else "speak"
        await act(x, p, "hand.raise", {"kind": kind})
        await act(x, f, "floor.grant", {"participant": you(p)})
        x.turns.append((you(p), kind, item))
        number = len(x.turns)
        if t % 2 == 0:
            text = f"My view on item {k + 1}, turn {number}."
            ack = await act(x, p, "statement.post", {"text": text})
            x.statements[ack["result"]["statement"]] = (you(p), text, item, number)
        if t % 3 == 0:
            text = f"Caption of turn {number}."
            await act(x, f, "transcript.append", {"text": text})
            x.transcript.append((text, number))
        if t % 4 == 1:
            await act(x, p, "floor.yield")
        elif t % 4 == 2:
            await act(x, f, "floor.end")
            x.moderation.append(("floor.end", you(p)))  # ending someone's turn is on the record
        # otherwise the next grant (or completing the item) ends the turn


async def _questions(x: Expected, f: Client, ps: list[Client]) -> None:
    ids = []
    for i, text in enumerate(QUESTIONS):
        ack = await act(x, ps[i + 1], "question.ask", {"text": text})
        ids.append(ack["result"]["question"])
    voters = (ps[4:14], ps[4:9], ps[9:10])
    for qid, who in zip(ids, voters, strict=True):
        await asyncio.gather(*(act(x, p, "question.upvote", {"question": qid}) for p in who))
    await act(x, f, "question.answer", {"question": ids[0]})
    await act(x, f, "question.to_queue", {"question": ids[1]})
    await act(x, f, "question.dismiss", {"question": ids[2]})
    x.moderation.append(("question.dismiss", you(ps[3])))
    statuses = ("answered", "queued", "dismissed")
    for qid, text, who, status in zip(ids, QUESTIONS, voters, statuses, strict=True):
        x.questions[qid] = (text, len(who), status)


async def _named_poll(x: Expected, f: Client, ps: list[Client]) -> None:
    ack = await act(
        x,
        f,
        "poll.create",
        {
            "question": "Which project first?",
            "kind": "single",
            "options": NAMED_OPTIONS,
            "secret": False,
            "results": "live",
            "quorum": 10,
        },
    )
    poll = x.named_poll = ack["result"]["poll"]
    await act(x, f, "poll.open", {"poll": poll})
    await asyncio.gather(
        *(act(x, p, "poll.vote", {"poll": poll, "choice": i % 3}) for i, p in enumerate(ps))
    )
    await act(x, ps[0], "poll.vote", {"poll": poll, "choice": 2})  # a changed vote
    x.named_ballots = {you(p): i % 3 for i, p in enumerate(ps)} | {you(ps[0]): 2}
    await act(x, f, "poll.close", {"poll": poll})


async def _ranked_poll(x: Expected, f: Client, ps: list[Client]) -> None:
    ack = await act(
        x,
        f,
        "poll.create",
        {
            "question": "Which plan for the riverside?",
            "kind": "ranked",
            "options": RANKED_OPTIONS,
            "secret": True,
            "results": "on_close",
            "quorum": 5,
        },
    )
    poll = x.ranked_poll = ack["result"]["poll"]
    await act(x, f, "poll.open", {"poll": poll})
    await asyncio.gather(
        *(
            act(x, p, "poll.vote", {"poll": poll, "choice": ranked_ballot(i)})
            for i, p in enumerate(ps)
        )
    )
    await act(x, f, "poll.close", {"poll": poll})
    await act(x, f, "poll.publish", {"poll": poll})


async def settle(people: People) -> None:
    """Wait until every client has received the facilitator's last event."""
    head = people.facilitator.seq
    await until(
        lambda: all(c.seq >= head for c in people.everyone),
        "every client to reach the end of the session",
    )

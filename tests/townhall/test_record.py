"""The record anyone can verify (SPEC §8) and the recount, end to end.

A roll-access session with proxies, secret and named polls, a hidden statement and a
decision is played on real workers (SQLite; PostgreSQL; three workers on Redis with
PostgreSQL). Its JSON minutes verify (organiser's and public edition), with the head
the room showed live; any changed byte of an event or of a summary section fails;
every poll recounts from its ballot rows, and a changed ballot row is caught.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation import record as live_record
from tests import services
from tests.townhall.scripted import (
    KEY,
    call,
    close_all,
    connect,
    refusal,
    rest,
    seen,
    token_of,
    wait_archived,
    worker_env,
    you,
)
from townhall import verify as verifier
from townhall.cli import main
from townhall.db import create_engine
from townhall.db.models import metadata

ROLL = [{"name": n, "ref": r} for n, r in (("김민준", "A-1"), ("Lee", "A-2"), ("Park", "A-3"))]
HIDDEN = "이 발언은 가려집니다 — hidden text"


@dataclass
class Played:
    base: str
    db_url: str
    room: str
    doc: dict[str, Any]  # the organiser's JSON minutes
    public: dict[str, Any]  # the open-data edition
    live_head: str  # the head the facilitator's page showed at the end (8 hex digits)
    polls: dict[str, str]  # name -> poll id


async def play(base: str, ws: list[str]) -> tuple[str, str, dict[str, str]]:
    body = {
        "title": "정기총회",
        "visibility": "public",
        "access": "roll",
        "roll": ROLL,
        "proxies": [{"from": "A-2", "to": "A-1"}],
        "agenda": [{"title": "Budget", "duration_s": 600}],
    }
    created = (await rest(base, "POST", "/api/townhalls", json=body)).json()
    room = created["id"]
    links = {m["ref"]: token_of(m["url"]) for m in created["links"]["personal"]}
    f = await connect(ws[0], token_of(created["links"]["facilitator"]), "Chair")
    kim = await connect(ws[1 % len(ws)], links["A-1"])
    lee = await connect(ws[2 % len(ws)], links["A-2"])
    park = await connect(ws[0], links["A-3"])
    clients = [f, kim, lee, park]
    polls: dict[str, str] = {}
    try:
        item = f.welcome["snapshot"]["agenda"]["items"][0]["id"]
        await call(f, "session.start")
        await call(f, "agenda.start", {"item": item})
        for c in (kim, park):
            await seen(c, "agenda.started")
        await call(kim, "statement.post", {"text": "예산안에 찬성합니다."})
        await call(kim, "reaction.send", {"kind": "agree"})
        await call(park, "question.ask", {"text": "Who pays?", "anonymous": True})
        hidden = (await call(park, "statement.post", {"text": HIDDEN}))["result"]["statement"]
        await call(f, "statement.hide", {"statement": hidden, "reason": "off topic"})
        secret = {"question": "Adopt the budget?", "kind": "yes_no_abstain",
                  "eligible": "roll", "quorum_share": 0.5}  # fmt: skip
        named = {"question": "Which date?", "kind": "single", "options": ["May", "June"],
                 "secret": False}  # fmt: skip
        ranked = {"question": "Rank the projects", "kind": "ranked",
                  "options": ["Park", "Library", "Road"], "results": "on_close"}  # fmt: skip
        for name, spec in (("secret", secret), ("named", named), ("ranked", ranked)):
            polls[name] = (await call(f, "poll.create", spec))["result"]["poll"]
            await call(f, "poll.open", {"poll": polls[name]})
        for c in (kim, lee, park):
            await seen(c, "poll.opened", 3)
        assert await refusal(lee, "poll.vote", {"poll": polls["secret"], "choice": 1}) == (
            "proxy_given"
        )
        await call(kim, "poll.vote", {"poll": polls["secret"], "choice": 0})  # + Lee's
        await call(park, "poll.vote", {"poll": polls["secret"], "choice": 1})
        await call(kim, "poll.vote", {"poll": polls["named"], "choice": 1})
        await call(park, "poll.vote", {"poll": polls["named"], "choice": 0})
        await call(kim, "poll.vote", {"poll": polls["ranked"], "choice": [2, 0]})
        await call(park, "poll.vote", {"poll": polls["ranked"], "choice": [0, 1, 2]})
        for name in ("secret", "named", "ranked"):
            await call(f, "poll.close", {"poll": polls[name]})
        await call(f, "poll.publish", {"poll": polls["ranked"]})
        await call(
            f, "decision.record",
            {"item": item, "text": "예산안 가결", "poll": polls["secret"], "dissent": "Park"},
        )  # fmt: skip
        await call(f, "session.end")
        await seen(f, "session.ended")
        head = str(f.history[-1]["data"]["head"])
        assert you(kim) != you(lee)
    finally:
        await close_all(clients)
    return room, head, polls


@pytest.fixture(
    scope="module",
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param(
            "redis-postgres", marks=[pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
        ),
    ],
)
async def played(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Played]:
    base = tmp_path_factory.mktemp(f"record-{request.param}")
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
    try:
        workers = await asyncio.to_thread(pool.start, 3 if bus else 1, worker_env(db_url, bus))
        url = workers[0].url
        room, head, polls = await play(url, [w.ws_url for w in workers])
        await wait_archived(url, room)
        doc = (await rest(url, "GET", f"/api/townhalls/{room}/minutes.json")).json()
        public = (
            await rest(url, "GET", f"/api/public/townhalls/{room}/minutes.json", auth=False)
        ).json()
        yield Played(url, db_url, room, doc, public, head, polls)
    finally:
        await asyncio.to_thread(pool.stop_all)
        if database is not None:
            await asyncio.to_thread(services.drop_pg_database, database)


def cli(*args: str) -> Any:
    env = {"TOWNHALL_ORGANISER_KEY": KEY, "TOWNHALL_SERVER": None}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def failure(doc: dict[str, Any]) -> str:
    with pytest.raises(verifier.Mismatch) as caught:
        verifier.verify(doc)
    return str(caught.value)


# -- verify ----------------------------------------------------------------------------


def test_verify_passes_on_fresh_minutes_with_the_live_head(played: Played, tmp_path: Path) -> None:
    record = played.doc["record"]
    assert record["algorithm"] == "sha256"
    assert record["head"].startswith(played.live_head)
    events = record["events"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    path = tmp_path / "minutes.json"
    path.write_text(json.dumps(played.doc, ensure_ascii=False), encoding="utf-8")
    result = cli("verify", str(path))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"verified {len(events)} events, head {record['head']}"


def test_the_public_edition_verifies_without_the_hidden_text(played: Played) -> None:
    done = verifier.verify(played.public)
    assert done.head == played.doc["record"]["head"]
    dumped = json.dumps(played.public, ensure_ascii=False)
    assert HIDDEN not in dumped
    sealed = [
        e["data"] for e in played.public["record"]["events"] if e["name"] == "statement.posted"
    ]
    assert any("text_sha256" in d and "text" not in d for d in sealed)


def test_the_record_never_links_a_secret_voter_to_a_choice(played: Played) -> None:
    secret = played.polls["secret"]
    votes = [
        e["data"]
        for e in played.doc["record"]["events"]
        if e["name"] == "vote.counted" and e["data"]["poll"] == secret
    ]
    assert votes
    assert all(set(v) == {"poll", "turnout"} for v in votes)
    closed = next(
        e["data"]
        for e in played.doc["record"]["events"]
        if e["name"] == "poll.closed" and e["data"]["poll"] == secret
    )
    tally = closed["tally"]
    assert (tally["turnout"], tally["in_person"], tally["by_proxy"]) == (3, 2, 1)


def test_the_record_names_no_reactor_and_no_anonymous_asker(played: Played) -> None:
    events = played.doc["record"]["events"]
    reactions = [e["data"] for e in events if e["name"] == "reaction.sent"]
    assert reactions
    assert all("participant" not in d for d in reactions)
    asked = [e["data"] for e in events if e["name"] == "question.asked"]
    assert asked
    assert all(d["anonymous"] and "participant" not in d for d in asked)


def test_two_implementations_of_the_chain_agree(played: Played) -> None:
    prev = live_record.GENESIS
    for event in played.doc["record"]["events"]:
        mine = live_record.link(prev, event["seq"], event["name"], event["data"], event["at"])
        assert mine == verifier.chain_hash(prev, event) == event["hash"]
        prev = mine


def _mutations(doc: dict[str, Any]) -> list[tuple[str, Callable[[dict[str, Any]], None]]]:
    """One change of one character in each event, and in each summary section."""

    def bump(value: str) -> str:
        return value[:-1] + ("0" if value[-1] != "0" else "1")

    out: list[tuple[str, Callable[[dict[str, Any]], None]]] = []
    for n in range(len(doc["record"]["events"])):
        field = "at" if n % 3 == 0 else ("hash" if n % 3 == 1 else "data")

        def change(d: dict[str, Any], n: int = n, field: str = field) -> None:
            e = d["record"]["events"][n]
            if field == "data":
                e["data"]["~"] = 1  # one more member: other bytes
            else:
                e[field] = bump(e[field])

        out.append((f"event seq {n + 1}", change))

    def statement(d: dict[str, Any]) -> None:
        d["statements"][0]["text"] = d["statements"][0]["text"] + "."

    def tally(d: dict[str, Any]) -> None:
        poll = next(p for p in d["polls"] if p["tally"])
        poll["tally"][0]["votes"] += 1

    def decision(d: dict[str, Any]) -> None:
        d["decisions"][0]["text"] = d["decisions"][0]["text"][:-1]

    def attendance(d: dict[str, Any]) -> None:
        d["attendance"][0]["joined_at"] = d["attendance"][0]["joined_at"].replace("20", "19", 1)

    def head(d: dict[str, Any]) -> None:
        d["record"]["head"] = bump(d["record"]["head"])

    out += [
        ("statements", statement),
        ("tallies", tally),
        ("decisions", decision),
        ("attendance", attendance),
        ("record: head", head),
    ]
    return out


def test_verify_fails_on_any_changed_event_or_summary(played: Played) -> None:
    for where, change in _mutations(played.doc):
        doc = copy.deepcopy(played.doc)
        change(doc)
        problem = failure(doc)
        assert problem.startswith(where), (where, problem)


CHARS = st.characters(codec="utf-8", exclude_categories=["Cs"])
SECTIONS = {"attendance": "attendance", "statements": "statements", "polls": "tallies",
            "decisions": "decisions", "roll": "roll", "proxies": "proxies"}  # fmt: skip
Path_ = tuple[Any, ...]


def _targets(value: Any, path: Path_ = ()) -> list[tuple[Path_, bool]]:
    """Every leaf (path, False) and every member name (path to it, True) under value."""
    out: list[tuple[Path_, bool]] = []
    if isinstance(value, dict):
        for key, member in value.items():
            out.append(((*path, key), True))
            out += _targets(member, (*path, key))
    elif isinstance(value, list):
        for n, member in enumerate(value):
            out += _targets(member, (*path, n))
    else:
        out.append((path, False))
    return out


def _unverifiable(doc: dict[str, Any], path: Path_) -> bool:
    """What the events cannot vouch for (docs/minutes.md): a later preference of a secret
    ranked ballot (the record keeps only the turnout of a secret vote and the tally; the
    recount compares the ballots with the archive), and a battle's history figures."""
    if path[:1] == ("polls",) and len(path) >= 3 and path[2] == "battle":
        # A battle's figures other than its closing counts (opening, switches, moves,
        # timeline) come from the ballots' history, which a secret vote's event omits.
        return len(path) < 4 or path[3] != "closing"
    if path[:1] != ("polls",) or len(path) < 6 or path[2] != "ballots":
        return False
    poll = doc["polls"][path[1]]
    return (
        bool(poll["secret"]) and poll["kind"] == "ranked" and path[4] == "choice" and (path[5] > 0)
    )


@st.composite
def changed_byte(draw: st.DrawFn, doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A copy of ``doc`` with one character (or number, or flag) of one event or one
    summary section changed, and the label ``verify`` must name."""
    part = draw(st.sampled_from(["record", *(k for k in SECTIONS if doc.get(k))]))
    if part == "record":
        n = draw(st.integers(0, len(doc["record"]["events"]) - 1))
        base: Path_ = ("record", "events", n)
        label = f"event seq {n + 1}"
    else:
        base, label = (part,), SECTIONS[part]
    root: Any = doc
    for step in base:
        root = root[step]
    targets = [(base + p, key) for p, key in _targets(root) if not _unverifiable(doc, base + p)]
    path, is_key = draw(st.sampled_from(targets))
    out = copy.deepcopy(doc)
    parent: Any = out
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]

    def other(text: str) -> str:
        if not text:
            return draw(CHARS)
        i = draw(st.integers(0, len(text) - 1))
        c = draw(CHARS.filter(
            lambda c: c != text[i]
        ))  # fmt: skip
        return text[:i] + c + text[i + 1 :]

    if is_key:
        parent[other(last)] = parent.pop(last)
    else:
        value = parent[last]
        if isinstance(value, bool):
            parent[last] = not value
        elif isinstance(value, int):
            parent[last] = value + draw(st.sampled_from([-2, -1, 1, 2, 10]))
        elif isinstance(value, float):
            parent[last] = value + draw(st.sampled_from([-0.1, 0.25, 1.0]))
        elif isinstance(value, str):
            parent[last] = other(value)
        else:  # null
            parent[last] = draw(st.sampled_from([0, "", False, "x"]))
    return out, label


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_verify_fails_on_any_changed_byte(played: Played, data: st.DataObject) -> None:
    doc = data.draw(st.sampled_from([played.doc, played.public]))
    changed, label = data.draw(changed_byte(doc))
    try:
        verifier.verify(changed)
    except verifier.Mismatch as exc:
        problem = str(exc)
    else:
        raise AssertionError(f"verify passed: {label}")
    where = ("polls:", "tallies:") if label == "tallies" else (f"{label}:", f"{label} (")
    assert problem.startswith(where), (label, problem)


def test_verify_names_the_first_mismatch_and_exits_1(played: Played, tmp_path: Path) -> None:
    doc = copy.deepcopy(played.doc)
    doc["record"]["events"][4]["data"]["~"] = 1
    doc["record"]["events"][7]["data"]["~"] = 1
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = cli("verify", str(path))
    assert result.exit_code == 1
    assert result.output.startswith("mismatch: event seq 5 (")


# -- recount ---------------------------------------------------------------------------


async def test_recount_matches_then_detects_a_changed_ballot_row(played: Played) -> None:
    answer = (await rest(played.base, "GET", f"/api/townhalls/{played.room}/recount")).json()
    assert [p["match"] for p in answer["polls"]] == [True, True, True]
    secret = next(p for p in answer["polls"] if p["poll"] == played.polls["secret"])
    assert secret["recounted"]["turnout"] == 3  # Kim, Lee by proxy, Park
    result = await asyncio.to_thread(cli, "recount", played.room, "--server", played.base)
    assert result.exit_code == 0, result.output
    ballot = metadata.tables["ballot"]
    engine = create_engine(played.db_url)
    try:
        async with engine.begin() as conn:
            rows = (
                await conn.execute(
                    sa.select(ballot.c.n, ballot.c.choice).where(
                        ballot.c.room == played.room, ballot.c.poll == played.polls["named"]
                    )
                )
            ).all()
            n, choice = rows[0]
            await conn.execute(
                sa.update(ballot)
                .where(
                    ballot.c.room == played.room,
                    ballot.c.poll == played.polls["named"],
                    ballot.c.n == n,
                )
                .values(choice=1 - choice)
            )
        answer = (await rest(played.base, "GET", f"/api/townhalls/{played.room}/recount")).json()
        by_poll = {p["poll"]: p["match"] for p in answer["polls"]}
        assert by_poll == {
            played.polls["secret"]: True, played.polls["named"]: False,
            played.polls["ranked"]: True,
        }  # fmt: skip
        result = await asyncio.to_thread(cli, "recount", played.room, "--server", played.base)
        assert result.exit_code == 1
        assert "MISMATCH" in result.output
    finally:
        async with engine.begin() as conn:  # leave the archive as it was for other tests
            await conn.execute(
                sa.update(ballot)
                .where(
                    ballot.c.room == played.room,
                    ballot.c.poll == played.polls["named"],
                    ballot.c.n == n,
                )
                .values(choice=choice)
            )
        await engine.dispose()


def test_minutes_show_roll_proxies_eligible_lists_and_the_head(played: Played) -> None:
    doc = played.doc
    assert [m["name"] for m in doc["roll"]] == ["김민준", "Lee", "Park"]
    names = {m["participant"]: m["name"] for m in doc["roll"]}
    assert [(names[x["giver"]], names[x["holder"]]) for x in doc["proxies"]] == [("Lee", "김민준")]
    secret = next(p for p in doc["polls"] if p["id"] == played.polls["secret"])
    assert sorted(names[e] for e in secret["eligible_list"]) == ["Lee", "Park", "김민준"]
    assert (secret["turnout"], secret["by_proxy"], secret["quorum_needed"]) == (3, 1, 2)
    assert sorted(names[v] for v in secret["voters"]) == ["Park", "김민준"]
    assert all(b["participant"] is None for b in secret["ballots"])
    named = next(p for p in doc["polls"] if p["id"] == played.polls["named"])
    by_proxy = [b for b in named["ballots"] if b["holder"]]
    assert [(names[b["participant"]], names[b["holder"]]) for b in by_proxy] == [("Lee", "김민준")]

"""Attack class: linking secret ballots to voters after the archive (decision 0007).

The attacker has full read access, after the session is archived, to every byte the
server and its services keep: the SQLite file and its WAL, PostgreSQL's relation files
and WAL segments (after a CHECKPOINT), every Redis key, the data directory and every
export of the minutes. The audit linked 9 of 9 ballots this way on both backends (the
ballot secret's old row version and the raw log's ballot keys, causes and order).

Here a secret poll gets five ballots (one changed) in an order that is not the order of
the choices. The test records, during the session, what would link them: the room's
ballot secret (read from the vault, as a backup taken then would) and each voter's
ballot key. After the archive none of it may be found anywhere, the archived raw log's
secret votes must be in canonical order without keys or causes, and it must still fold
to the same tally. As a control, the same scan must find the live copies (Redis) and a
posted statement's text (SQL) where they are expected, so a scan that reads nothing
cannot pass.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from redis.asyncio import Redis

from facilitation.polls import ballot_key
from realtime.client import Client
from tests import services
from tests.townhall.scripted import (
    call,
    close_all,
    connect,
    create_town,
    minutes,
    wait_archived,
    worker_env,
    you,
)
from townhall.db import create_engine

CHOICES = [2, 0, 1, 0, 2]  # arrival order; sorted they are 0, 0, 1, 2, 2
CHANGED = (4, 1)  # the fifth voter then changes their vote to 1: final 2, 0, 1, 0, 1


@dataclass(frozen=True)
class Setup:
    mode: str
    db_url: str
    prefix: str  # the Redis key prefix of the run ("" without Redis)
    env: dict[str, str]


@pytest.fixture(params=["sqlite", "postgres", "redis+postgres"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Setup:
    mode = str(request.param)
    prefix = ""
    bus = None
    if mode == "sqlite":
        db_url = f"sqlite+aiosqlite:///{tmp_path / 'townhall.db'}"
    else:
        db_url = str(request.getfixturevalue("postgres_url"))
    if mode == "redis+postgres":
        prefix = f"{request.getfixturevalue('redis_prefix')}{uuid.uuid4().hex[:8]}:"
        bus = f"{request.getfixturevalue('redis_url')}?prefix={prefix}"
    env = {**worker_env(db_url, bus), "TOWNHALL_DATA_DIR": str(tmp_path / "data")}
    return Setup(mode, db_url, prefix, env)


class Evidence:
    """Every byte an attacker could read, by where it came from."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def add(self, where: str, blob: bytes) -> None:
        self.blobs[where] = self.blobs.get(where, b"") + blob

    def found(self, needle: bytes) -> list[str]:
        return [where for where, blob in self.blobs.items() if needle in blob]

    def size(self) -> int:
        return sum(len(b) for b in self.blobs.values())


def _forms(secret: bytes) -> list[bytes]:
    """How a 32-byte secret could be written down: raw, hex, base64."""
    return [secret, secret.hex().encode(), base64.b64encode(secret), secret.hex().upper().encode()]


async def _pg_files(db_url: str, evidence: Evidence) -> None:
    dsn = db_url.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CHECKPOINT")  # dirty pages reach the relation files
        data_dir = Path(await conn.fetchval("SHOW data_directory"))
        oid = await conn.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
    finally:
        await conn.close()
    await asyncio.to_thread(_read_pg, data_dir, oid, evidence)


def _read_pg(data_dir: Path, oid: int, evidence: Evidence) -> None:
    for path in sorted((data_dir / "base" / str(oid)).iterdir()):
        if path.is_file():
            evidence.add(f"pg:{path.name}", path.read_bytes())
    for path in sorted((data_dir / "pg_wal").iterdir()):
        if path.is_file() and len(path.name) == 24:
            evidence.add("pg_wal", path.read_bytes())


def _read_tree(root: Path, pattern: str, evidence: Evidence) -> None:
    for path in sorted(root.glob(pattern)):
        if path.is_file():
            evidence.add(f"{path.relative_to(root)}", path.read_bytes())


def _s(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _b(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value or "").encode()


async def _redis_keys(prefix: str, evidence: Evidence) -> int:
    """Every key under ``prefix``, read whatever its type, into ``evidence``."""
    redis = Redis(host=services.REDIS_HOST, port=services.REDIS_PORT)
    found = 0
    try:
        async for key in redis.scan_iter(match=f"{prefix}*"):
            found += 1
            kind = _s(await redis.type(key))
            value: bytes
            if kind == "string":
                value = _b(await redis.get(key))
            elif kind == "stream":
                entries: Any = await redis.xrange(key)
                value = json.dumps(
                    [[_s(i), {_s(k): _s(v) for k, v in f.items()}] for i, f in entries]
                ).encode()
            elif kind == "hash":
                fields: Any = await redis.hgetall(key)
                value = json.dumps({_s(k): _s(v) for k, v in fields.items()}).encode()
            else:
                value = _b(await redis.dump(key))
            evidence.add(f"redis:{_s(key)}", value)
    finally:
        await redis.aclose()
    return found


async def _vault_secret(mode: str, data_dir: Path, prefix: str, room: str) -> bytes:
    """The room's ballot secret as a backup taken during the session would hold it."""
    if mode == "redis+postgres":
        redis = Redis(host=services.REDIS_HOST, port=services.REDIS_PORT)
        try:
            value = await redis.get(f"{prefix}{{room:{room}}}:ballot")
        finally:
            await redis.aclose()
        assert value is not None
        return _b(value)
    files = Evidence()
    await asyncio.to_thread(_read_tree, data_dir / "ballot-secrets", "*", files)
    (secret,) = files.blobs.values()
    return secret


async def test_no_secret_ballot_can_be_linked_after_the_archive(
    setup: Setup, tmp_path: Path
) -> None:
    mode, db_url, prefix = setup.mode, setup.db_url, setup.prefix
    data_dir = tmp_path / "data"
    for pool in services.pool(tmp_path, setup.env):
        (worker,) = await asyncio.to_thread(pool.start, 1)
        town = await create_town(worker.url, "Secret ballot", [("Vote", 600)])
        f = await connect(worker.ws_url, town.token("facilitator"))
        voters = [
            await connect(worker.ws_url, town.token("participant"), f"Voter {i}")
            for i in range(len(CHOICES))
        ]
        clients: list[Client] = [f, *voters]
        try:
            await call(f, "session.start")
            await call(voters[0], "statement.post", {"text": "control text 7f3a9c in SQL"})
            poll = (
                await call(f, "poll.create", {"question": "Which?", "kind": "single",
                                              "options": ["A", "B", "C"], "secret": True})
            )["result"]["poll"]  # fmt: skip
            await call(f, "poll.open", {"poll": poll})
            for voter, choice in zip(voters, CHOICES, strict=True):
                await call(voter, "poll.vote", {"poll": poll, "choice": choice})
            await call(voters[CHANGED[0]], "poll.vote", {"poll": poll, "choice": CHANGED[1]})
            # What would link the ballots, recorded while the session is live.
            secret = await _vault_secret(mode, data_dir, prefix, town.id)
            keys = {you(v): ballot_key(secret, poll, you(v)).encode() for v in voters}
            live = Evidence()
            if mode == "redis+postgres":
                assert await _redis_keys(prefix, live) > 0
                # Control: the live Redis log holds the ballot keys in clear.
                assert all(live.found(k) for k in keys.values())
            elif mode == "sqlite":
                await asyncio.to_thread(_read_tree, tmp_path, "townhall.db*", live)
                # Even live, the durable SQL copy holds secret votes sealed only.
                assert not [k for k in keys.values() if live.found(k)]
                assert live.found(b"control text 7f3a9c")
            await call(f, "poll.close", {"poll": poll})
            await call(f, "session.end")
            await wait_archived(worker.url, town.id)
            exports = {fmt: await minutes(worker.url, town.id, fmt)
                       for fmt in ("md", "html", "json", "csv")}  # fmt: skip
        finally:
            await close_all(clients)
        worker.stop()

    after = Evidence()
    if mode == "sqlite":
        await asyncio.to_thread(_read_tree, tmp_path, "townhall.db*", after)
    else:
        await _pg_files(db_url, after)
    if mode == "redis+postgres":
        for _ in range(50):  # the live copy is let go at once (Redis expires it in 1 s)
            probe = Evidence()
            await _redis_keys(prefix, probe)
            if not probe.found(b"vote.counted"):
                break
            await asyncio.sleep(0.1)
        await _redis_keys(prefix, after)
    await asyncio.to_thread(_read_tree, data_dir, "**/*", after)
    for fmt, body in exports.items():
        after.add(f"minutes.{fmt}", body)
    assert after.size() > 10_000
    assert after.found(b"control text 7f3a9c")  # control: the scan reads the data

    # 1. The secret is nowhere, in any form, and the vault forgot it.
    for form in _forms(secret):
        assert after.found(form) == [], "the ballot secret survived the archive"
    assert not [where for where in after.blobs if where.startswith("ballot-secrets")]
    # 2. No voter's ballot key is anywhere (with them, each ballot is one lookup away).
    for participant, key in keys.items():
        assert after.found(key) == [], f"the ballot key of {participant} survived"

    # 3. The archived raw log: the secret votes in canonical order, no key, no cause.
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.text(
                        "SELECT seq, data, cause FROM room_log WHERE room = :room "
                        "AND name = 'vote.counted' ORDER BY seq"
                    ),
                    {"room": town.id},
                )
            ).all()
            commands = (
                await conn.execute(
                    sa.text("SELECT count(*) FROM room_command WHERE room = :room"),
                    {"room": town.id},
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    votes: list[dict[str, Any]] = [json.loads(data) for _, data, _ in rows]
    assert len(votes) == len(CHOICES) + 1
    assert all(cause is None for *_, cause in rows)
    assert {v["ballot"] for v in votes} <= {f"b{i}" for i in range(1, len(CHOICES) + 1)}
    final = sorted([*CHOICES[: CHANGED[0]], CHANGED[1]])
    assert [v["choice"] for v in votes[: len(final)]] == final
    assert commands == 0
    # Folding the archived votes gives the final tally.
    ballots = {v["ballot"]: v["choice"] for v in votes}
    assert sorted(ballots.values()) == final

    # 4. The minutes list who voted, apart from ballots that name nobody.
    document = json.loads(exports["json"])
    (archived,) = [p for p in document["polls"] if p["id"] == poll]
    assert sorted(archived["voters"]) == sorted(keys)
    assert all(b.get("participant") is None for b in archived["ballots"])


async def test_a_vote_names_its_command_id_to_nobody(server: services.Worker) -> None:
    """Clients number their commands (c1, c2, … or times): a vote's id sent to everyone
    as its ``cause`` placed it among the voter's other commands. Only the voter's own
    connection hears of its vote, through its ack."""
    town = await create_town(server.url, "Causes", [("Vote", 600)])
    f = await connect(server.ws_url, town.token("facilitator"))
    voter = await connect(server.ws_url, town.token("participant"), "Voter")
    other = await connect(server.ws_url, town.token("participant"), "Other")
    o = await connect(server.ws_url, town.token("observer"))
    try:
        await call(f, "session.start")
        poll = (await call(f, "poll.create", {"question": "Q", "kind": "yes_no_abstain"}))[
            "result"
        ]["poll"]
        await call(f, "poll.open", {"poll": poll})
        ack = await voter.send("poll.vote", {"poll": poll, "choice": 1}, id="vote-7d1e")
        assert ack["id"] == "vote-7d1e"
        for client in (f, voter, other, o):
            while not any(e["seq"] == ack["seq"] for e in client.history):
                await client.next_event()
            (event,) = [e for e in client.history if e["seq"] == ack["seq"]]
            assert event["name"] == "vote.counted"
            assert event.get("cause") is None
            assert "vote-7d1e" not in json.dumps(event)
    finally:
        await close_all([f, voter, other, o])

"""The archive writer: one session's bundle into the relational tables, in one transaction.

Idempotent by construction: inside the transaction every archive table first loses this
room's rows and then receives the bundle's rows, keyed by ordinals taken from the bundle,
so a rerun (say after a crash between ``session.end`` and the commit) leaves exactly the
same rows. Live tables are upserted instead (``participant``), or replaced over the
bundle's seq range (``room_log``, which the embedded log store may already have filled).
Rows go in through Core ``insert()`` with lists of parameter sets, which SQLAlchemy sends
as multi-row ``INSERT ... VALUES`` batches: one round trip per thousand log events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from realtime.wire import timestamp
from townhall.archive.bundle import ArchiveBundle, Ballot, Poll
from townhall.db.engine import SessionFactory
from townhall.db.models import metadata
from townhall.db.types import dumps

__all__ = ["ARCHIVE_TABLES", "archive", "pending_archives"]

# The tables that hold only archive rows, replaced wholesale per room.
ARCHIVE_TABLES = (
    "attendance", "agenda_item", "turn", "statement", "transcript", "question", "poll",
    "ballot", "poll_voter", "tally", "irv_round", "decision", "reaction", "moderation",
    "poll_eligible", "poll_proxy", "roll_member", "proxy", "record_event", "proposal",
    "cheer", "hand_count",
)  # fmt: skip

_T = metadata.tables


async def archive(
    target: AsyncEngine | SessionFactory,
    bundle: ArchiveBundle,
    *,
    now: datetime | None = None,
    log_expires_at: datetime | None = None,
) -> None:
    """Write ``bundle`` in one transaction; rerunning it yields the same rows.

    ``now`` stamps ``townhall.archived_at`` the first time only (a rerun keeps the
    first stamp); ``log_expires_at`` is when the live log goes. The room's command keys
    (the live log's idempotency, useless once the session ended) are dropped. The
    ballot secret is not here: the caller destroys it in the vault after the commit.
    """
    if isinstance(target, AsyncEngine):
        async with target.begin() as conn:
            await _write(conn, bundle, now or datetime.now(UTC), log_expires_at)
    else:
        async with target() as session, session.begin():
            conn = await session.connection()
            await _write(conn, bundle, now or datetime.now(UTC), log_expires_at)


async def pending_archives(target: AsyncEngine) -> list[str]:
    """Rooms whose session ended but whose archive never committed: rerun them at start."""
    town = _T["townhall"]
    async with target.connect() as conn:
        result = await conn.execute(
            sa.select(town.c.id).where(town.c.status == "ended").order_by(town.c.id)
        )
        return [row[0] for row in result]


async def _write(
    conn: AsyncConnection, bundle: ArchiveBundle, now: datetime, log_expires_at: datetime | None
) -> None:
    room = bundle.session.room
    await _upsert_townhall(conn, bundle, now, log_expires_at)
    for name in (*ARCHIVE_TABLES, "room_command"):
        await conn.execute(sa.delete(_T[name]).where(_T[name].c.room == room))
    await _upsert_participants(conn, bundle)
    await _replace_log(conn, bundle)
    for name, rows in _archive_rows(bundle):
        await _insert(conn, name, rows)


async def _insert(conn: AsyncConnection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(sa.insert(_T[table]), list(rows))


async def _upsert_townhall(
    conn: AsyncConnection, bundle: ArchiveBundle, now: datetime, log_expires_at: datetime | None
) -> None:
    town = _T["townhall"]
    s = bundle.session
    values: dict[str, Any] = {
        "title": s.title,
        "description": s.description,
        "language": s.language,
        "visibility": s.visibility,
        "status": "archived",
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "settings": s.settings,
        "peak_observers": s.peak_observers,
        "log_expires_at": log_expires_at,
        "archive_failures": 0,
        "archive_error": None,
        "archive_retry_at": None,
        "access": s.access,
    }
    query = sa.select(town.c.archived_at).where(town.c.id == s.room)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()  # two workers archiving at once: one waits
    existing = (await conn.execute(query)).first()
    if existing is None:
        created = s.created_at or s.started_at or now
        await conn.execute(
            sa.insert(town).values(id=s.room, created_at=created, archived_at=now, **values)
        )
    else:
        archived_at = existing[0] or now
        await conn.execute(
            sa.update(town).where(town.c.id == s.room).values(archived_at=archived_at, **values)
        )


async def _upsert_participants(conn: AsyncConnection, bundle: ArchiveBundle) -> None:
    if not bundle.participants:
        return
    table = _T["participant"]
    rows = [
        {"room": bundle.session.room, "id": p.id, "name": p.name, "role": p.role,
         "banned": p.banned, "muted": p.muted}
        for p in bundle.participants
    ]  # fmt: skip
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["room", "id"],
        set_={name: statement.excluded[name] for name in ("name", "role", "banned", "muted")},
    )
    await conn.execute(statement, rows)


async def _replace_log(conn: AsyncConnection, bundle: ArchiveBundle) -> None:
    if not bundle.log:
        return
    table = _T["room_log"]
    room = bundle.session.room
    spans: dict[str, tuple[int, int]] = {}
    for e in bundle.log:
        lo, hi = spans.get(e.epoch, (e.seq, e.seq))
        spans[e.epoch] = (min(lo, e.seq), max(hi, e.seq))
    # Only the bundle's seq range is replaced: rows the log store keeps for itself
    # (its seq-0 epoch marker) stay as they are.
    for epoch, (lo, hi) in sorted(spans.items()):
        await conn.execute(
            sa.delete(table).where(
                table.c.room == room, table.c.epoch == epoch, table.c.seq.between(lo, hi)
            )
        )
    rows = [
        {"room": room, "epoch": e.epoch, "seq": e.seq, "name": e.name, "data": dumps(e.data),
         "at": e.at, "cause": e.cause}
        for e in bundle.log
    ]  # fmt: skip
    await _insert(conn, "room_log", rows)


def _secret_order(ballots: Iterable[Ballot]) -> list[Ballot]:
    # Arrival order could betray a voter to anyone who saw them vote: store by choice.
    return sorted(ballots, key=lambda b: json.dumps(b.choice, sort_keys=True))


def _battle(poll: Poll) -> dict[str, Any] | None:
    shift = poll.battle
    if shift is None:
        return None
    return {
        "opening": list(shift.opening), "closing": list(shift.closing),
        "switches": [list(row) for row in shift.switches], "moves": shift.moves,
        "timeline": [[timestamp(p.at), list(p.counts)] for p in shift.timeline],
    }  # fmt: skip


def _poll_rows(room: str, n: int, poll: Poll) -> dict[str, list[dict[str, Any]]]:
    ballots = _secret_order(poll.ballots) if poll.secret else list(poll.ballots)
    key = {"room": room, "poll": poll.id}
    return {
        "poll": [{
            "room": room, "id": poll.id, "n": n, "item": poll.item, "question": poll.question,
            "kind": poll.kind, "options": list(poll.options), "max_choices": poll.max_choices,
            "secret": poll.secret, "results": poll.results, "quorum": poll.quorum,
            "status": poll.status, "eligible": poll.eligible, "turnout": poll.turnout,
            "quorum_met": poll.quorum_met, "winner": poll.winner, "opened_at": poll.opened_at,
            "closed_at": poll.closed_at, "published_at": poll.published_at,
            "electorate": poll.electorate, "quorum_share": poll.quorum_share,
            "quorum_needed": poll.quorum_needed, "by_proxy": poll.by_proxy,
            "final": poll.final, "votes_per_person": poll.votes_per_person,
            "max_per_option": poll.max_per_option, "dot_voters": list(poll.dot_voters),
            "repeat_of": poll.repeat_of, "proposals": list(poll.proposals),
            "battle": _battle(poll),
        }],
        "ballot": [
            {**key, "n": i, "participant": None if poll.secret else b.participant,
             "choice": b.choice, "holder": None if poll.secret else b.holder}
            for i, b in enumerate(ballots)
        ],
        "poll_eligible": [{**key, "participant": p} for p in sorted(set(poll.eligible_list))],
        "poll_proxy": [{**key, "giver": x.giver, "holder": x.holder} for x in poll.proxies],
        "poll_voter": [{**key, "participant": p} for p in sorted(set(poll.voters))],
        "tally": [
            {**key, "option": t.option, "votes": t.votes, "score": t.score} for t in poll.tally
        ],
        "irv_round": [
            {**key, "round": r.round, "option": c.option, "votes": c.votes,
             "eliminated": c.eliminated, "exhausted": r.exhausted}
            for r in poll.irv_rounds
            for c in r.counts
        ],
    }  # fmt: skip


def _archive_rows(bundle: ArchiveBundle) -> list[tuple[str, list[dict[str, Any]]]]:
    room = bundle.session.room
    r = {"room": room}
    joins: dict[str, int] = {}
    attendance = []
    for a in bundle.attendance:
        n = joins[a.participant] = joins.get(a.participant, -1) + 1
        attendance.append(
            {**r, "participant": a.participant, "n": n, "joined_at": a.joined_at,
             "left_at": a.left_at}
        )  # fmt: skip
    polls: dict[str, list[dict[str, Any]]] = {
        "poll": [], "ballot": [], "poll_voter": [], "tally": [], "irv_round": [],
        "poll_eligible": [], "poll_proxy": [],
    }  # fmt: skip
    for n, poll in enumerate(bundle.polls):
        for name, rows in _poll_rows(room, n, poll).items():
            polls[name].extend(rows)
    reactions: dict[tuple[str, str], int] = {}
    for x in bundle.reactions:  # summed, so a bundle listing a pair twice still fits the key
        reactions[(x.item or "", x.kind)] = reactions.get((x.item or "", x.kind), 0) + x.count
    return [
        ("attendance", attendance),
        ("agenda_item", [
            {**r, "id": i.id, "position": pos, "title": i.title, "description": i.description,
             "planned_s": i.planned_s, "status": i.status, "started_at": i.started_at,
             "completed_at": i.completed_at, "actual_s": i.actual_s,
             "documents": [{"title": d.title, "url": d.url} for d in i.documents]}
            for pos, i in enumerate(bundle.items)
        ]),
        ("turn", [
            {**r, "n": n, "item": t.item, "participant": t.participant, "kind": t.kind,
             "started_at": t.started_at, "ended_at": t.ended_at, "limit_s": t.limit_s,
             "duration_s": t.duration_s, "overrun": t.overrun}
            for n, t in enumerate(bundle.turns)
        ]),
        ("statement", [
            {**r, "id": s.id, "n": n, "item": s.item, "turn": s.turn,
             "participant": s.participant, "text": s.text, "at": s.at, "hidden": s.hidden,
             "hidden_reason": s.hidden_reason, "hidden_by": s.hidden_by,
             "hidden_at": s.hidden_at}
            for n, s in enumerate(bundle.statements)
        ]),
        ("transcript", [
            {**r, "n": n, "item": t.item, "turn": t.turn, "speaker": t.speaker,
             "author": t.author, "text": t.text, "at": t.at}
            for n, t in enumerate(bundle.transcript)
        ]),
        ("question", [
            {**r, "id": q.id, "n": n, "item": q.item, "participant": q.participant,
             "text": q.text, "asked_at": q.asked_at, "upvotes": q.upvotes,
             "status": q.status, "closed_at": q.closed_at, "anonymous": q.anonymous,
             "hidden_reason": q.hidden_reason}
            for n, q in enumerate(bundle.questions)
        ]),
        ("proposal", [
            {**r, "id": x.id, "n": n, "item": x.item, "participant": x.participant,
             "text": x.text, "at": x.at, "supporters": x.supporters, "status": x.status,
             "merged_into": x.merged_into, "polls": list(x.polls),
             "hidden_reason": x.hidden_reason, "closed_at": x.closed_at}
            for n, x in enumerate(bundle.proposals)
        ]),
        ("cheer", [
            {**r, "n": n, "item": c.item, "presenter": c.presenter, "count": c.count,
             "revealed": c.revealed}
            for n, c in enumerate(bundle.cheers)
        ]),
        ("hand_count", [
            {**r, "participant": h.participant, "raised": h.raised, "uncalled": h.uncalled}
            for h in bundle.hands
        ]),
        *polls.items(),
        ("decision", [
            {**r, "id": d.id, "n": n, "item": d.item, "text": d.text, "poll": d.poll,
             "poll_result": d.poll_result, "dissent": d.dissent,
             "recorded_by": d.recorded_by, "at": d.at}
            for n, d in enumerate(bundle.decisions)
        ]),
        ("reaction", [
            {**r, "item": item, "kind": kind, "count": count}
            for (item, kind), count in reactions.items()
        ]),
        ("moderation", [
            {**r, "n": n, "at": m.at, "actor": m.actor, "action": m.action,
             "target": m.target, "reason": m.reason, "detail": m.detail}
            for n, m in enumerate(bundle.moderation)
        ]),
        ("roll_member", [
            {**r, "n": n, "participant": m.participant, "name": m.name}
            for n, m in enumerate(bundle.roll)
        ]),
        ("proxy", [{**r, "giver": x.giver, "holder": x.holder} for x in bundle.proxies]),
        ("record_event", [
            {**r, "seq": e.seq, "name": e.name, "data": dumps(e.data), "at": e.at,
             "hash": e.hash}
            for e in (bundle.record.events if bundle.record else ())
        ]),
    ]  # fmt: skip

"""Load the minutes of one room from the archive tables alone (no log replay)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from townhall.archive.bundle import (
    AgendaItem,
    Attendance,
    Ballot,
    BattleShift,
    CheerTotal,
    Decision,
    HandCount,
    IrvCount,
    IrvRound,
    ItemDocument,
    ModerationEntry,
    Participant,
    Poll,
    Proposal,
    Proxy,
    Question,
    ReactionCount,
    Record,
    RecordEvent,
    RollMember,
    Session,
    SharePoint,
    Statement,
    TallyEntry,
    TranscriptSegment,
    Turn,
)
from townhall.db.engine import SessionFactory
from townhall.db.models import metadata
from townhall.minutes.model import Minutes

__all__ = ["MinutesNotFound", "load_minutes"]

_T = metadata.tables


class MinutesNotFound(LookupError):
    """The room does not exist or its session has not been archived yet."""

    def __init__(self, room: str, status: str | None) -> None:
        why = "no such town hall" if status is None else f"status is {status!r}"
        super().__init__(f"no minutes for {room!r}: {why}")
        self.room = room
        self.status = status


async def load_minutes(target: AsyncEngine | SessionFactory, room: str) -> Minutes:
    """The minutes of ``room``; raises ``MinutesNotFound`` unless it is archived."""
    if isinstance(target, AsyncEngine):
        async with target.connect() as conn:
            return await _load(conn, room)
    async with target() as session:
        return await _load(await session.connection(), room)


async def _rows(conn: AsyncConnection, table: str, room: str, *order: str) -> Sequence[RowMapping]:
    t = _T[table]
    query = sa.select(t).where(t.c.room == room).order_by(*(t.c[name] for name in order))
    return (await conn.execute(query)).mappings().all()


async def _load(conn: AsyncConnection, room: str) -> Minutes:
    town = _T["townhall"]
    row = (await conn.execute(sa.select(town).where(town.c.id == room))).mappings().first()
    if row is None or row["status"] != "archived":
        raise MinutesNotFound(room, None if row is None else row["status"])
    session = Session(
        room=room, title=row["title"], description=row["description"],
        language=row["language"], visibility=row["visibility"],
        created_at=row["created_at"], started_at=row["started_at"],
        ended_at=row["ended_at"], settings=row["settings"],
        peak_observers=row["peak_observers"], timezone=row["timezone"],
        place=row["place"], chair=row["chair"], secretary=row["secretary"],
        access=row["access"],
    )  # fmt: skip
    attendance = [
        Attendance(participant=a["participant"], joined_at=a["joined_at"], left_at=a["left_at"])
        for a in await _rows(conn, "attendance", room, "joined_at", "participant", "n")
    ]
    first_join: dict[str, datetime] = {}
    for a in attendance:
        first_join.setdefault(a.participant, a.joined_at)
    participants = sorted(
        (
            Participant(id=p["id"], name=p["name"], role=p["role"], banned=p["banned"],
                        muted=p["muted"])
            for p in await _rows(conn, "participant", room, "id")
        ),
        key=lambda p: (p.id not in first_join, first_join.get(p.id) or datetime.min, p.id),
    )  # fmt: skip
    minutes = Minutes(
        session=session,
        archived_at=row["archived_at"],
        participants=tuple(participants),
        attendance=tuple(attendance),
        items=tuple(
            AgendaItem(id=i["id"], title=i["title"], planned_s=i["planned_s"],
                       description=i["description"], status=i["status"],
                       started_at=i["started_at"], completed_at=i["completed_at"],
                       actual_s=i["actual_s"], documents=_documents(i["documents"]))
            for i in await _rows(conn, "agenda_item", room, "position")
        ),
        turns=tuple(
            Turn(participant=t["participant"], item=t["item"], kind=t["kind"],
                 started_at=t["started_at"], ended_at=t["ended_at"], limit_s=t["limit_s"],
                 duration_s=t["duration_s"], overrun=t["overrun"])
            for t in await _rows(conn, "turn", room, "n")
        ),
        statements=tuple(
            Statement(id=s["id"], participant=s["participant"], item=s["item"],
                      text=s["text"], at=s["at"], turn=s["turn"], hidden=s["hidden"],
                      hidden_reason=s["hidden_reason"], hidden_by=s["hidden_by"],
                      hidden_at=s["hidden_at"])
            for s in await _rows(conn, "statement", room, "n")
        ),
        transcript=tuple(
            TranscriptSegment(author=t["author"], speaker=t["speaker"], item=t["item"],
                              text=t["text"], at=t["at"], turn=t["turn"])
            for t in await _rows(conn, "transcript", room, "n")
        ),
        questions=tuple(
            Question(id=q["id"], participant=q["participant"], item=q["item"],
                     text=q["text"], asked_at=q["asked_at"], upvotes=q["upvotes"],
                     status=q["status"], closed_at=q["closed_at"],
                     anonymous=q["anonymous"], hidden_reason=q["hidden_reason"])
            for q in await _rows(conn, "question", room, "n")
        ),
        proposals=tuple(
            Proposal(id=x["id"], participant=x["participant"], item=x["item"], text=x["text"],
                     at=x["at"], supporters=x["supporters"], status=x["status"],
                     merged_into=x["merged_into"], polls=tuple(x["polls"]),
                     hidden_reason=x["hidden_reason"], closed_at=x["closed_at"])
            for x in await _rows(conn, "proposal", room, "n")
        ),
        cheers=tuple(
            CheerTotal(item=c["item"], presenter=c["presenter"], count=c["count"],
                       revealed=c["revealed"])
            for c in await _rows(conn, "cheer", room, "n")
        ),
        hands=tuple(
            HandCount(participant=h["participant"], raised=h["raised"], uncalled=h["uncalled"])
            for h in await _rows(conn, "hand_count", room, "participant")
        ),
        polls=await _polls(conn, room),
        decisions=tuple(
            Decision(id=d["id"], item=d["item"], text=d["text"],
                     recorded_by=d["recorded_by"], at=d["at"], poll=d["poll"],
                     poll_result=d["poll_result"], dissent=d["dissent"])
            for d in await _rows(conn, "decision", room, "n")
        ),
        reactions=tuple(
            ReactionCount(item=x["item"] or None, kind=x["kind"], count=x["count"])
            for x in await _rows(conn, "reaction", room, "item", "kind")
        ),
        moderation=tuple(
            ModerationEntry(at=m["at"], actor=m["actor"], action=m["action"],
                            target=m["target"], reason=m["reason"], detail=m["detail"])
            for m in await _rows(conn, "moderation", room, "n")
        ),
        roll=tuple(
            RollMember(participant=m["participant"], name=m["name"])
            for m in await _rows(conn, "roll_member", room, "n")
        ),
        proxies=tuple(
            Proxy(giver=x["giver"], holder=x["holder"])
            for x in await _rows(conn, "proxy", room, "giver")
        ),
        record=await _record(conn, room),
    )  # fmt: skip
    return minutes.with_equity()


async def _record(conn: AsyncConnection, room: str) -> Record | None:
    """The hash-chained record; None for a session archived before records existed."""
    events = tuple(
        RecordEvent(seq=e["seq"], name=e["name"], data=json.loads(e["data"]), at=e["at"],
                    hash=e["hash"])
        for e in await _rows(conn, "record_event", room, "seq")
    )  # fmt: skip
    return Record(head=events[-1].hash, events=events) if events else None


def _documents(stored: list[dict[str, str]] | None) -> tuple[ItemDocument, ...]:
    return tuple(ItemDocument(title=d["title"], url=d["url"]) for d in stored or ())


def _battle(stored: dict[str, Any] | None) -> BattleShift | None:
    if stored is None:
        return None
    return BattleShift(
        opening=tuple(stored["opening"]),
        closing=tuple(stored["closing"]),
        switches=tuple(tuple(row) for row in stored["switches"]),
        moves=stored["moves"],
        timeline=tuple(
            SharePoint(at=datetime.fromisoformat(at.replace("Z", "+00:00")), counts=tuple(c))
            for at, c in stored["timeline"]
        ),
    )


async def _polls(conn: AsyncConnection, room: str) -> tuple[Poll, ...]:
    by_poll: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for b in await _rows(conn, "ballot", room, "poll", "n"):
        by_poll[b["poll"]]["ballots"].append(
            Ballot(participant=b["participant"], choice=b["choice"], holder=b["holder"])
        )
    for e in await _rows(conn, "poll_eligible", room, "poll", "participant"):
        by_poll[e["poll"]]["eligible_list"].append(e["participant"])
    for x in await _rows(conn, "poll_proxy", room, "poll", "giver"):
        by_poll[x["poll"]]["proxies"].append(Proxy(giver=x["giver"], holder=x["holder"]))
    for v in await _rows(conn, "poll_voter", room, "poll", "participant"):
        by_poll[v["poll"]]["voters"].append(v["participant"])
    for t in await _rows(conn, "tally", room, "poll", "option"):
        by_poll[t["poll"]]["tally"].append(
            TallyEntry(option=t["option"], votes=t["votes"], score=t["score"])
        )
    rounds: dict[tuple[str, int], list[IrvCount]] = defaultdict(list)
    exhausted: dict[tuple[str, int], int] = {}
    for c in await _rows(conn, "irv_round", room, "poll", "round", "option"):
        rounds[(c["poll"], c["round"])].append(
            IrvCount(option=c["option"], votes=c["votes"], eliminated=c["eliminated"])
        )
        exhausted[(c["poll"], c["round"])] = c["exhausted"]
    for (poll, number), counts in rounds.items():
        by_poll[poll]["irv_rounds"].append(
            IrvRound(round=number, counts=tuple(counts), exhausted=exhausted[(poll, number)])
        )
    polls = []
    for p in await _rows(conn, "poll", room, "n"):
        parts = by_poll[p["id"]]
        polls.append(
            Poll(id=p["id"], item=p["item"], question=p["question"], kind=p["kind"],
                 options=tuple(p["options"]), secret=p["secret"], results=p["results"],
                 max_choices=p["max_choices"], quorum=p["quorum"], status=p["status"],
                 eligible=p["eligible"], turnout=p["turnout"], quorum_met=p["quorum_met"],
                 winner=p["winner"], opened_at=p["opened_at"], closed_at=p["closed_at"],
                 published_at=p["published_at"], ballots=tuple(parts["ballots"]),
                 voters=tuple(parts["voters"]), tally=tuple(parts["tally"]),
                 irv_rounds=tuple(parts["irv_rounds"]), electorate=p["electorate"],
                 quorum_share=p["quorum_share"], quorum_needed=p["quorum_needed"],
                 by_proxy=p["by_proxy"], eligible_list=tuple(parts["eligible_list"]),
                 proxies=tuple(parts["proxies"]), final=p["final"],
                 votes_per_person=p["votes_per_person"], max_per_option=p["max_per_option"],
                 dot_voters=tuple(p["dot_voters"]), repeat_of=p["repeat_of"],
                 proposals=tuple(p["proposals"]), battle=_battle(p["battle"]))
        )  # fmt: skip
    return tuple(polls)

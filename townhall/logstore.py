"""The embedded mode's durable room log: every append reaches SQL before its ack.

``realtime.log.memory.MemoryLog`` keeps the live log in memory and calls ``save_batch``
once per batch of commands; this store writes the records and the command keys in one
transaction, so a
``kill -9`` after an ack loses nothing, and a restarted server reloads every room.

A secret poll's vote goes in sealed (townhall/ballots.py): its ballot key and choice
under a key derived from the room's ballot secret, which lives in the vault, never in
SQL. Old row versions that SQLite or PostgreSQL keep after the archive are then noise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from realtime.log import Committed, Record
from realtime.log.store import SaveEntry
from realtime.wire import timestamp
from townhall.ballots import (
    BallotVault,
    is_sealed,
    is_secret_vote,
    seal_key,
    seal_vote,
    unseal_vote,
)
from townhall.db import SessionFactory
from townhall.db.models import RoomCommandRow, RoomLogRow
from townhall.logwriter import SqliteWriter

_log = RoomLogRow.__table__  # type: ignore[attr-defined]
_cmd = RoomCommandRow.__table__  # type: ignore[attr-defined]


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class SqlStore:
    """``realtime.log.memory.Store`` on the project's database (SQLite or PostgreSQL).

    With ``writer`` (SQLite), appends take its one-hop path (townhall/logwriter.py);
    everything else goes through SQLAlchemy.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        writer: SqliteWriter | None = None,
        vault: BallotVault | None = None,
    ) -> None:
        self._sessions = sessions
        self._writer = writer
        self._vault = vault
        self._epochs: dict[str, str] = {}  # latest epoch per room, as this process wrote it

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()

    async def load(self, room: str) -> tuple[str, list[Record], dict[str, Committed]] | None:
        async with self._sessions() as session:
            epoch = await self._latest_epoch(session, room)
            if epoch is None:
                return None
            rows = await session.execute(
                sa.select(_log.c.seq, _log.c.name, _log.c.data, _log.c.at, _log.c.cause)
                # seq 0 is the epoch's marker row, not a record
                .where(_log.c.room == room, _log.c.epoch == epoch, _log.c.seq > 0)
                .order_by(_log.c.seq)
            )
            records = [
                Record(seq, name, json.loads(data), datetime.fromisoformat(at), cause)
                for seq, name, data, at, cause in rows
            ]
            records = await self._unsealed(room, records)
            commands: dict[str, Committed] = {}
            done = await session.execute(
                sa.select(
                    _cmd.c.command_key, _cmd.c.result, _cmd.c.first_seq, _cmd.c.last_seq
                ).where(_cmd.c.room == room)
            )
            for key, result, first, last in done:
                mine = tuple(records[first - 1 : last]) if first <= last <= len(records) else ()
                commands[key] = Committed(mine, json.loads(result), False)
            self._epochs[room] = epoch
            return epoch, records, commands

    @staticmethod
    async def _latest_epoch(session: AsyncSession, room: str) -> str | None:
        # The epoch marker row (seq 0) is written when an epoch starts, so an epoch
        # that was trimmed and restarted empty is still known as the latest one.
        row = await session.execute(
            sa.select(_log.c.epoch)
            .where(_log.c.room == room, _log.c.seq == 0)
            .order_by(_log.c.at.desc())
            .limit(1)
        )
        epoch: str | None = row.scalar_one_or_none()
        return epoch

    async def _key(self, room: str) -> bytes:
        secret = None if self._vault is None else await self._vault.secret(room, create=False)
        if secret is None:
            raise RuntimeError(f"room {room}: no ballot secret to seal or open secret votes")
        return seal_key(secret)

    async def _unsealed(self, room: str, records: list[Record]) -> list[Record]:
        if not any(is_sealed(r.name, r.data) for r in records):
            return records
        key = await self._key(room)
        return [
            Record(r.seq, r.name, unseal_vote(key, r.data), r.at, r.cause)
            if is_sealed(r.name, r.data)
            else r
            for r in records
        ]

    async def save_batch(self, room: str, epoch: str, entries: Sequence[SaveEntry]) -> None:
        """Every entry of a batched append in one transaction (one executemany per table)."""
        log_rows: list[dict[str, object]] = []
        cmd_rows: list[dict[str, object]] = []
        key: bytes | None = None
        for records, command_key, result in entries:
            for r in records:
                data = r.data
                if is_secret_vote(r.name, data):
                    key = key or await self._key(room)
                    data = seal_vote(key, data)
                log_rows.append(
                    {
                        "room": room,
                        "epoch": epoch,
                        "seq": r.seq,
                        "name": r.name,
                        "data": _dumps(data),
                        "at": timestamp(r.at),
                        "cause": r.cause,
                    }
                )
            if command_key is not None:
                cmd_rows.append(
                    {
                        "room": room,
                        "command_key": command_key,
                        "result": _dumps(result),
                        "first_seq": records[0].seq if records else 1,
                        "last_seq": records[-1].seq if records else 0,
                    }
                )
        if self._writer is not None:
            marker = None if self._epochs.get(room) == epoch else _marker(room, epoch)
            await self._writer.write(room, epoch, marker, log_rows, cmd_rows)
            self._epochs[room] = epoch
            return
        async with self._sessions.begin() as session:
            known = self._epochs.get(room)
            if known != epoch:
                known = await self._latest_epoch(session, room)
            if known != epoch:
                await session.execute(_log.insert(), [_marker(room, epoch)])
                if known is not None:
                    await session.execute(_cmd.delete().where(_cmd.c.room == room))
            if log_rows:
                await session.execute(_log.insert(), log_rows)
            if cmd_rows:
                await session.execute(_cmd.insert(), cmd_rows)
        self._epochs[room] = epoch

    async def rooms(self) -> list[str]:
        async with self._sessions() as session:
            rows = await session.execute(sa.select(_log.c.room).where(_log.c.seq > 0).distinct())
            return sorted(room for (room,) in rows)


def _marker(room: str, epoch: str) -> dict[str, object]:
    """The row that starts an epoch (seq 0: not a record)."""
    return {
        "room": room,
        "epoch": epoch,
        "seq": 0,
        "name": "epoch.started",
        "data": "{}",
        "at": _now_key(),
        "cause": None,
    }


def _now_key() -> str:
    # Orders a room's epoch markers (the latest epoch is the one with the greatest).
    return timestamp(datetime.now(UTC))

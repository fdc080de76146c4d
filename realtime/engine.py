"""The command engine: decide on the head state, append with expect=head, fan out.

Per room and per worker it keeps the state at the log head (``realtime.replica``, loaded
and watched by ``realtime.follow``).
Commands are queued per room and committed in batches under the room's lock
(``realtime.batch``): decide each on the head state plus the batch before it ->
``log.append_batch(expect=head)`` -> on ``Conflict`` catch up and decide again.
Records appended by other workers arrive through one watcher task per room. Records
reach connections only through ``Replica.apply``, so fan-out is in seq order and exactly
once whoever appended them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from realtime.application import Authenticator, Domain, Principal, Refused
from realtime.batch import Batcher
from realtime.fanout import Outbox
from realtime.follow import RoomFollower
from realtime.log.contract import Record, RoomLog
from realtime.replica import Applied
from realtime.retry import Retries
from realtime.wire import Ack, CloseCode, Error, Pong, Resume, encode

__all__ = ["Authenticator", "Domain", "Engine", "Principal", "Refused"]

S = TypeVar("S")
log = logging.getLogger("realtime.engine")


def utc_now() -> datetime:
    """Now, to the millisecond: the precision the hub's times are stored and sent in."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def new_id() -> str:
    return secrets.token_urlsafe(9)


class Engine(Generic[S]):
    def __init__(
        self,
        log: RoomLog,
        domain: Domain[S, Any],
        *,
        window: int = 5000,
        clock: Callable[[], datetime] = utc_now,
        ids: Callable[[], str] = new_id,
    ) -> None:
        self.log = log
        self.domain = domain
        self._window = window
        self._clock = clock
        self._ids = ids
        self._applied: list[Applied[S]] = []
        self._held: RoomFollower[S] = RoomFollower(log, domain, window, self._on_applied)
        self.stats = {"commands": 0, "appends": 0, "conflicts": 0, "duplicates": 0, "lookups": 0}
        self._closed = False
        self._batcher = Batcher(
            log, domain, clock, ids, self._held.catch_up, self.stats, self._fanout_took
        )
        self._retries = Retries()  # leaves the log could not take (an outage)
        # Hooks for an application's metrics: each client command's outcome ("ok",
        # "refused", "unavailable", "internal"), and each batch's fan-out time (from its
        # durable append to its events queued for every connection here), in seconds.
        self.on_outcome: Callable[[str], None] | None = None
        self.on_fanout: Callable[[float], None] | None = None

    def on_applied(self, hook: Applied[S]) -> None:
        """Call ``hook(room, records, state)`` after records reach a room held here,
        whoever appended them (this worker's batch, another worker's via the watcher, a
        catch-up, a rebuild after a trim), in seq order, with the state after the last.
        It runs under the room's lock, inside the apply: it must not block or await;
        start a task for slow work. Its exceptions are logged, never raised."""
        self._applied.append(hook)

    def _on_applied(self, room: str, records: list[Record], state: S) -> None:
        for hook in self._applied:
            try:
                hook(room, records, state)
            except Exception:
                log.exception("an on_applied hook failed in room %s", room)

    async def close(self) -> None:
        self._closed = True
        tasks = self._held.watchers()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._retries.close()
        await self._batcher.close()

    # -- connections -------------------------------------------------------------------

    async def attach(self, principal: Principal, outbox: Outbox, resume: Resume | None) -> None:
        """Run the domain's join command, then register and welcome (or replay) atomically."""
        room = await self._held.load(principal.room)
        joined = self.domain.on_join(principal)
        if joined is not None:
            await self._batcher.submit(room, principal, joined[0], joined[1], None)
        try:
            while True:
                async with room.lock:
                    # An idle room may have been unloaded while the join ran: use the one held.
                    if self._held.get(principal.room) is room:
                        # A join this worker just appended was applied with it, so the
                        # head is fresh enough: the snapshot holds the join, and what
                        # other workers append later arrives as events. A read of the
                        # log under the lock (one per hello: thousands when a worker's
                        # clients come back at once) is needed only when there is no
                        # join, or to replay past what this worker has applied.
                        if joined is None or (
                            resume is not None
                            and (resume.epoch != room.epoch or resume.seq > room.head)
                        ):
                            await self._held.catch_up(room)
                        # Registering and taking the snapshot under the lock that orders every
                        # apply: this connection gets exactly the events after the snapshot.
                        room.join(principal, outbox)
                        try:
                            room.welcome(principal, outbox, resume)
                        except BaseException:
                            room.leave(principal, outbox)
                            raise
                        return
                room = await self._held.load(principal.room)
        except Exception:
            # The connection never opened, but its join is in the log: record it leaving
            # (later: the log is likely what failed), unless the person is here anyway.
            if joined is not None and not room.members.get(principal.key):
                self._leave_later(principal)
            raise

    @property
    def retries_pending(self) -> int:
        """Server-made commands (leaves) waiting for the log to come back."""
        return self._retries.pending

    async def detach(self, principal: Principal, outbox: Outbox) -> None:
        room = self._held.get(principal.room)
        if room is None or not room.leave(principal, outbox) or self._closed:
            return
        left = self.domain.on_leave(principal)
        if left is not None:
            try:
                await self._batcher.submit(room, principal, left[0], left[1], None)
            except Refused as exc:
                log.info("leave refused in room %s: %s", room.name, exc.code)
            except Exception as exc:  # the log is unreachable: record it once it is back
                log.warning("leave in room %s failed, will retry: %r", room.name, exc)
                self._leave_later(principal, left)

    def _leave_later(
        self, principal: Principal, left: tuple[str, dict[str, Any]] | None = None
    ) -> None:
        left = left or self.domain.on_leave(principal)
        if left is not None:
            type, data = left
            self._retries.spawn(
                lambda: self._run_later(principal, type, data), f"{type} in room {principal.room}"
            )

    async def _run_later(self, principal: Principal, type: str, data: dict[str, Any]) -> None:
        """One more try of a server-made command (the domain's data says when it
        happened, so a late leave can be told from a current one)."""
        room = await self._held.load(principal.room)
        await self._batcher.submit(room, principal, type, data, None)

    # -- commands ----------------------------------------------------------------------

    async def command(
        self, principal: Principal, outbox: Outbox, type: str, id: str | None, data: dict[str, Any]
    ) -> None:
        """Run one client command and queue its ack or error on ``outbox``."""
        room = await self._held.load(principal.room)
        if type == "ping":
            if id is None:
                outbox.push(encode(Pong(seq=room.head)))
            else:
                outbox.push(encode(Ack(id=id, seq=room.head)))
            return
        assert id is not None
        if not principal.can_send:
            outbox.push(encode(Error(id=id, code="forbidden", message="read-only connection")))
            return
        outcome = "ok"
        try:
            seq, result = await self._batcher.submit(
                room, principal, type, data, self.domain.command_key(principal, type, id)
            )
        except Refused as exc:
            outcome = "refused"
            outbox.push(encode(Error(id=id, code=exc.code, message=exc.message)))
        except (ConnectionError, OSError, TimeoutError) as exc:
            outcome = "unavailable"
            log.warning("room log unavailable: %r", exc)
            outbox.push(encode(Error(id=id, code="unavailable", message=str(exc)[:200])))
        except Exception:
            outcome = "internal"
            log.exception("command %s failed in room %s", type, room.name)
            outbox.push(encode(Error(id=id, code="internal", message="internal error")))
        else:
            outbox.push(encode(Ack(id=id, seq=seq, result=result)))
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def _fanout_took(self, seconds: float) -> None:
        if self.on_fanout is not None:
            self.on_fanout(seconds)

    async def execute(
        self, principal: Principal, type: str, data: dict[str, Any], key: str | None
    ) -> tuple[int, dict[str, str]]:
        """Run a command for a principal that has no connection (an API call).

        Same path as a socket's command: decide on the head, append, fan out. Raises
        ``Refused``; ``key`` makes it idempotent. Returns (ack seq, result).
        """
        return await self._batcher.submit(
            await self._held.load(principal.room), principal, type, data, key
        )

    async def state(self, room_name: str) -> S:
        """The room's state at the log head as this worker knows it (loads the room)."""
        room = await self._held.load(room_name)
        async with room.lock:
            await self._held.catch_up(room)
            return room.state

    async def held_state(self, room_name: str) -> S:
        """The room's state as this worker holds it, loading the room if it holds none:
        no log read for a room already held (the watcher keeps it at most a moment
        behind). What a hello may check cheaply: a reconnect storm is thousands of them,
        and each read of the log would wait for the room lock."""
        room = await self._held.load(room_name)
        return room.state

    def states(self) -> dict[str, S]:
        """The rooms this worker holds, with their current states."""
        return {room.name: room.state for room in self._held.rooms() if room.epoch}

    def all_counts(self) -> dict[str, dict[str, int]]:
        """This worker's connections of every room it holds, per audience."""
        return {room.name: room.fanout.counts() for room in self._held.rooms() if room.epoch}

    def counts(self, room_name: str) -> dict[str, int]:
        """This worker's connections of a room, per audience."""
        room = self._held.get(room_name)
        return room.fanout.counts() if room is not None else {}

    def principals(self, room_name: str) -> list[Principal]:
        """Who is connected to a room on this worker (one entry per connection)."""
        room = self._held.get(room_name)
        return list(room.conns.values()) if room is not None else []

    def disconnect(self, room_name: str, which: Callable[[Principal], bool], reason: str) -> int:
        """Close this worker's connections of a room whose principal matches ``which``."""
        room = self._held.get(room_name)
        if room is None:
            return 0
        closed = 0
        for outbox, principal in list(room.conns.items()):
            if which(principal):
                outbox.close_soon(CloseCode.REVOKED, reason)
                closed += 1
        return closed

    async def unload(self, room_name: str) -> bool:
        """Forget a room nobody on this worker is connected to (an ended meeting, an idle
        one): its state, window and watcher. The next connection or command loads it again
        from the log. False, and nothing changes, while it has a connection here or work
        under its lock."""
        room = self._held.get(room_name)
        if room is None or room.conns or room.lock.locked() or not room.epoch:
            return False
        if not self._batcher.forget(room_name):  # commands queued or committing
            return False
        await self._held.drop(room_name)
        return True

    async def server_command(self, room_name: str, type: str, data: dict[str, Any]) -> int:
        """Run a server-made command (timers, presence) as the room's system principal."""
        room = await self._held.load(room_name)
        principal = Principal(room_name, "server", "system", True, {}, None)
        seq, _ = await self._batcher.submit(room, principal, type, data, None)
        return seq

"""Group commit: a room's queued commands are decided together and appended in one step.

Commands for a room queue up on this worker; one drainer per room takes everything
queued (up to ``MAX_BATCH``), decides each command against a scratch state that already
holds the events of the commands before it in the batch, and appends the batch with
``expect=head`` in one ``append_batch``. One round trip (one Lua call, one SQL
transaction) then carries hundreds of commands, and the next batch gathers whatever
arrived meanwhile. Acks (and refusals, which depend on the batch before them) go out
only once the batch is durable; records reach connections only through ``Replica.apply``.

On ``Conflict`` (another worker appended first) the drainer catches up, takes what was
queued meanwhile and decides the whole, larger batch again; after repeated conflicts it
first waits a random moment, so that workers racing on one room stop colliding in step.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from realtime.application import Domain, Principal, Refused
from realtime.log.contract import BatchEntry, Committed, DuplicateKeys, NewEvent, RoomLog
from realtime.replica import Replica

__all__ = ["MAX_BATCH", "Batcher", "Outcome"]

S = TypeVar("S")
Outcome = tuple[int, dict[str, str]]  # (ack seq, result)
MAX_BATCH = 500
BACKOFF = 0.001  # seconds per consecutive conflict, randomized, at most 8 of them


@dataclass(eq=False, slots=True)
class Pending:
    principal: Principal
    type: str
    data: dict[str, Any]
    key: str | None
    # A resend of a command still queued shares its outcome rather than its own slot.
    futures: list[asyncio.Future[Outcome]] = field(default_factory=list)

    def settle(self, outcome: Outcome) -> None:
        for future in self.futures:
            if not future.done():
                future.set_result(outcome)

    def fail(self, exc: BaseException) -> None:
        for future in self.futures:
            if not future.done():
                future.set_exception(exc)

    def wanted(self) -> bool:
        return not all(future.done() for future in self.futures)


@dataclass(slots=True)
class _Queue:
    waiting: deque[Pending] = field(default_factory=deque)
    by_key: dict[str, Pending] = field(default_factory=dict)
    drainer: asyncio.Task[None] | None = None


@dataclass(slots=True)
class _Plan(Generic[S]):
    entries: list[BatchEntry] = field(default_factory=list)
    # members[i] made entries[i] (several: commands decided together, one entry)
    members: list[list[Pending]] = field(default_factory=list)
    decided: list[tuple[Any, S]] = field(default_factory=list)  # (event, state after), in order
    refused: list[tuple[Pending, Refused]] = field(default_factory=list)
    empty: list[tuple[Pending, dict[str, str]]] = field(default_factory=list)  # no events
    failed: list[tuple[Pending, Exception]] = field(default_factory=list)


class Batcher(Generic[S]):
    def __init__(
        self,
        log: RoomLog,
        domain: Domain[S, Any],
        clock: Callable[[], datetime],
        ids: Callable[[], str],
        catch_up: Callable[[Replica[S]], Awaitable[None]],
        stats: dict[str, int],
        fanout_took: Callable[[float], None] = lambda seconds: None,
    ) -> None:
        self.log = log
        self.domain = domain
        self._clock = clock
        self._ids = ids
        self._catch_up = catch_up  # called under the room's lock
        self.stats = stats
        self._fanout_took = fanout_took
        self._queues: dict[str, _Queue] = {}

    def submit(
        self,
        room: Replica[S],
        principal: Principal,
        type: str,
        data: dict[str, Any],
        key: str | None,
    ) -> asyncio.Future[Outcome]:
        """Queue a command; the future gets its (ack seq, result) or its exception."""
        self.stats["commands"] += 1
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        queue = self._queues.setdefault(room.name, _Queue())
        same = queue.by_key.get(key) if key is not None else None
        if same is not None:
            same.futures.append(future)
        else:
            pending = Pending(principal, type, data, key, [future])
            queue.waiting.append(pending)
            if key is not None:
                queue.by_key[key] = pending
        if queue.drainer is None or queue.drainer.done():
            queue.drainer = asyncio.create_task(self._drain(room, queue))
        return future

    def forget(self, room: str) -> bool:
        """Drop an idle room's queue (the engine unloads the room); False if it is busy."""
        queue = self._queues.get(room)
        if queue is None:
            return True
        if queue.waiting or (queue.drainer is not None and not queue.drainer.done()):
            return False
        del self._queues[room]
        return True

    async def close(self) -> None:
        tasks = [q.drainer for q in self._queues.values() if q.drainer is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for queue in self._queues.values():
            for pending in self._take(queue, len(queue.waiting)):
                pending.fail(ConnectionError("the engine is closing"))

    @staticmethod
    def _take(queue: _Queue, limit: int) -> list[Pending]:
        taken: list[Pending] = []
        while queue.waiting and len(taken) < limit:
            pending = queue.waiting.popleft()
            if pending.key is not None:
                queue.by_key.pop(pending.key, None)
            if pending.wanted():  # its caller may be gone (a closed connection)
                taken.append(pending)
        return taken

    async def _drain(self, room: Replica[S], queue: _Queue) -> None:
        while queue.waiting:
            batch = self._take(queue, MAX_BATCH)
            try:
                async with room.lock:
                    await self._commit(room, queue, batch)
            except Exception as exc:
                for pending in batch:
                    pending.fail(exc)
            except BaseException:
                for pending in batch:
                    pending.fail(ConnectionError("the engine is closing"))
                raise

    async def _commit(self, room: Replica[S], queue: _Queue, batch: list[Pending]) -> None:
        conflicts = 0
        while True:
            plan = self._plan(room, batch)
            if not plan.entries:
                if plan.refused and await self.log.head(room.name) != room.head:
                    # A refusal decided on a stale head could refuse what another
                    # worker's already acked command made valid: catch up, decide again.
                    await self._catch_up(room)
                    continue
                break
            self.stats["appends"] += 1
            outcome = await self.log.append_batch(room.name, room.head, plan.entries)
            if isinstance(outcome, list):
                durable = time.perf_counter()
                room.apply([r for done in outcome for r in done.records], decided=plan.decided)
                self._fanout_took(time.perf_counter() - durable)
                for members, done in zip(plan.members, outcome, strict=True):
                    for pending in members:
                        pending.settle((done.records[-1].seq, done.result))
                break
            if isinstance(outcome, DuplicateKeys):
                # Resent commands that another worker (or an earlier batch) applied.
                self.stats["duplicates"] += len(outcome.keys)
                await self._answer_applied(room, batch, set(outcome.keys))
                continue
            self.stats["conflicts"] += 1
            conflicts += 1
            if conflicts >= 2:
                await asyncio.sleep(random.uniform(0, BACKOFF * min(conflicts, 8)))
            await self._catch_up(room)
            batch.extend(self._take(queue, MAX_BATCH - len(batch)))
        await self._answer_rest(room, plan)

    def _plan(self, room: Replica[S], batch: list[Pending]) -> _Plan[S]:
        """Decide every command in order, each on the state after the ones before it;
        runs of commands the domain decides together (``Domain.together``: joins and
        leaves) as one.

        Each event is folded here, once: the room adopts these states when the batch is
        durable (``Replica.apply(decided=...)``) instead of folding the records again."""
        domain = self.domain
        plan: _Plan[S] = _Plan()
        state = room.state
        run: list[Pending] = []
        for pending in batch:
            if pending.key is None and domain.together(pending.principal, pending.type):
                run.append(pending)
                continue
            if run:
                state = self._decide_run(plan, state, run)
                run = []
            state = self._decide(plan, state, pending)
        if run:
            state = self._decide_run(plan, state, run)
        return plan

    def _decide(self, plan: _Plan[S], state: S, pending: Pending) -> S:
        domain = self.domain
        try:
            events, result = domain.decide(
                state, pending.principal, pending.type, pending.data, self._clock(), self._ids()
            )
            after, folded, stored = self._fold(state, events)
        except Refused as exc:
            plan.refused.append((pending, exc))
            return state
        except Exception as exc:
            plan.failed.append((pending, exc))
            return state
        if not events:
            plan.empty.append((pending, result))
            return state
        plan.entries.append(BatchEntry(stored, pending.key, result))
        plan.decided.extend(folded)
        plan.members.append([pending])
        return after

    def _decide_run(self, plan: _Plan[S], state: S, run: list[Pending]) -> S:
        """Commands decided together: one entry (usually one event) for all of them."""
        if len(run) == 1:
            return self._decide(plan, state, run[0])
        commands = [(p.principal, p.type, p.data) for p in run]
        try:
            events, refusals = self.domain.decide_together(
                state, commands, self._clock(), self._ids()
            )
            after, folded, stored = self._fold(state, events)
        except Exception as exc:
            plan.failed.extend((pending, exc) for pending in run)
            return state
        accepted = []
        for pending, refusal in zip(run, refusals, strict=True):
            if refusal is not None:
                plan.refused.append((pending, refusal))
            elif events:
                accepted.append(pending)
            else:
                plan.empty.append((pending, {}))
        if not events:
            return state
        plan.entries.append(BatchEntry(stored, None, {}))
        plan.decided.extend(folded)
        plan.members.append(accepted)
        return after

    def _fold(self, state: S, events: list[Any]) -> tuple[S, list[tuple[Any, S]], list[NewEvent]]:
        domain = self.domain
        after = state
        folded: list[tuple[Any, S]] = []
        for event in events:
            after = domain.apply(after, event)
            folded.append((event, after))
        return after, folded, [domain.dump(event) for event in events]

    async def _lookups(self, room: Replica[S], keys: list[str]) -> dict[str, Committed]:
        self.stats["lookups"] += 1
        return await self.log.lookup_many(room.name, keys)

    def _seq(self, room: Replica[S], done: Committed) -> int:
        return done.records[-1].seq if done.records else room.head

    async def _answer_applied(self, room: Replica[S], batch: list[Pending], keys: set[str]) -> None:
        found = await self._lookups(room, sorted(keys))
        await self._catch_up(room)
        for pending in [p for p in batch if p.key in keys]:
            batch.remove(pending)
            assert pending.key is not None
            done = found.get(pending.key)
            if done is None:  # the log said applied but forgot it since (a trim between)
                pending.fail(RuntimeError(f"command {pending.key!r} vanished from the log"))
            else:
                pending.settle((self._seq(room, done), done.result))

    async def _answer_rest(self, room: Replica[S], plan: _Plan[S]) -> None:
        """Refusals and event-less commands, decided on the state the batch committed."""
        for pending, failure in plan.failed:
            pending.fail(failure)
        # A resent command may be refused (or do nothing) now *because* it was applied.
        keyed = [p.key for p, _ in plan.refused + plan.empty if p.key is not None]
        found = await self._lookups(room, keyed) if keyed else {}
        if found:
            await self._catch_up(room)
        for pending, refusal in plan.refused:
            done = found.get(pending.key) if pending.key is not None else None
            if done is None:
                pending.fail(refusal)
            else:
                pending.settle((self._seq(room, done), done.result))
        for pending, result in plan.empty:
            done = found.get(pending.key) if pending.key is not None else None
            if done is None:
                pending.settle((room.head, result))
            else:
                pending.settle((self._seq(room, done), done.result))

"""The engine's group commit, in process: two engines on one log stand for two workers."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable

import pytest

from realtime.engine import Engine, Principal, Refused
from realtime.log import NewEvent, Record, RoomLog
from realtime.server import open_log
from tests.realtime.toy import Recording, ToyDomain, ToyState

Engines = tuple[RoomLog, Engine[ToyState], Engine[ToyState]]


@pytest.fixture
async def engines() -> AsyncIterator[Engines]:
    log = open_log("memory://")
    await log.start()
    made = (
        Engine(log, ToyDomain()),
        Engine(log, ToyDomain()),
    )
    yield log, *made
    for engine in made:
        await engine.close()
    await log.close()


def who(n: int) -> Principal:
    return Principal("main", f"p{n}", "public", True, {}, None)


async def test_concurrent_commands_share_appends_and_are_each_applied_once(
    engines: Engines,
) -> None:
    log, one, two = engines
    calls = [
        engine.execute(who(i), "counter.add", {"n": 1}, f"p{i}:{j}")
        for i in range(100)
        for j in range(5)
        for engine in (one if i % 2 else two,)
    ]
    acks = await asyncio.gather(*calls)
    records = await log.read("main", 0)
    assert [r.seq for r in records] == list(range(1, 501))
    assert sorted(seq for seq, _ in acks) == list(range(1, 501))
    # each command decided on the state after every earlier one, across batches and engines
    assert [r.data["total"] for r in records] == list(range(1, 501))
    assert all(
        result == {"total": str(r.data["total"])}
        for r, (_, result) in zip(sorted(records, key=lambda r: r.seq), sorted(acks), strict=True)
    )
    assert Counter(r.cause for r in records).most_common(1)[0][1] == 1
    appends = one.stats["appends"] + two.stats["appends"]
    assert appends < 500 / 5  # batched: far fewer appends than commands
    assert (await one.state("main")).total == (await two.state("main")).total == 500


async def test_a_refusal_sees_the_command_before_it_in_the_same_batch(engines: Engines) -> None:
    log, one, _ = engines
    outcomes = await asyncio.gather(
        *(one.execute(who(1), "once.claim", {}, f"p1:c{i}") for i in range(3)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], tuple)
    assert all(isinstance(o, Refused) and o.code == "already_claimed" for o in outcomes[1:])
    assert [r.name for r in await log.read("main", 0)] == ["once.claimed"]


async def test_a_batch_of_refusals_asks_the_log_about_its_keys_once(engines: Engines) -> None:
    """Refused commands might be resends of applied ones: the log is asked about all the
    keys of a batch in one lookup, not one round trip per command."""
    log, one, _ = engines
    claimed = await one.execute(who(1), "once.claim", {}, "p1:claim")
    before = one.stats["lookups"]
    outcomes = await asyncio.gather(
        *(one.execute(who(1), "once.claim", {}, f"p1:late{i}") for i in range(48)),
        one.execute(who(1), "once.claim", {}, "p1:claim"),  # a resend: the original answer
        return_exceptions=True,
    )
    assert all(isinstance(o, Refused) and o.code == "already_claimed" for o in outcomes[:-1])
    assert outcomes[-1] == claimed
    assert 1 <= one.stats["lookups"] - before <= 2  # one per batch (the first may be alone)
    assert [r.name for r in await log.read("main", 0)] == ["once.claimed"]


async def test_resends_get_the_original_answer_on_any_engine(engines: Engines) -> None:
    log, one, two = engines
    # the same key twice while queued on one engine, and once more on the other
    first, again, elsewhere = await asyncio.gather(
        one.execute(who(1), "counter.add", {"n": 5}, "p1:x"),
        one.execute(who(1), "counter.add", {"n": 5}, "p1:x"),
        two.execute(who(1), "counter.add", {"n": 5}, "p1:x"),
    )
    later = await two.execute(who(1), "counter.add", {"n": 5}, "p1:x")
    assert first == again == elsewhere == later == (1, {"total": "5"})
    assert len(await log.read("main", 0)) == 1
    assert one.stats["commands"] == 2  # the resend while queued joined the original
    assert two.stats["duplicates"] >= 1


async def test_commands_without_events_answer_at_the_head(engines: Engines) -> None:
    _, one, _ = engines
    await one.execute(who(1), "counter.add", {"n": 2}, "p1:a")
    seq, result = await one.execute(who(1), "noop", {}, "p1:b")
    assert (seq, result) == (1, {"head": "2"})
    with pytest.raises(Refused):
        await one.execute(who(1), "counter.add", {"n": "x"}, "p1:c")


async def test_on_applied_sees_every_record_once_in_order_whoever_appended_it(
    engines: Engines,
) -> None:
    """The hook fires on the worker that appended and on the one that read the records
    from the log (its watcher), with the state after the records it is given."""
    _, one, two = engines
    seen: dict[str, list[int]] = {"one": [], "two": []}
    totals: dict[str, list[int]] = {"one": [], "two": []}

    def hook(name: str) -> Callable[[str, list[Record], ToyState], None]:
        def applied(room: str, records: list[Record], state: ToyState) -> None:
            assert room == "main"
            seen[name].extend(r.seq for r in records)
            totals[name].append(state.total)

        return applied

    one.on_applied(hook("one"))
    two.on_applied(hook("two"))
    await two.state("main")  # two holds the room: its watcher reads what one appends
    for i in range(20):
        await one.execute(who(i), "counter.add", {"n": 1}, f"p{i}:1")
    for _ in range(200):
        if len(seen["two"]) == 20:
            break
        await asyncio.sleep(0.01)
    assert seen["one"] == seen["two"] == list(range(1, 21))
    assert totals["one"][-1] == totals["two"][-1] == 20
    assert totals["one"] == sorted(totals["one"])


async def test_a_failing_on_applied_hook_is_logged_and_the_command_still_acked(
    engines: Engines, caplog: pytest.LogCaptureFixture
) -> None:
    _, one, _ = engines

    def broken(room: str, records: list[Record], state: ToyState) -> None:
        raise ValueError("a bug in the application's hook")

    one.on_applied(broken)
    seq, _ = await one.execute(who(1), "counter.add", {"n": 2}, "p1:1")
    assert seq == 1
    assert (await one.state("main")).total == 2
    assert any("on_applied hook failed" in r.getMessage() for r in caplog.records)


class Counting(ToyDomain):
    """Counts how often the engine decodes (load) and folds (apply) events."""

    def __init__(self) -> None:
        self.loads = 0
        self.applies = 0

    def load(self, record: Record) -> NewEvent:
        self.loads += 1
        return super().load(record)

    def apply(self, state: ToyState, event: NewEvent) -> ToyState:
        self.applies += 1
        return super().apply(state, event)


async def test_each_event_is_decoded_and_folded_once_per_worker() -> None:
    """The worker that decided a command folds its events once, while deciding, and
    decodes none; a worker that reads them from the log decodes and folds each once."""
    log = open_log("memory://")
    await log.start()
    mine, theirs = Counting(), Counting()
    one, two = Engine(log, mine), Engine(log, theirs)
    try:
        await two.state("main")
        for i in range(10):
            await one.execute(who(i), "counter.add", {"n": 1}, f"p{i}:1")
        await one.state("main")
        for _ in range(200):
            if (await two.state("main")).total == 10:
                break
            await asyncio.sleep(0.01)
        assert (mine.loads, mine.applies) == (0, 10)
        assert (theirs.loads, theirs.applies) == (10, 10)
    finally:
        await one.close()
        await two.close()
        await log.close()


async def test_joins_next_to_each_other_are_decided_together_as_one_event() -> None:
    """Domain.together: a crowd attaching at once appends one event per batch (not one
    per person), each refusal still reaches its own connection, and every connection
    gets every seq after its welcome exactly once, in order."""
    log = open_log("memory://")
    await log.start()
    engine: Engine[ToyState] = Engine(log, ToyDomain(together=True))
    try:
        people = [
            Principal(
                "main", f"c{n}", "public", True, {"name": "banned" if n % 10 == 7 else "ok"}, None
            )
            for n in range(60)
        ]
        boxes = [Recording() for _ in people]
        outcomes = await asyncio.gather(
            *(engine.attach(p, box, None) for p, box in zip(people, boxes, strict=True)),
            return_exceptions=True,
        )
        refused = [p.key for p, o in zip(people, outcomes, strict=True) if isinstance(o, Refused)]
        assert refused == [f"c{n}" for n in range(60) if n % 10 == 7]
        assert all(o is None for o in outcomes if not isinstance(o, Refused))
        records = await log.read("main", 0)
        # Far fewer events than people, each holding several of them, nobody twice.
        assert {r.name for r in records} <= {"members.joined", "member.joined"}
        assert len(records) < 54 / 2
        joined = [w for r in records for w in r.data.get("who", [])] + [
            r.data["who"] for r in records if r.name == "member.joined"
        ]
        assert sorted(joined) == sorted(p.key for p in people if p.key not in refused)
        assert (await engine.state("main")).members == frozenset(joined)
        # One more event reaches everyone admitted; each connection saw each seq once.
        await engine.execute(people[0], "counter.add", {"n": 1}, "c0:x")
        await asyncio.sleep(0)
        head = (await log.read("main", 0))[-1].seq
        for person, box in zip(people, boxes, strict=True):
            if person.key in refused:
                continue
            messages = [json.loads(t) for t in box.pushed]
            welcome = messages[0]
            assert welcome["type"] == "welcome"
            seqs = [m["seq"] for m in messages[1:] if m["type"] == "event"]
            assert seqs == list(range(welcome["seq"] + 1, head + 1))
    finally:
        await engine.close()
        await log.close()

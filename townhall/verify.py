"""``townhall verify minutes.json``: check a session's published record (SPEC §8).

Written from docs/minutes.md ("Verifying the record") with the standard library only,
apart from the rest of Townhall, so that it is what a third party would write: it
recomputes the hash chain from the events the minutes list, then checks that the
summary sections (attendance, statements, tallies, decisions) say what the events say.

    python -m townhall.verify minutes.json     # or: townhall verify minutes.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["Mismatch", "Verified", "canonical", "chain_hash", "main", "verify"]

GENESIS = "0" * 64
# Poll kinds whose tally rows hold the closing event's counts (a dot poll's: its dots).
COUNTED_KINDS = ("single", "multiple", "yes_no_abstain", "ranked", "score", "battle", "dot")
Json = dict[str, Any]


class Mismatch(Exception):
    """The first thing in the minutes that does not match the record."""


@dataclass(frozen=True)
class Verified:
    events: int
    head: str


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def canonical(value: Any) -> bytes:
    """Keys sorted, no whitespace, UTF-8 unescaped, integral numbers as integers."""
    text = json.dumps(
        _plain(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return text.encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _text_hash(data: Json) -> str | None:
    """The SHA-256 of the event's text: of ``text``, or as published in ``text_sha256``."""
    if isinstance(data.get("text"), str):
        return sha256_hex(data["text"].encode("utf-8"))
    found = data.get("text_sha256")
    return found if isinstance(found, str) else None


def chain_hash(prev: str, event: Json) -> str:
    data = dict(event["data"])
    if isinstance(data.get("text"), str):
        data["text_sha256"] = sha256_hex(data.pop("text").encode("utf-8"))
    body = {"seq": event["seq"], "name": event["name"], "data": data, "at": event["at"]}
    return sha256_hex(prev.encode("ascii") + canonical(body))


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Mismatch(f"not a time: {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Mismatch(f"not a time: {value!r}") from None


def _check_chain(record: Json) -> list[Json]:
    if record.get("algorithm") != "sha256":
        raise Mismatch(f"record: unknown algorithm {record.get('algorithm')!r}")
    events = record.get("events")
    if not isinstance(events, list):
        raise Mismatch("record: no events")
    prev = GENESIS
    for n, event in enumerate(events, 1):
        label = f"event {n}"
        if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
            raise Mismatch(f"{label}: not an event")
        label = f"event seq {event.get('seq')} ({event.get('name')})"
        if event.get("seq") != n:
            raise Mismatch(f"{label}: expected seq {n}")
        expected = chain_hash(prev, event)
        if event.get("hash") != expected:
            raise Mismatch(f"{label}: hash does not match (recomputed {expected})")
        prev = expected
    if record.get("head") != prev:
        raise Mismatch(f"record: head {record.get('head')} is not the last hash {prev}")
    return events


# -- the summary sections, derived from the events ---------------------------------------


def _named(events: list[Json], *names: str) -> Iterator[Json]:
    return (e for e in events if e["name"] in names)


def _attendance(events: list[Json]) -> list[tuple[str, Any, Any]]:
    stays: dict[str, list[list[Any]]] = {}

    def arrive(who: Any, at: Any) -> None:
        stays.setdefault(who, []).append([at, None])

    def leave(who: Any, at: Any) -> None:
        open_ = stays.get(who, [])
        if open_ and open_[-1][1] is None:
            open_[-1][1] = at

    for e in events:
        name, data, at = e["name"], e["data"], _instant(e["at"])
        who = data.get("participant")
        if name in ("participant.joined", "participant.admitted"):
            arrive(who, at)
        elif name in ("participant.left", "participant.removed"):
            leave(who, at)
        elif name == "attendance.recorded":  # one tick's arrivals and departures
            for change in data.get("changes") or []:
                if change.get("status") == "present":
                    arrive(change.get("participant"), at)
                elif change.get("status") == "left":
                    leave(change.get("participant"), at)
        elif name == "session.ended":
            for person in stays.values():
                if person and person[-1][1] is None:
                    person[-1][1] = at
    return sorted(
        ((who, a, b) for who, person in stays.items() for a, b in person),
        key=lambda s: (s[1], s[0], s[2] is None, s[2]),
    )


def _check_attendance(doc: Json, events: list[Json]) -> None:
    derived = _attendance(events)
    given = sorted(
        (
            (a.get("participant"), _instant(a.get("joined_at")), _instant(a.get("left_at")))
            for a in doc.get("attendance") or []
        ),
        key=lambda s: (s[1], s[0], s[2] is None, s[2]),
    )
    if len(given) != len(derived):
        raise Mismatch(f"attendance: {len(given)} stays listed, the events make {len(derived)}")
    for mine, theirs in zip(given, derived, strict=True):
        if mine != theirs:
            raise Mismatch(f"attendance: stay of {mine[0]} does not match the events")


def _check_statements(doc: Json, events: list[Json]) -> None:
    posted = {e["data"].get("statement"): e for e in _named(events, "statement.posted")}
    hidden = {e["data"].get("statement"): e for e in _named(events, "statement.hidden")}
    listed = doc.get("statements") or []
    if sorted(str(s.get("id")) for s in listed) != sorted(str(k) for k in posted):
        raise Mismatch("statements: not the statements the events posted")
    for s in listed:
        where = f"statements: {s.get('id')}"
        e = posted[s.get("id")]
        data = e["data"]
        if (s.get("participant"), s.get("item")) != (data.get("participant"), data.get("item")):
            raise Mismatch(f"{where}: author or item differs from the event")
        if _instant(s.get("at")) != _instant(e["at"]):
            raise Mismatch(f"{where}: time differs from the event")
        h = hidden.get(s.get("id"))
        if bool(s.get("hidden")) != (h is not None):
            raise Mismatch(f"{where}: hidden flag differs from the events")
        if h is not None and (
            s.get("hidden_reason") != h["data"].get("reason")
            or s.get("hidden_by") != h["data"].get("by")
            or _instant(s.get("hidden_at")) != _instant(h["at"])
        ):
            raise Mismatch(f"{where}: hiding differs from the event")
        text = s.get("text")
        if h is not None and not text:
            continue  # the public edition leaves a hidden text out (its hash stays)
        if not isinstance(text, str) or sha256_hex(text.encode("utf-8")) != _text_hash(data):
            raise Mismatch(f"{where}: text differs from the event")


def _check_tallies(doc: Json, events: list[Json]) -> None:
    closed: dict[Any, Json] = {}
    for e in _named(events, "poll.closed"):
        closed[e["data"].get("poll")] = e["data"]
    published = {e["data"].get("poll") for e in _named(events, "poll.published")}
    polls = {p.get("id"): p for p in doc.get("polls") or []}
    for poll in closed:
        if poll not in polls:
            raise Mismatch(f"polls: {poll} closed in the events but missing")
    for pid, p in polls.items():
        where = f"tallies: poll {pid}"
        status = p.get("status")
        if (status in ("closed", "published")) != (pid in closed):
            raise Mismatch(f"{where}: status {status} does not match the events")
        if (status == "published") != (pid in published):
            raise Mismatch(f"{where}: status {status} does not match the events")
        if pid not in closed:
            continue
        tally = closed[pid].get("tally") or {}
        if p.get("turnout") != tally.get("turnout") or p.get("winner") != tally.get("winner"):
            raise Mismatch(f"{where}: turnout or result differs from the closing event")
        if p.get("by_proxy", 0) != tally.get("by_proxy", 0):
            raise Mismatch(f"{where}: ballots by proxy differ from the closing event")
        if p.get("quorum_met") is not None and p.get("quorum_met") != tally.get("quorum_met"):
            raise Mismatch(f"{where}: quorum differs from the closing event")
        counts = tally.get("counts") or []
        field = {"score": "score"}.get(str(p.get("kind")), "votes")
        if str(p.get("kind")) in COUNTED_KINDS:
            given = [t.get(field) or 0 for t in sorted(p.get("tally") or [], key=_option)]
            if given != list(counts):
                raise Mismatch(f"{where}: counts {given} differ from the closing event {counts}")
        rounds = [
            {
                "counts": [
                    next(
                        (c.get("votes") for c in r.get("counts") or [] if c.get("option") == i),
                        None,
                    )
                    for i in range(len(p.get("options") or []))
                ],
                "eliminated": next(
                    (c.get("option") for c in r.get("counts") or [] if c.get("eliminated")), None
                ),
                "exhausted": r.get("exhausted"),
            }
            for r in sorted(p.get("irv_rounds") or [], key=lambda r: r.get("round") or 0)
        ]
        if rounds != (tally.get("rounds") or []):
            raise Mismatch(f"{where}: instant-runoff rounds differ from the closing event")


def _option(entry: Json) -> int:
    option = entry.get("option")
    return option if isinstance(option, int) else -1


def _check_decisions(doc: Json, events: list[Json]) -> None:
    recorded = {e["data"].get("decision"): e for e in _named(events, "decision.recorded")}
    listed = doc.get("decisions") or []
    if sorted(str(d.get("id")) for d in listed) != sorted(str(k) for k in recorded):
        raise Mismatch("decisions: not the decisions the events recorded")
    for d in listed:
        where = f"decisions: {d.get('id')}"
        e = recorded[d.get("id")]
        data = e["data"]
        same = (
            d.get("item") == data.get("item")
            and d.get("poll") == data.get("poll")
            and d.get("recorded_by") == data.get("by")
            and (d.get("dissent") or None) == (data.get("dissent") or None)
            and _instant(d.get("at")) == _instant(e["at"])
        )
        text = d.get("text")
        if not same or not isinstance(text, str):
            raise Mismatch(f"{where}: differs from the event")
        if sha256_hex(text.encode("utf-8")) != _text_hash(data):
            raise Mismatch(f"{where}: text differs from the event")


def verify(doc: Json) -> Verified:
    """Raises ``Mismatch`` naming the first disagreement."""
    record = doc.get("record")
    if not isinstance(record, dict):
        raise Mismatch("these minutes hold no record")
    events = _check_chain(record)
    _check_attendance(doc, events)
    _check_statements(doc, events)
    _check_tallies(doc, events)
    _check_decisions(doc, events)
    return Verified(len(events), str(record["head"]))


def verify_file(path: Path) -> Verified:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Mismatch(f"cannot read {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise Mismatch(f"{path} is not a minutes document")
    return verify(doc)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m townhall.verify minutes.json", file=sys.stderr)
        return 2
    try:
        done = verify_file(Path(args[0]))
    except Mismatch as exc:
        print(f"mismatch: {exc}")
        return 1
    print(f"verified {done.events} events, head {done.head}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

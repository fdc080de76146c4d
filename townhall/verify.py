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
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = ["Mismatch", "Verified", "canonical", "chain_hash", "main", "verify"]

GENESIS = "0" * 64
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


_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)")


def _when(value: Any, where: str) -> datetime | None:
    """A summary's time: null, or ISO 8601 with a ``T`` and an offset (``Z``), as an
    instant (the summaries write microseconds, the events milliseconds)."""
    if value is None:
        return None
    if not isinstance(value, str) or _TIME.fullmatch(value) is None:
        raise Mismatch(f"{where}: not a time: {value!r}")
    try:
        return _instant(value)
    except Mismatch:
        raise Mismatch(f"{where}: not a time: {value!r}") from None


def _fields(entry: Any, keys: tuple[str, ...], where: str) -> Json:
    """``entry`` as an object holding every member the check reads (a renamed member is
    a missing one)."""
    if not isinstance(entry, dict):
        raise Mismatch(f"{where}: not an object")
    for key in keys:
        if key not in entry:
            raise Mismatch(f"{where}: no {key!r}")
    return entry


def _check_chain(record: Json) -> list[Json]:
    if record.get("algorithm") != "sha256":
        raise Mismatch(f"record: unknown algorithm {record.get('algorithm')!r}")
    events = record.get("events")
    if not isinstance(events, list):
        raise Mismatch("record: no events")
    prev = GENESIS
    for n, event in enumerate(events, 1):
        label = f"event seq {n}"  # the n-th event listed, which must have seq n
        _fields(event, ("seq", "name", "data", "at", "hash"), label)
        if not isinstance(event["data"], dict):
            raise Mismatch(f"{label}: not an event")
        label = f"event seq {n} ({event['name']})"
        if event["seq"] != n or isinstance(event["seq"], bool):
            raise Mismatch(f"{label}: seq is {event['seq']!r}")
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
    listed = doc.get("attendance") or []
    for n, a in enumerate(listed):
        _fields(a, ("participant", "joined_at", "left_at"), f"attendance: stay {n + 1}")
    given = sorted(
        (
            (
                a["participant"],
                _when(a["joined_at"], "attendance"),
                _when(a["left_at"], "attendance"),
            )
            for a in listed
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
        _fields(s, STATEMENT_FIELDS, where)
        e = posted[s.get("id")]
        data = e["data"]
        if (s.get("participant"), s.get("item")) != (data.get("participant"), data.get("item")):
            raise Mismatch(f"{where}: author or item differs from the event")
        if s.get("turn") != data.get("turn"):
            raise Mismatch(f"{where}: turn differs from the event")
        if _when(s.get("at"), where) != _instant(e["at"]):
            raise Mismatch(f"{where}: time differs from the event")
        h = hidden.get(s.get("id"))
        if s.get("hidden") is not (h is not None):
            raise Mismatch(f"{where}: hidden flag differs from the events")
        if h is None and (s["hidden_reason"], s["hidden_by"], s["hidden_at"]) != (None,) * 3:
            raise Mismatch(f"{where}: hiding differs from the events")
        if h is not None and (
            s.get("hidden_reason") != h["data"].get("reason")
            or s.get("hidden_by") != h["data"].get("by")
            or _when(s.get("hidden_at"), where) != _instant(h["at"])
        ):
            raise Mismatch(f"{where}: hiding differs from the event")
        text = s.get("text")
        if h is not None and not text:
            continue  # the public edition leaves a hidden text out (its hash stays)
        if not isinstance(text, str) or sha256_hex(text.encode("utf-8")) != _text_hash(data):
            raise Mismatch(f"{where}: text differs from the event")


STATEMENT_FIELDS = (
    "id", "participant", "item", "text", "at", "turn", "hidden", "hidden_reason",
    "hidden_by", "hidden_at",
)  # fmt: skip
POLL_FIELDS = (
    "id", "item", "question", "kind", "options", "secret", "results", "max_choices",
    "quorum", "status", "eligible", "turnout", "by_proxy", "electorate", "quorum_share",
    "quorum_needed", "eligible_list", "proxies", "quorum_met", "winner", "opened_at",
    "closed_at", "published_at", "ballots", "voters", "tally", "irv_rounds", "final",
    "votes_per_person", "max_per_option", "proposals", "repeat_of", "dot_voters",
)  # fmt: skip
DECISION_FIELDS = ("id", "item", "text", "recorded_by", "at", "poll", "poll_result", "dissent")
# What a poll's summary copies from its poll.created event as it is.
_AS_CREATED = (
    "item", "question", "kind", "options", "secret", "results", "max_choices", "final",
    "votes_per_person", "max_per_option", "proposals", "repeat_of",
)  # fmt: skip


@dataclass
class _PollEvents:
    created: Json
    opened: Json | None = None
    closed: Json | None = None
    published: Json | None = None
    named: dict[Any, Any] | None = None  # participant -> last choice (named polls)


def _poll_events(events: list[Json]) -> dict[Any, _PollEvents]:
    polls: dict[Any, _PollEvents] = {}
    for e in events:
        name, data = e["name"], e["data"]
        found = polls.get(data.get("poll"))
        if name == "poll.created":
            polls[data.get("poll")] = _PollEvents(created=e)
        elif found is None:
            continue
        elif name == "poll.opened":
            found.opened = e
        elif name == "poll.closed":
            found.closed = e
        elif name == "poll.published":
            found.published = e
        elif name == "vote.counted" and "participant" in data:
            found.named = {**(found.named or {}), data["participant"]: data.get("choice")}
    return polls


def _needed(created: Json, eligible: int) -> int | None:
    """The quorum in ballots (docs/rules.md): ``quorum``, or ``quorum_share`` of the
    eligible list rounded up, from the decimal as written; None without a quorum."""
    share = created.get("quorum_share")
    if share is None:
        return created.get("quorum") or None
    exact = Fraction(repr(share)) * eligible
    return -(-exact.numerator // exact.denominator)


def _seq(choice: Any) -> list[Any]:
    return list(choice) if isinstance(choice, list) else [choice]


def _counts(kind: str, options: int, ballots: list[Any]) -> list[int] | None:
    """Per option, what the ballots add up to (None: the kind's counts are not a sum)."""
    totals = [0] * options
    for choice in ballots:
        if kind in ("score", "dot"):
            for i, value in enumerate(_seq(choice)[:options]):
                totals[i] += max(value, 0) if isinstance(value, int) else 0
        elif kind in ("single", "multiple", "yes_no_abstain", "battle"):
            for i in _seq(choice):
                if isinstance(i, int) and 0 <= i < options:
                    totals[i] += 1
        elif kind == "ranked":  # the first round counts first preferences
            firsts = [i for i in _seq(choice) if isinstance(i, int) and 0 <= i < options]
            if firsts:
                totals[firsts[0]] += 1
        else:
            return None
    return totals


def _dots(choice: Any, option: int) -> int:
    values = _seq(choice)
    value = values[option] if option < len(values) else 0
    return value if isinstance(value, int) else 0


def _check_tallies(doc: Json, events: list[Json]) -> None:
    polls = _poll_events(events)
    listed = doc.get("polls") or []
    ids = [p.get("id") if isinstance(p, dict) else None for p in listed]
    if sorted(map(str, ids)) != sorted(map(str, polls)) or len(set(ids)) != len(ids):
        missing = [pid for pid in polls if pid not in ids]
        what = f"{missing[0]} created in the events but missing" if missing else "not the polls"
        raise Mismatch(f"polls: {what} the events created")
    for p in listed:
        _check_poll(_fields(p, POLL_FIELDS, f"tallies: poll {p.get('id')}"), polls[p["id"]])


def _check_poll(p: Json, ev: _PollEvents) -> None:
    where = f"tallies: poll {p['id']}"
    created = ev.created["data"]
    for field in _AS_CREATED:
        if p[field] != created.get(field):
            raise Mismatch(f"{where}: {field} differs from the poll.created event")
    if p["quorum"] != (created.get("quorum") or None):
        raise Mismatch(f"{where}: quorum differs from the poll.created event")
    if p["quorum_share"] != created.get("quorum_share"):
        raise Mismatch(f"{where}: quorum_share differs from the poll.created event")
    if p["electorate"] != created.get("eligible"):
        raise Mismatch(f"{where}: electorate differs from the poll.created event")
    status = (
        "published" if ev.published else "closed" if ev.closed else "open" if ev.opened
        else "draft"
    )  # fmt: skip
    if p["status"] != status:
        raise Mismatch(f"{where}: status {p['status']} does not match the events ({status})")
    for field, event in (
        ("opened_at", ev.opened), ("closed_at", ev.closed), ("published_at", ev.published),
    ):  # fmt: skip
        if _when(p[field], where) != (None if event is None else _instant(event["at"])):
            raise Mismatch(f"{where}: {field} differs from the events")
    opened = ev.opened["data"] if ev.opened else {}
    eligible = sorted(opened.get("eligible") or [])
    if p["eligible_list"] != eligible or p["eligible"] != len(eligible):
        raise Mismatch(f"{where}: eligible list differs from the poll.opened event")
    pairs = sorted(zip(opened.get("givers") or [], opened.get("holders") or [], strict=False))
    if p["proxies"] != [{"giver": g, "holder": h} for g, h in pairs]:
        raise Mismatch(f"{where}: proxies differ from the poll.opened event")
    has_quorum = bool(created.get("quorum")) or created.get("quorum_share") is not None
    if p["quorum_needed"] != (_needed(created, len(eligible)) if has_quorum else None):
        raise Mismatch(f"{where}: quorum_needed differs from the poll's quorum")
    if ev.closed is None:  # a poll never opened (open ones close with the session)
        if (p["turnout"], p["by_proxy"], p["voters"], p["ballots"], p["dot_voters"]) != (
            0, 0, [], [], [],
        ):  # fmt: skip
            raise Mismatch(f"{where}: ballots in a poll that never opened")
        if any(t.get("votes") for t in p["tally"]):
            raise Mismatch(f"{where}: votes in a poll that never opened")
        return
    tally = ev.closed["data"].get("tally") or {}
    counts = list(tally.get("counts") or [])
    if p["turnout"] != tally.get("turnout") or p["winner"] != tally.get("winner"):
        raise Mismatch(f"{where}: turnout or result differs from the closing event")
    if p["by_proxy"] != tally.get("by_proxy", 0):
        raise Mismatch(f"{where}: ballots by proxy differ from the closing event")
    if p["quorum_met"] != (tally.get("quorum_met") if has_quorum else None):
        raise Mismatch(f"{where}: quorum differs from the closing event")
    if p["dot_voters"] != (tally.get("voters") or []):
        raise Mismatch(f"{where}: voters per option differ from the closing event")
    battle = p.get("battle")
    if isinstance(battle, dict) and battle.get("closing") != counts:
        raise Mismatch(f"{where}: the battle's closing counts differ from the closing event")
    score = p["kind"] == "score"  # every ballot scores every option: counts are score sums
    expected_tally = [
        {"option": i, "votes": tally.get("turnout") if score else n, "score": n if score else None}
        for i, n in enumerate(counts)
    ]
    if sorted(p["tally"], key=_option) != expected_tally:
        raise Mismatch(f"{where}: counts differ from the closing event {counts}")
    rounds = [
        {
            "round": n,
            "counts": [
                {"option": i, "votes": v, "eliminated": r.get("eliminated") == i}
                for i, v in enumerate(r.get("counts") or [])
                if v is not None
            ],
            "exhausted": r.get("exhausted"),
        }
        for n, r in enumerate(tally.get("rounds") or [], 1)
    ]
    if p["irv_rounds"] != rounds:
        raise Mismatch(f"{where}: instant-runoff rounds differ from the closing event")
    _check_ballots(p, ev, tally, where)


def _check_ballots(p: Json, ev: _PollEvents, tally: Json, where: str) -> None:
    ballots = p["ballots"]
    if not isinstance(ballots, list) or len(ballots) != tally.get("turnout"):
        raise Mismatch(f"{where}: not one ballot per counted ballot")
    for b in ballots:
        _fields(b, ("participant", "choice", "holder"), f"{where}: ballot")
    pairs = [(x["giver"], x["holder"]) for x in p["proxies"]]
    if not p["secret"]:
        votes = ev.named or {}
        own = [(who, choice, None) for who, choice in votes.items()]
        carried = [(g, votes[h], h) for g, h in pairs if h in votes]
        expected = [
            {"participant": who, "choice": choice, "holder": holder}
            for who, choice, holder in sorted(own + carried, key=lambda b: str(b[0]))
        ]
        if ballots != expected:
            raise Mismatch(f"{where}: ballots differ from the vote.counted events")
        if p["voters"] != sorted(votes):
            raise Mismatch(f"{where}: voters differ from the vote.counted events")
        return
    # Secret: the events never say who chose what; the ballots are anonymous, add up to
    # the closing counts, and the voters are eligible people who voted in person.
    if any(b["participant"] is not None or b["holder"] is not None for b in ballots):
        raise Mismatch(f"{where}: a secret ballot names someone")
    kind, n = str(p["kind"]), len(p["options"] or [])
    summed = _counts(kind, n, [b["choice"] for b in ballots])
    first = (tally.get("rounds") or [{}])[0].get("counts") if kind == "ranked" else None
    expected_counts = first if first is not None else tally.get("counts")
    if summed is not None and summed != [c or 0 for c in expected_counts or [0] * n]:
        raise Mismatch(f"{where}: ballots do not add up to the closing counts")
    if kind == "dot":
        given = [sum(1 for b in ballots if _dots(b["choice"], i) > 0) for i in range(n)]
        if given != p["dot_voters"]:
            raise Mismatch(f"{where}: ballots do not add up to the voters per option")
    voters = p["voters"]
    givers = {g for g, _ in pairs}
    if (
        len(voters) != len(set(voters))
        or len(voters) != tally.get("in_person", tally.get("turnout"))
        or any(v not in p["eligible_list"] or v in givers for v in voters)
        or voters != sorted(voters)
    ):
        raise Mismatch(f"{where}: voters are not the eligible people who voted in person")


def _option(entry: Any) -> int:
    option = entry.get("option") if isinstance(entry, dict) else None
    return option if isinstance(option, int) else -1


def _poll_result(ev: _PollEvents | None) -> Json | None:
    """A decision's copy of its poll's result (a decision links a closed poll only)."""
    if ev is None or ev.closed is None:
        return None
    created, tally = ev.created["data"], ev.closed["data"].get("tally") or {}
    return {
        "poll": created.get("poll"),
        **{k: created.get(k) for k in ("question", "kind", "options", "secret")},
        **{k: tally.get(k) for k in ("turnout", "counts", "winner", "quorum_met", "rounds")},
    }


def _check_decisions(doc: Json, events: list[Json]) -> None:
    recorded = {e["data"].get("decision"): e for e in _named(events, "decision.recorded")}
    polls = _poll_events(events)
    listed = doc.get("decisions") or []
    if sorted(str(d.get("id")) for d in listed) != sorted(str(k) for k in recorded):
        raise Mismatch("decisions: not the decisions the events recorded")
    for d in listed:
        where = f"decisions: {d.get('id')}"
        _fields(d, DECISION_FIELDS, where)
        e = recorded[d.get("id")]
        data = e["data"]
        same = (
            d.get("item") == data.get("item")
            and d.get("poll") == data.get("poll")
            and d.get("recorded_by") == data.get("by")
            and (d.get("dissent") or None) == (data.get("dissent") or None)
            and _when(d.get("at"), where) == _instant(e["at"])
        )
        if d["poll_result"] != _poll_result(polls.get(data.get("poll"))):
            raise Mismatch(f"{where}: the poll's result differs from its closing event")
        text = d.get("text")
        if not same or not isinstance(text, str):
            raise Mismatch(f"{where}: differs from the event")
        if sha256_hex(text.encode("utf-8")) != _text_hash(data):
            raise Mismatch(f"{where}: text differs from the event")


def _check_roll(doc: Json, events: list[Json]) -> None:
    """The roll in the order members were added, with their names, and the proxies
    standing at the end (recorded and not revoked), by giver."""
    members: list[Json] = []
    proxies: dict[Any, Any] = {}
    for e in events:
        data = e["data"]
        if e["name"] == "roll.members_added":
            members += [
                {"participant": p, "name": n}
                for p, n in zip(
                    data.get("participants") or [], data.get("names") or [], strict=False
                )
            ]
        elif e["name"] == "proxy.recorded":
            proxies[data.get("giver")] = data.get("holder")
        elif e["name"] == "proxy.revoked":
            proxies.pop(data.get("giver"), None)
    if (doc.get("roll") or []) != members:
        raise Mismatch("roll: not the members the events added")
    standing = [
        {"giver": g, "holder": h} for g, h in sorted(proxies.items(), key=lambda x: str(x[0]))
    ]
    if (doc.get("proxies") or []) != standing:
        raise Mismatch("proxies: not the proxies the events recorded")


def verify(doc: Json) -> Verified:
    """Raises ``Mismatch`` naming the first disagreement."""
    record = doc.get("record")
    if not isinstance(record, dict):
        raise Mismatch("these minutes hold no record")
    events = _check_chain(record)
    for section, check in (
        ("attendance", _check_attendance),
        ("statements", _check_statements),
        ("tallies", _check_tallies),
        ("decisions", _check_decisions),
        ("roll", _check_roll),
    ):
        try:
            check(doc, events)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            # A section whose shape is not the documented one does not match either.
            raise Mismatch(f"{section}: malformed ({type(exc).__name__}: {exc})") from None
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

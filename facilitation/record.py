"""The record anyone can verify (SPEC §8): every event of a session, hash-chained.

    hash(n) = SHA-256( hash(n-1) as 64 lowercase hex digits (ASCII)
                       || canonical JSON of {"seq", "name", "data": sealed(public data), "at"} )

with hash(0) = 64 zeros. The *public data* of an event is what the published minutes
may show of it (``public_data``): the stored data, except that a secret poll's vote
shows only its poll and the turnout after it, a poll's closing carries its tally, and
the members of ``PRIVATE`` (who reacted or cheered, an anonymous asker, names in the
lobby) are left out.
*Sealed*, a ``text`` member enters as ``text_sha256``, the SHA-256 of its UTF-8 bytes,
so a statement hidden after the fact can be published as its hash and the chain still
verifies. *Canonical JSON*: keys sorted by code point, no insignificant whitespace,
UTF-8 without escaping non-ASCII, a number with no fractional part written as an
integer (docs/minutes.md has the details a verifier needs).

Pure functions; townhall folds them in log order on every worker (the ``at`` strings
are the log's own), so every worker holds the same head.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from facilitation.render import tally_view

if TYPE_CHECKING:
    from facilitation.room import RoomState

ALGORITHM = "sha256"
GENESIS = "0" * 64


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)
_NESTED = (float, dict, list, tuple)


def _plain(value: Any) -> Any:
    """``value`` with every integral float made an int (most event data is a flat object
    of strings and integers: it is returned as is after one pass)."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        if not any(isinstance(v, _NESTED) for v in value.values()):
            return value
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes of ``value``."""
    return _ENCODER.encode(_plain(value)).encode("utf-8")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sealed(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as it is hashed: a ``text`` string replaced by ``text_sha256``."""
    text = data.get("text")
    if not isinstance(text, str):
        return data
    out = {k: v for k, v in data.items() if k != "text"}
    out["text_sha256"] = text_hash(text)
    return out


def link(prev: str, seq: int, name: str, data: dict[str, Any], at: str) -> str:
    """The hash of event ``seq`` after ``prev`` (``data`` is its public data)."""
    body = canonical({"seq": seq, "name": name, "data": sealed(data), "at": at})
    return hashlib.sha256(prev.encode("ascii") + body).hexdigest()


# Stored members the published record leaves out (SPEC §8: "the event's public form"):
# what the minutes never show. Every event's fields were reviewed for this table
# (tests/facilitation/test_record.py fails when an event or a field is added, so that
# whoever adds one decides here whether the record may publish it).
PRIVATE: dict[str, frozenset[str]] = {
    "reaction.sent": frozenset({"participant"}),  # reactions are aggregates: never who
    "cheer.sent": frozenset({"participant"}),  # cheers are counts: never who
    "participant.waiting": frozenset({"display_name"}),  # the lobby is the staff's
}


def public_data(name: str, data: dict[str, Any], state_after: RoomState) -> dict[str, Any]:
    """What the record publishes of an event whose stored data is ``data``."""
    if name == "vote.counted":
        if data.get("participant") is not None:  # a named ballot is public
            return data
        # Never who chose what in a secret poll: only that a ballot counted.
        poll = state_after.polls.get(str(data.get("poll")))
        return {"poll": data.get("poll"), "turnout": poll.turnout if poll else 0}
    if name == "poll.closed":
        poll = state_after.polls.get(str(data.get("poll")))
        return data if poll is None else {**data, "tally": tally_view(poll.result or poll.tally())}
    if name == "question.asked" and data.get("anonymous"):
        return {k: v for k, v in data.items() if k != "participant"}  # the asker stays unnamed
    if name == "attendance.recorded":
        changes = [
            {k: v for k, v in c.items() if k != "display_name"}
            if c.get("status") == "waiting"
            else c
            for c in data.get("changes") or []
        ]
        return {**data, "changes": changes}
    private = PRIVATE.get(name)
    if private is None:
        return data
    return {k: v for k, v in data.items() if k not in private}

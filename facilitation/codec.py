"""The wire mapping: JSON command data → commands, validated per SPEC §3. Still pure.

The event side (`event_to_wire`, `event_from_wire`) lives in facilitation.event_codec and
is re-exported here, so `facilitation.codec` is the one place callers import from."""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from facilitation import agenda as ag
from facilitation import agenda_timing as agt
from facilitation import cheers as ch
from facilitation import decisions as de
from facilitation import floor as fl
from facilitation import moderation as mo
from facilitation import participants as pa
from facilitation import polls as po
from facilitation import proposals as pr
from facilitation import questions as qu
from facilitation import queue as qe
from facilitation import reactions as re
from facilitation import roll as ro
from facilitation import session as se
from facilitation import statements as st
from facilitation.base import Actor, Command, Role, refuse
from facilitation.event_codec import event_from_wire, event_to_wire, to_iso
from facilitation.limits import (
    MAX_ID,
    MAX_INT,
    MAX_NAME,
    MAX_OPTION,
    MAX_PROPOSAL,
    MAX_QUESTION,
    MAX_REASON,
    MAX_TEXT,
    MAX_TITLE,
    MAX_URL,
)
from facilitation.tally import Choice
from facilitation.text import bad_character

Parser = Callable[[str, object], object]


def text(limit: int) -> Parser:
    def parse(name: str, value: object) -> str:
        if not isinstance(value, str):
            raise refuse("invalid_data", f"{name} must be a string")
        if len(value) > limit:
            raise refuse("text_too_long", f"{name}: at most {limit} characters")
        return checked(name, value)

    return parse


def checked(name: str, value: str) -> str:
    """``value`` if it holds no control character (but tab and newline) or surrogate."""
    bad = bad_character(value)
    if bad is not None:
        raise refuse("invalid_data", f"{name} may not contain the control character {bad}")
    return value


def nullable(parse: Parser) -> Parser:
    """The value, or null (e.g. `reaction.send` with `kind: null` withdraws)."""

    def parse_or_null(name: str, value: object) -> object:
        return None if value is None else parse(name, value)

    return parse_or_null


def ident(name: str, value: object) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
        raise refuse("invalid_data", f"{name} must be an id")
    return checked(name, value)


def integer(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise refuse("invalid_data", f"{name} must be an integer")
    if not -MAX_INT <= value <= MAX_INT:
        raise refuse("invalid_data", f"{name} must be between {-MAX_INT} and {MAX_INT}")
    return value


def number(name: str, value: object) -> float:
    """A JSON number; an integral one is kept as an int (1, not 1.0, in the record)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refuse("invalid_data", f"{name} must be a number")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def timestamp(name: str, value: object) -> datetime:
    """An ISO 8601 time with its offset (``…Z``), as UTC."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    raise refuse("invalid_data", f"{name} must be an ISO 8601 time with its offset")


def boolean(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise refuse("invalid_data", f"{name} must be true or false")
    return value


def optional_integer(name: str, value: object) -> int:
    """`max_turns_per_item: null` lifts the cap, stored as 0."""
    return 0 if value is None else integer(name, value)


def strings(limit: int, parse_one: Parser | None = None) -> Parser:
    def parse(name: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise refuse("invalid_data", f"{name} must be a list")
        one = parse_one or text(limit)
        return tuple(typing.cast("str", one(name, v)) for v in value)

    return parse


def _name(name: str, value: object) -> str:
    return typing.cast("str", text(MAX_NAME)(name, value))


def members(name: str, value: object) -> tuple[tuple[str, str], ...]:
    """Roll members: ``[{"participant": id, "name": str}, ...]``."""
    if not isinstance(value, list):
        raise refuse("invalid_data", f"{name} must be a list")
    out: list[tuple[str, str]] = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"participant", "name"}:
            raise refuse("invalid_data", f"{name}: each is {{participant, name}}")
        out.append((ident(name, entry["participant"]), _name(name, entry["name"])))
    return tuple(out)


def documents(name: str, value: object) -> tuple[ag.Document, ...]:
    """An agenda item's documents: ``[{"title": str, "url": "https://..."}, ...]``.
    Only http(s) addresses pass (no ``javascript:``, ``data:`` or relative paths)."""
    if not isinstance(value, list):
        raise refuse("invalid_data", f"{name} must be a list")
    out: list[ag.Document] = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"title", "url"}:
            raise refuse("invalid_data", f"{name}: each is {{title, url}}")
        title = typing.cast("str", text(MAX_TITLE)(f"{name} title", entry["title"]))
        url = typing.cast("str", text(MAX_URL)(f"{name} url", entry["url"]))
        if not ag.is_web_url(url.strip()):
            raise refuse("invalid_data", f"{name} url must be an http or https address")
        out.append(ag.Document(title=title, url=url))
    return tuple(out)


def choice(name: str, value: object) -> Choice:
    if isinstance(value, dict):
        # Score ballots {"0": 5, "1": 3} and dot ballots {"2": 3}: gaps become -1, which
        # a score poll refuses and a dot poll reads as no dots (so no value may be < 0).
        scores: dict[int, int] = {}
        for k, v in value.items():
            # isascii: "²" and "٣" are digits to str.isdigit() but not to int().
            if not (isinstance(k, str) and k.isascii() and k.isdigit() and len(k) <= 3):
                raise refuse("invalid_data", f"{name} keys must be option indexes")
            scores[int(k)] = integer(name, v)
            if scores[int(k)] < 0:
                raise refuse("invalid_data", f"{name} values must not be negative")
        return tuple(scores.get(i, -1) for i in range(max(scores, default=-1) + 1))
    if isinstance(value, list):
        return tuple(integer(name, v) for v in value)
    return integer(name, value)


def attendance_entries(name: str, value: object) -> tuple[pa.AttendanceEntry, ...]:
    """``[{"participant", "role", "kind": "join", "name"} | {…, "kind": "leave",
    "left_at"?}, …]``: the arrivals and departures of one tick, in order."""
    if not isinstance(value, list):
        raise refuse("invalid_data", f"{name} must be a list")
    entries = []
    for item in value:
        if not isinstance(item, Mapping):
            raise refuse("invalid_data", f"{name} must hold objects")
        try:
            role = Role(str(item.get("role")))
        except ValueError:
            raise refuse("invalid_data", f"{name}: role must be a role") from None
        actor = Actor(ident("participant", item.get("participant")), role)
        kind = item.get("kind")
        if kind == "join":
            display_name = typing.cast("str", text(MAX_NAME)("name", item.get("name")))
            entries.append(pa.AttendanceEntry(actor=actor, kind="join", display_name=display_name))
        elif kind == "leave":
            left = item.get("left_at")
            left_at = None if left is None else timestamp("left_at", left)
            entries.append(pa.AttendanceEntry(actor=actor, kind="leave", left_at=left_at))
        else:
            raise refuse("invalid_data", f"{name}: kind must be join or leave")
    return tuple(entries)


# type → (command class, {wire field: (attribute, parser, required)}, created id field)
Spec = tuple[type[Command], dict[str, tuple[str, Parser, bool]], str | None]
_TITLE = text(MAX_TITLE)
_TEXT = text(MAX_TEXT)


def _f(attr: str, parser: Parser, required: bool = True) -> tuple[str, Parser, bool]:
    return (attr, parser, required)


_SETTINGS = {
    f.name: _f(f.name, boolean if f.type == "bool" else integer, False) for f in fields(mo.Settings)
}
_SETTINGS["queue_policy"] = _f("queue_policy", text(10), False)
_SETTINGS["max_turns_per_item"] = _f("max_turns_per_item", optional_integer, False)

SPECS: dict[str, Spec] = {
    "hand.raise": (qe.RaiseHand, {"kind": _f("kind", text(20), False)}, None),
    "hand.lower": (qe.LowerHand, {"participant": _f("participant", ident, False)}, None),
    "floor.grant": (fl.GrantFloor, {"participant": _f("participant", ident, False)}, None),
    "floor.yield": (fl.YieldFloor, {}, None),
    "floor.end": (fl.EndFloor, {}, None),
    "floor.extend": (fl.ExtendFloor, {"seconds": _f("seconds", integer)}, None),
    "queue.close": (qe.CloseQueue, {}, None),
    "queue.open": (qe.OpenQueue, {}, None),
    "queue.clear": (qe.ClearQueue, {}, None),
    "queue.move": (
        qe.MoveHand,
        {"participant": _f("participant", ident), "position": _f("position", integer)},
        None,
    ),
    "agenda.add": (
        ag.AddAgendaItem,
        {
            "title": _f("title", _TITLE),
            "duration_s": _f("duration_s", integer),
            "description": _f("description", _TEXT, False),
            "presenters": _f("presenters", strings(MAX_NAME), False),
            "documents": _f("documents", documents, False),
        },
        "item",
    ),
    "agenda.update": (
        ag.UpdateAgendaItem,
        {
            "item": _f("item", ident),
            "title": _f("title", _TITLE, False),
            "duration_s": _f("duration_s", integer, False),
            "description": _f("description", _TEXT, False),
            "presenters": _f("presenters", strings(MAX_NAME), False),
            "documents": _f("documents", documents, False),
        },
        None,
    ),
    "agenda.remove": (ag.RemoveAgendaItem, {"item": _f("item", ident)}, None),
    "agenda.start": (agt.StartAgendaItem, {"item": _f("item", ident)}, None),
    "agenda.complete": (agt.CompleteAgendaItem, {"item": _f("item", ident, False)}, None),
    "agenda.reorder": (ag.ReorderAgenda, {"items": _f("items", strings(MAX_ID, ident))}, None),
    "agenda.pause": (agt.PauseAgendaItem, {}, None),
    "agenda.resume": (agt.ResumeAgendaItem, {}, None),
    "agenda.extend": (agt.ExtendAgendaItem, {"seconds": _f("seconds", integer)}, None),
    "poll.create": (
        po.CreatePoll,
        {
            "question": _f("question", text(MAX_QUESTION)),
            "kind": _f("kind", text(20)),
            "options": _f("options", strings(MAX_OPTION), False),
            "max_choices": _f("max_choices", integer, False),
            "secret": _f("secret", boolean, False),
            "results": _f("results", text(10), False),
            "duration_s": _f("duration_s", integer, False),
            "quorum": _f("quorum", integer, False),
            "eligible": _f("eligible", text(10), False),
            "quorum_share": _f("quorum_share", number, False),
            "final": _f("final", boolean, False),
            "votes_per_person": _f("votes_per_person", integer, False),
            "max_per_option": _f("max_per_option", integer, False),
            "from_proposals": _f("from_proposals", strings(MAX_ID, ident), False),
            "repeat_of": _f("repeat_of", ident, False),
        },
        "poll",
    ),
    "poll.open": (po.OpenPoll, {"poll": _f("poll", ident)}, None),
    "poll.vote": (po.CastVote, {"poll": _f("poll", ident), "choice": _f("choice", choice)}, None),
    "poll.close": (po.ClosePoll, {"poll": _f("poll", ident)}, None),
    "poll.publish": (po.PublishPoll, {"poll": _f("poll", ident)}, None),
    "statement.post": (st.PostStatement, {"text": _f("text", _TEXT)}, "statement"),
    "statement.hide": (
        st.HideStatement,
        {"statement": _f("statement", ident), "reason": _f("reason", text(MAX_REASON))},
        None,
    ),
    "transcript.append": (fl.AppendTranscript, {"text": _f("text", _TEXT)}, None),
    "question.ask": (
        qu.AskQuestion,
        {"text": _f("text", _TEXT), "anonymous": _f("anonymous", boolean, False)},
        "question",
    ),
    "question.approve": (qu.ApproveQuestion, {"question": _f("question", ident)}, None),
    "question.hide": (
        qu.HideQuestion,
        {"question": _f("question", ident), "reason": _f("reason", text(MAX_REASON))},
        None,
    ),
    "question.upvote": (qu.UpvoteQuestion, {"question": _f("question", ident)}, None),
    "question.answer": (qu.AnswerQuestion, {"question": _f("question", ident)}, None),
    "question.dismiss": (qu.DismissQuestion, {"question": _f("question", ident)}, None),
    "question.to_queue": (qu.QueueQuestion, {"question": _f("question", ident)}, None),
    "proposal.submit": (pr.SubmitProposal, {"text": _f("text", text(MAX_PROPOSAL))}, "proposal"),
    "proposal.support": (pr.SupportProposal, {"proposal": _f("proposal", ident)}, None),
    "proposal.unsupport": (pr.UnsupportProposal, {"proposal": _f("proposal", ident)}, None),
    "proposal.merge": (
        pr.MergeProposal,
        {"proposal": _f("proposal", ident), "into": _f("into", ident)},
        None,
    ),
    "proposal.hide": (
        pr.HideProposal,
        {"proposal": _f("proposal", ident), "reason": _f("reason", text(MAX_REASON))},
        None,
    ),
    "cheer.send": (ch.SendCheer, {"presenter": _f("presenter", text(MAX_NAME))}, None),
    "cheer.reveal": (ch.RevealCheers, {"item": _f("item", ident)}, None),
    "reaction.send": (re.SendReaction, {"kind": _f("kind", nullable(text(20)))}, None),
    "decision.record": (
        de.RecordDecision,
        {
            "item": _f("item", ident),
            "text": _f("text", _TEXT),
            "poll": _f("poll", ident, False),
            "dissent": _f("dissent", _TEXT, False),
        },
        "decision",
    ),
    "participant.mute": (mo.MuteParticipant, {"participant": _f("participant", ident)}, None),
    "participant.unmute": (mo.UnmuteParticipant, {"participant": _f("participant", ident)}, None),
    "participant.admit": (mo.AdmitParticipant, {"participant": _f("participant", ident)}, None),
    "participant.remove": (
        mo.RemoveParticipant,
        {
            "participant": _f("participant", ident),
            "ban": _f("ban", boolean, False),
            "reason": _f("reason", text(MAX_REASON), False),
        },
        None,
    ),
    "room.lock": (mo.LockRoom, {}, None),
    "room.unlock": (mo.UnlockRoom, {}, None),
    "room.settings": (mo.ChangeSettings, _SETTINGS, None),
    "session.start": (se.StartSession, {}, None),
    "session.end": (se.EndSession, {}, None),
    "ping": (se.Ping, {}, None),
}

# Issued by the server itself (never accepted from a client connection).
SERVER_SPECS: dict[str, Spec] = {
    # The organiser API's roll, access mode and proxies.
    "room.access": (ro.SetAccess, {"access": _f("access", text(10))}, None),
    "roll.add": (ro.AddMembers, {"members": _f("members", members)}, None),
    "proxy.record": (
        ro.RecordProxy,
        {"from": _f("giver", ident), "to": _f("holder", ident)},
        None,
    ),
    "proxy.revoke": (ro.RevokeProxy, {"from": _f("giver", ident)}, None),
    "participant.join": (pa.JoinRoom, {"name": _f("display_name", text(MAX_NAME))}, None),
    "participant.leave": (pa.LeaveRoom, {"left_at": _f("left_at", timestamp, False)}, None),
    "presence.update": (pa.UpdatePresence, {"observers": _f("observers", integer)}, None),
    "attendance.record": (
        pa.RecordAttendance,
        {"entries": _f("entries", attendance_entries)},
        None,
    ),
    "room.configure": (
        se.ConfigureRoom,
        {
            "title": _f("title", _TITLE),
            "description": _f("description", _TEXT, False),
            "language": _f("language", text(35), False),
        },
        None,
    ),
}


def command_from_wire(
    type: str,
    data: Mapping[str, object],
    *,
    actor: Actor,
    at: datetime,
    new_id: str,
    ballot_secret: bytes | None,
    server: bool = False,
) -> Command:
    """The command for a client message; `server=True` also admits SERVER_SPECS."""
    spec = SPECS.get(type) or (SERVER_SPECS.get(type) if server else None)
    if spec is None:
        raise refuse("unknown_command", type)
    cls, wire_fields, created = spec
    if not isinstance(data, Mapping):
        raise refuse("invalid_data", "data must be an object")
    for name in data:
        if name not in wire_fields:
            raise refuse("invalid_data", f"unexpected field {name}")
    kwargs: dict[str, Any] = {}
    for name, (attr, parse, required) in wire_fields.items():
        if name in data:
            kwargs[attr] = parse(name, data[name])
        elif required:
            raise refuse("invalid_data", f"missing field {name}")
    if created is not None:
        kwargs[created] = new_id
    if cls is po.CastVote:
        if ballot_secret is None:
            raise refuse("invalid_data", "no ballot secret for this room")
        kwargs["ballot"] = po.ballot_key(ballot_secret, kwargs["poll"], actor.participant)
    return cls(actor=actor, at=at, **kwargs)


_CREATED = {spec[0]: spec[2] for spec in SPECS.values() if spec[2] is not None}


def result_of(command: Command) -> dict[str, str]:
    """The ack `result`: the ids this command created ({} when it created nothing)."""
    created = _CREATED.get(type(command))
    return {} if created is None else {created: getattr(command, created)}


__all__ = [
    "SERVER_SPECS",
    "SPECS",
    "command_from_wire",
    "event_from_wire",
    "event_to_wire",
    "result_of",
    "to_iso",
]

from __future__ import annotations

import json
import typing
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation import (
    agenda,
    agenda_timing,
    floor,
    moderation,
    participants,
    polls,
    questions,
    queue,
    reactions,
    roll,
    statements,
)
from facilitation.base import ORGANISER, Actor, DomainError, Event, Role
from facilitation.codec import (
    SERVER_SPECS,
    SPECS,
    command_from_wire,
    event_from_wire,
    event_to_wire,
    result_of,
)
from facilitation.room import EVENTS, TimerExpired, evolve, fold, initial_state
from tests.facilitation.dsl import FAC, LIVE, P1, t

SECRET = b"k"


def wire(type: str, data: dict[str, Any], actor: Actor = FAC, server: bool = False) -> object:
    return command_from_wire(
        type, data, actor=actor, at=t(1), new_id="n1", ballot_secret=SECRET, server=server
    )


def refused(type: str, data: Any, server: bool = False) -> str:
    with pytest.raises(DomainError) as caught:
        wire(type, data, server=server)
    return caught.value.code


def test_codec_parses_every_command_of_the_spec() -> None:
    examples: dict[str, dict[str, Any]] = {
        "hand.raise": {"kind": "reply"},
        "hand.lower": {"participant": "p1"},
        "floor.grant": {},
        "floor.extend": {"seconds": 30},
        "queue.move": {"participant": "p1", "position": 0},
        "agenda.add": {"title": "B", "duration_s": 60, "description": "d"},
        "agenda.update": {"item": "i1", "title": "C"},
        "agenda.remove": {"item": "i1"},
        "agenda.start": {"item": "i1"},
        "agenda.complete": {},
        "agenda.reorder": {"items": ["i2", "i1"]},
        "agenda.extend": {"seconds": 60},
        "poll.create": {
            "question": "Q",
            "kind": "multiple",
            "options": ["A", "B"],
            "max_choices": 2,
            "secret": False,
            "results": "on_close",
            "duration_s": 60,
            "quorum": 3,
            "eligible": "roll",
            "final": True,
        },
        "poll.open": {"poll": "q"},
        "poll.vote": {"poll": "q", "choice": [1, 0]},
        "statement.post": {"text": "안녕"},
        "statement.hide": {"statement": "s", "reason": "r"},
        "transcript.append": {"text": "x"},
        "question.ask": {"text": "?"},
        "question.to_queue": {"question": "q"},
        "reaction.send": {"kind": "agree"},
        "decision.record": {"item": "i", "text": "t", "poll": "q", "dissent": "d"},
        "participant.remove": {"participant": "p", "ban": True, "reason": "r"},
        "room.settings": {
            "queue_policy": "fair",
            "turn_s": 60,
            "auto_advance": True,
            "max_turns_per_item": None,
            "lobby": True,
        },
    }
    for type, (cls, spec, _) in SPECS.items():
        data = examples.get(type) or {k: "x" for k, (_, _, req) in spec.items() if req}
        command = wire(type, data)
        assert isinstance(command, cls)
        assert command.name == type


def test_codec_builds_fields() -> None:
    add = wire("agenda.add", {"title": "B", "duration_s": 60})
    assert add == agenda.AddAgendaItem(actor=FAC, at=t(1), item="n1", title="B", duration_s=60)
    assert result_of(add) == {"item": "n1"}
    assert result_of(wire("floor.end", {})) == {}  # type: ignore[arg-type]
    settings_ = wire("room.settings", {"max_turns_per_item": None})
    assert settings_ == moderation.ChangeSettings(actor=FAC, at=t(1), max_turns_per_item=0)
    dot = wire(
        "poll.create",
        {"question": "Q", "kind": "dot", "from_proposals": ["x1", "x2"], "votes_per_person": 3},
    )
    assert dot == polls.CreatePoll(
        actor=FAC,
        at=t(1),
        poll="n1",
        question="Q",
        kind="dot",
        from_proposals=("x1", "x2"),
        votes_per_person=3,
    )
    withdraw = wire("reaction.send", {"kind": None}, actor=P1)
    assert withdraw == reactions.SendReaction(actor=P1, at=t(1), kind=None)
    anonymous = wire("question.ask", {"text": "?", "anonymous": True}, actor=P1)
    assert anonymous == questions.AskQuestion(
        actor=P1, at=t(1), question="n1", text="?", anonymous=True
    )
    proposal = wire("proposal.submit", {"text": "Free buses"}, actor=P1)
    assert result_of(proposal) == {"proposal": "n1"}  # type: ignore[arg-type]


def test_codec_vote_carries_ballot_key_not_participant() -> None:
    vote = wire("poll.vote", {"poll": "q", "choice": {"0": 5, "1": 2}}, actor=P1)
    assert vote == polls.CastVote(
        actor=P1, at=t(1), poll="q", ballot=polls.ballot_key(SECRET, "q", "p1"), choice=(5, 2)
    )
    gap = wire("poll.vote", {"poll": "q", "choice": {"1": 2}}, actor=P1)
    assert isinstance(gap, polls.CastVote)
    assert gap.choice == (-1, 2)
    assert refused("poll.vote", {"poll": "q", "choice": {"0": -1}}) == "invalid_data"
    with pytest.raises(DomainError, match="ballot secret"):
        command_from_wire(
            "poll.vote",
            {"poll": "q", "choice": 0},
            actor=P1,
            at=t(1),
            new_id="n",
            ballot_secret=None,
        )


def test_codec_refuses_bad_data() -> None:
    assert refused("dance", {}) == "unknown_command"
    assert refused("timer.expire", {}) == "unknown_command"
    assert refused("participant.join", {"name": "x"}) == "unknown_command"
    assert refused("floor.end", []) == "invalid_data"
    assert refused("floor.end", {"extra": 1}) == "invalid_data"
    assert refused("floor.extend", {}) == "invalid_data"
    assert refused("floor.extend", {"seconds": "9"}) == "invalid_data"
    assert refused("floor.extend", {"seconds": True}) == "invalid_data"
    assert refused("statement.post", {"text": 5}) == "invalid_data"
    assert refused("statement.post", {"text": "x" * 2001}) == "text_too_long"
    assert refused("agenda.add", {"title": "x" * 201, "duration_s": 5}) == "text_too_long"
    assert refused("agenda.start", {"item": ""}) == "invalid_data"
    assert refused("agenda.reorder", {"items": "i1"}) == "invalid_data"
    assert refused("agenda.reorder", {"items": [1]}) == "invalid_data"
    assert refused("participant.remove", {"participant": "p", "ban": "yes"}) == "invalid_data"
    assert refused("poll.vote", {"poll": "q", "choice": {"a": 1}}) == "invalid_data"
    assert refused("poll.vote", {"poll": "q", "choice": [0, "1"]}) == "invalid_data"
    assert refused("poll.vote", {"poll": "q", "choice": None}) == "invalid_data"
    message = refused_message("floor.extend", {"seconds": "9"})
    assert "seconds" in message


def refused_message(type: str, data: Any) -> str:
    with pytest.raises(DomainError) as caught:
        wire(type, data)
    return caught.value.message


def test_codec_roll_members_and_numbers() -> None:
    add = wire(
        "roll.add", {"members": [{"participant": "m1", "name": "김"}]}, ORGANISER, server=True
    )
    assert add == roll.AddMembers(actor=ORGANISER, at=t(1), members=(("m1", "김"),))
    for bad in ("x", ["x"], [{"participant": "m1"}], [{"participant": "", "name": "a"}]):
        assert refused("roll.add", {"members": bad}, server=True) == "invalid_data"
    too_long = {"members": [{"participant": "m", "name": "x" * 81}]}
    assert refused("roll.add", too_long, server=True) == "text_too_long"
    assert refused("roll.add", {"members": []}) == "unknown_command"  # never from a client
    share = {"question": "Q", "kind": "single", "options": ["A", "B"]}
    one = wire("poll.create", {**share, "quorum_share": 1.0})
    assert isinstance(one, polls.CreatePoll)
    assert type(one.quorum_share) is int
    half = wire("poll.create", {**share, "quorum_share": 0.5})
    assert isinstance(half, polls.CreatePoll)
    assert half.quorum_share == 0.5
    for bad_share in ("0.5", True, None):
        assert refused("poll.create", {**share, "quorum_share": bad_share}) == "invalid_data"
    proxy = wire("proxy.record", {"from": "m2", "to": "m1"}, ORGANISER, server=True)
    assert proxy == roll.RecordProxy(actor=ORGANISER, at=t(1), giver="m2", holder="m1")


def test_codec_server_commands() -> None:
    join = wire("participant.join", {"name": "Kim"}, actor=P1, server=True)
    assert join == participants.JoinRoom(actor=P1, at=t(1), display_name="Kim")
    assert isinstance(wire("participant.leave", {}, actor=P1, server=True), participants.LeaveRoom)
    late = wire(
        "participant.leave", {"left_at": "2026-11-25T10:00:05+09:00"}, actor=P1, server=True
    )
    assert late == participants.LeaveRoom(
        actor=P1, at=t(1), left_at=datetime(2026, 11, 25, 1, 0, 5, tzinfo=UTC)
    )
    for bad in ("yesterday", "2026-11-25T01:00:05", 5):
        assert refused("participant.leave", {"left_at": bad}, server=True) == "invalid_data"
    assert isinstance(
        wire("presence.update", {"observers": 3}, server=True), participants.UpdatePresence
    )
    assert isinstance(
        wire("room.configure", {"title": "T", "language": "ko"}, server=True),
        __import__("facilitation.session").session.ConfigureRoom,
    )
    assert set(SERVER_SPECS).isdisjoint(SPECS)


# --- events: a lossless JSON round trip for every event type -------------------------

ids = st.sampled_from(["i1", "i2", "p1", "p2", "f1", "q1", "s1", "zz", "1", "2"])
# The engine's clock counts milliseconds, and the wire carries times to the millisecond.
times = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda at: at.replace(microsecond=at.microsecond // 1000 * 1000))


def strategy(hint: object) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        return st.one_of(*[strategy(a) for a in args])
    if origin is tuple:
        return st.lists(strategy(args[0]), max_size=4).map(tuple)
    simple: dict[object, st.SearchStrategy[Any]] = {
        str: ids | st.text(max_size=20),
        int: st.integers(-3, 2000),
        bool: st.booleans(),
        float: st.floats(allow_nan=False, allow_infinity=False, width=64),
        datetime: times,
        type(None): st.none(),
    }
    if isinstance(hint, type) and is_dataclass(hint):  # a record inside an event
        return event_strategy(hint)
    return simple[hint]


def event_strategy(cls: type[Any]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    kwargs = {f.name: strategy(hints[f.name]) for f in fields(cls)}
    return st.builds(cls, **kwargs)


any_event = st.one_of(*[event_strategy(cls) for cls in EVENTS])


@settings(max_examples=400, deadline=None)
@given(any_event)
def test_event_wire_round_trip(event: Event) -> None:
    name, data = event_to_wire(event)
    text = json.dumps(data)
    again = event_from_wire(name, json.loads(text), event.at)
    assert again == event
    assert type(again) is type(event)


BUSY = fold(
    (
        *LIVE,
        agenda.AgendaItemAdded(at=t(1), item="i1", title="T", duration_s=60, description=""),
        agenda_timing.AgendaItemStarted(at=t(2), item="i1", deadline=t(62)),
        queue.HandRaised(at=t(3), participant="p1", kind="speak", item="i1"),
        floor.FloorGranted(
            at=t(4), turn=1, participant="p2", item="i1", kind="speak", deadline=t(64), by="f1"
        ),
        statements.StatementPosted(
            at=t(5), statement="s1", participant="p1", text="x", turn=None, item="i1"
        ),
    ),
    initial_state("r"),
)


@settings(max_examples=400, deadline=None)
@given(any_event)
def test_evolve_is_total(event: Event) -> None:
    """Any well-typed event, even one naming unknown ids, folds without failing."""
    evolve(BUSY, event)


def test_event_from_wire_refuses_bad_data() -> None:
    with pytest.raises(DomainError):
        event_from_wire("nope", {}, t(0))
    with pytest.raises(DomainError):
        event_from_wire("floor.ended", {"turn": 1}, t(0))
    bad: list[dict[str, object]] = [{"turn": "1", "reason": "x"}, {"turn": True, "reason": "x"}]
    for data in bad:
        with pytest.raises(DomainError):
            event_from_wire("floor.ended", data, t(0))
    for deadline in (5, "2026-01-01T00:00:00", "soon"):
        with pytest.raises(DomainError):
            event_from_wire("floor.extended", {"turn": 1, "seconds": 5, "deadline": deadline}, t(0))
    with pytest.raises(DomainError):
        event_from_wire("agenda.reordered", {"items": "i1"}, t(0))
    with pytest.raises(DomainError):
        event_from_wire("poll.opened", {"poll": "q", "eligible": [], "closes": 5}, t(0))
    paused = event_from_wire("agenda.paused", {"item": "i", "remaining_s": 5}, t(0))
    assert paused == agenda_timing.AgendaItemPaused(at=t(0), item="i", remaining_s=5.0)
    local = timezone(timedelta(hours=9))
    ext = event_from_wire(
        "floor.extended", {"turn": 1, "seconds": 5, "deadline": "2026-11-25T09:00:00+09:00"}, t(0)
    )
    assert ext == floor.FloorExtended(
        at=t(0), turn=1, seconds=5, deadline=datetime(2026, 11, 25, 9, tzinfo=local)
    )


def test_timer_is_not_a_wire_command() -> None:
    assert "timer.expire" not in SPECS
    assert TimerExpired(at=t(0), kind="turn", ref="1").actor.role == Role.FACILITATOR


def test_event_wire_examples() -> None:
    examples: list[Event] = [
        floor.FloorGranted(
            at=t(4), turn=1, participant="p2", item=None, kind="speak", deadline=t(64), by="f1"
        ),
        agenda.AgendaReordered(at=t(1), items=("i2", "i1")),
        polls.VoteCounted(at=t(1), poll="q", ballot="k", participant=None, choice=(2, 0)),
        polls.VoteCounted(at=t(1), poll="q", ballot="p1", participant="p1", choice=1),
    ]
    for event in examples:
        name, data = event_to_wire(event)
        assert event_from_wire(name, json.loads(json.dumps(data)), event.at) == event
    assert event_to_wire(examples[0])[1]["deadline"] == "2026-11-25T15:01:04.000Z"


def test_event_from_wire_fills_fields_added_later() -> None:
    old = event_from_wire("transcript.appended", {"turn": 1, "text": "hi"}, t(0))
    assert old == floor.TranscriptAppended(at=t(0), turn=1, text="hi", by="")


# -- text and integer rules (issue 12: one NUL byte stopped the archive forever) ---------

CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x1f", "\x7f", "\ud800"]


@pytest.mark.parametrize("bad", CONTROL)
def test_codec_refuses_control_characters_in_every_text(bad: str) -> None:
    texts: dict[str, dict[str, Any]] = {
        "statement.post": {"text": f"a{bad}b"},
        "question.ask": {"text": f"a{bad}"},
        "transcript.append": {"text": bad},
        "agenda.add": {"title": f"T{bad}", "duration_s": 60},
        "poll.create": {"question": "Q", "kind": "single", "options": ["A", f"B{bad}"]},
        "statement.hide": {"statement": "s1", "reason": f"r{bad}"},
        "decision.record": {"item": "i1", "text": "D", "dissent": f"x{bad}"},
        "hand.lower": {"participant": f"p{bad}"},
    }
    for type, data in texts.items():
        with pytest.raises(DomainError) as caught:
            wire(type, data)
        assert caught.value.code == "invalid_data", type
        assert "U+" in caught.value.message
    assert refused("participant.join", {"name": f"Ann{bad}"}, server=True) == "invalid_data"


def test_codec_keeps_tab_newline_and_any_script() -> None:
    command = wire("statement.post", {"text": "한국어\tline\nnext ‮ 😀"}, actor=P1)
    assert isinstance(command, statements.PostStatement)
    assert command.text == "한국어\tline\nnext ‮ 😀"


@pytest.mark.parametrize("value", [2**31, -(2**31), 2**40, 2**70, 10**12])
def test_codec_bounds_every_integer(value: int) -> None:
    assert refused("poll.create", {"question": "Q", "kind": "single", "options": ["A", "B"],
                                   "quorum": value}) == "invalid_data"  # fmt: skip
    assert refused("poll.create", {"question": "Q", "kind": "single", "options": ["A", "B"],
                                   "duration_s": value}) == "invalid_data"  # fmt: skip
    assert refused("floor.extend", {"seconds": value}) == "invalid_data"
    assert refused("queue.move", {"participant": "p1", "position": value}) == "invalid_data"
    assert refused("room.settings", {"turn_s": value}) == "invalid_data"
    assert refused("poll.vote", {"poll": "q", "choice": value}) == "invalid_data"
    assert refused("poll.vote", {"poll": "q", "choice": [value]}) == "invalid_data"
    assert refused("poll.vote", {"poll": "q", "choice": {"0": value}}) == "invalid_data"
    assert refused("presence.update", {"observers": value}, server=True) == "invalid_data"


def test_codec_takes_the_largest_integer() -> None:
    command = wire("floor.extend", {"seconds": 2**31 - 1})
    assert isinstance(command, floor.ExtendFloor)
    assert command.seconds == 2**31 - 1


@pytest.mark.parametrize("key", ["²", "٣", "1²", "0000", "-1", " 1", "1 "])
def test_codec_refuses_score_keys_that_are_not_ascii_indexes(key: str) -> None:
    assert refused("poll.vote", {"poll": "q", "choice": {key: 1}}) == "invalid_data"


def test_codec_attendance_record_entries() -> None:
    data = {
        "entries": [
            {"participant": "p1", "role": "participant", "kind": "join", "name": "Kim"},
            {"participant": "p2", "role": "facilitator", "kind": "leave"},
            {
                "participant": "p3",
                "role": "participant",
                "kind": "leave",
                "left_at": "2026-11-25T10:00:05.000Z",
            },
        ]
    }
    command = wire("attendance.record", data, server=True)
    assert command == participants.RecordAttendance(
        actor=FAC,
        at=t(1),
        entries=(
            participants.AttendanceEntry(actor=P1, kind="join", display_name="Kim"),
            participants.AttendanceEntry(actor=Actor("p2", Role.FACILITATOR), kind="leave"),
            participants.AttendanceEntry(
                actor=Actor("p3", Role.PARTICIPANT),
                kind="leave",
                left_at=datetime(2026, 11, 25, 10, 0, 5, tzinfo=UTC),
            ),
        ),
    )
    one = {"participant": "p1", "role": "participant", "kind": "join", "name": "Kim"}
    for bad in (
        "p1",
        ["p1"],
        [{**one, "role": "king"}],
        [{**one, "kind": "dance"}],
        [{**one, "participant": ""}],
        [{**one, "name": 5}],
        [{**one, "kind": "leave", "left_at": "soon"}],
    ):
        assert refused("attendance.record", {"entries": bad}, server=True) == "invalid_data"
    assert refused("attendance.record", {"entries": []}) == "unknown_command"  # server only


def test_codec_attendance_recorded_changes_must_be_objects() -> None:
    for changes in (["p1"], [{"status": "present"}], [{"participant": "p1", "status": 3}]):
        with pytest.raises(DomainError):
            event_from_wire("attendance.recorded", {"changes": changes}, t(1))
    full = {"participant": "p1", "status": "present", "display_name": "A", "role": "participant"}
    brief = event_from_wire(
        "attendance.recorded", {"changes": [{"participant": "p1", "status": "left"}]}, t(1)
    )
    assert event_from_wire("attendance.recorded", {"changes": [full]}, t(1)) != brief


def test_codec_documents_of_an_agenda_item() -> None:
    doc = {"title": "Budget", "url": "https://city.example/budget.pdf"}
    add = wire("agenda.add", {"title": "B", "duration_s": 60, "documents": [doc]})
    assert add == agenda.AddAgendaItem(
        actor=FAC, at=t(1), item="n1", title="B", duration_s=60,
        documents=(agenda.Document(title="Budget", url="https://city.example/budget.pdf"),),
    )  # fmt: skip
    update = wire("agenda.update", {"item": "i1", "documents": []})
    assert update == agenda.UpdateAgendaItem(actor=FAC, at=t(1), item="i1", documents=())
    bad_lists: list[Any] = [
        "x", [doc["url"]], [{"title": "T"}], [{**doc, "extra": 1}], [{"title": 5, "url": "https://a.b"}],
        [{"title": "T", "url": "javascript:alert(1)"}], [{"title": "T", "url": "/uploads/1"}],
    ]  # fmt: skip
    for bad in bad_lists:
        assert refused("agenda.update", {"item": "i1", "documents": bad}) == "invalid_data", bad
    too_long = [{"title": "T", "url": "https://a.example/" + "x" * 2000}]
    assert refused("agenda.update", {"item": "i1", "documents": too_long}) == "text_too_long"

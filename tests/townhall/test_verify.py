"""townhall/verify.py on documents made here: the rules of docs/minutes.md, one by one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from facilitation.record import GENESIS, link
from townhall import verify


def chained(*events: tuple[str, dict[str, Any], str]) -> dict[str, Any]:
    out, prev = [], GENESIS
    for seq, (name, data, at) in enumerate(events, 1):
        prev = link(prev, seq, name, data, at)
        out.append({"seq": seq, "name": name, "data": data, "at": at, "hash": prev})
    return {"algorithm": "sha256", "head": prev, "events": out}


def at(second: int) -> str:
    return f"2026-12-07T10:00:{second:02d}.000Z"


# fmt: off
DOC: dict[str, Any] = {
    "record": chained(
        (
            "participant.joined",
            {"participant": "p1", "display_name": "Ana", "role": "participant"},
            at(1),
        ),
        (
            "attendance.recorded",
            {
                "changes": [
                    {
                        "participant": "p2",
                        "status": "present",
                        "display_name": "Bo",
                        "role": "participant",
                    },
                    {"participant": "p3", "status": "waiting", "role": ""},
                    {"participant": "p1", "status": "left", "display_name": "", "role": ""},
                ]
            },
            at(2),
        ),
        (
            "statement.posted",
            {"statement": "s1", "participant": "p2", "text": "안녕\\n", "turn": None, "item": None},
            at(3),
        ),
        ("agenda.paused", {"item": "i1", "remaining_s": 120.0}, at(4)),
        ("session.ended", {}, at(5)),
    ),
    "attendance": [
        {
            "participant": "p1",
            "joined_at": "2026-12-07T10:00:01Z",
            "left_at": "2026-12-07T10:00:02Z",
        },
        {"participant": "p2", "joined_at": "2026-12-07T10:00:02.000000Z", "left_at": at(5)},
    ],
    "statements": [
        {
            "id": "s1",
            "participant": "p2",
            "item": None,
            "text": "안녕\\n",
            "at": at(3),
            "turn": None,
            "hidden": False,
            "hidden_reason": None,
            "hidden_by": None,
            "hidden_at": None,
        },
    ],
    "polls": [],
    "decisions": [],
}
# fmt: on


def test_a_batch_of_arrivals_and_departures_makes_stays() -> None:
    done = verify.verify(DOC)
    assert (done.events, done.head) == (5, DOC["record"]["head"])


def test_an_integral_float_hashes_as_an_integer() -> None:
    doc = json.loads(json.dumps(DOC))  # 120.0 comes back as a float
    assert doc["record"]["events"][3]["data"]["remaining_s"] == 120.0
    assert verify.canonical({"x": 120.0, "y": 0.5}) == b'{"x":120,"y":0.5}'
    verify.verify(doc)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["attendance"].pop(), "attendance: 1 stays listed"),
        (lambda d: d["attendance"][1].update(left_at=None), "attendance: stay of p2"),
        (lambda d: d["statements"][0].update(text="안녕"), "statements: s1: text"),
        (lambda d: d["statements"][0].update(hidden=True), "statements: s1: hidden"),
        (lambda d: d.update(record={**d["record"], "algorithm": "md5"}), "record: unknown"),
        (lambda d: d["record"]["events"].pop(0), "event seq 1 (attendance.recorded): seq is 2"),
        (lambda d: d.pop("record"), "these minutes hold no record"),
        (lambda d: d["attendance"][0].update(joined_at="yesterday"), "attendance: not a time"),
        (
            lambda d: d["attendance"][0].update(joined_at="2026-12-07 10:00:01Z"),
            "attendance: not a time",  # the same instant, written another way: not as listed
        ),
        (lambda d: d["statements"][0].update(turn="t1"), "statements: s1: turn"),
        (lambda d: d["statements"][0].pop("hidden_by"), "statements: s1: no 'hidden_by'"),
        (lambda d: d["statements"][0].update(hidden_by="p1"), "statements: s1: hiding"),
        (lambda d: d["statements"].__setitem__(0, "s1"), "statements: malformed"),
        (lambda d: d["record"]["events"][2].pop("at"), "event seq 3: no 'at'"),
    ],
)
def test_each_rule_names_what_does_not_match(change: Any, problem: str) -> None:
    doc = copy.deepcopy(DOC)
    change(doc)
    with pytest.raises(verify.Mismatch, match=problem.replace("(", r"\(").replace(")", r"\)")):
        verify.verify(doc)


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "minutes.json"
    good.write_text(json.dumps(DOC, ensure_ascii=False), encoding="utf-8")
    assert verify.main([str(good)]) == 0
    assert capsys.readouterr().out == f"verified 5 events, head {DOC['record']['head']}\n"
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert verify.main([str(broken)]) == 1
    assert capsys.readouterr().out.startswith("mismatch: cannot read")
    assert verify.main([]) == 2

"""JSON and CSV minutes, read back from the archive: complete, schema-valid, parseable."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from tests.townhall.minutes_fixtures import FORMULA, HOSTILE, archived_minutes
from townhall.minutes import Minutes, render_csv, render_json
from townhall.minutes.export import CSV_COLUMNS, FORMAT, adapter
from townhall.minutes.schema import minutes_schema, schema_text

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
async def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Minutes, Minutes]:
    return await archived_minutes(tmp_path_factory.mktemp("minutes"))


def test_documented_schema_is_the_generated_one() -> None:
    # Regenerate with: python -m townhall.minutes.schema > docs/minutes.schema.json
    assert (DOCS / "minutes.schema.json").read_text(encoding="utf-8") == schema_text()


def test_json_is_valid_against_the_schema(both: tuple[Minutes, Minutes]) -> None:
    schema = minutes_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for minutes in both:
        jsonschema.validate(json.loads(render_json(minutes)), schema)


def test_json_is_complete_it_reads_back_into_the_same_minutes(
    both: tuple[Minutes, Minutes],
) -> None:
    for minutes in both:
        document = json.loads(render_json(minutes))
        assert document.pop("format") == FORMAT
        assert adapter().validate_python(document) == minutes


def test_json_content(both: tuple[Minutes, Minutes]) -> None:
    document = json.loads(render_json(both[0]))
    assert document["session"]["started_at"] == "2026-11-25T18:00:00Z"
    assert document["session"]["peak_observers"] == 42
    v1, v2, _ = document["polls"]
    assert [b["participant"] for b in v1["ballots"]] == [None, None, None]
    assert sorted(b["choice"] for b in v1["ballots"]) == [0, 0, 1]
    assert v1["voters"] == ["p1", "p2", "p4"]
    assert (v1["eligible"], v1["turnout"], v1["quorum"], v1["quorum_met"]) == (4, 3, 3, True)
    assert [[c["votes"] for c in r["counts"]] for r in v2["irv_rounds"]] == [[2, 1, 2], [2, 3]]
    hidden = next(s for s in document["statements"] if s["id"] == "s2")
    assert hidden["hidden"] is True
    assert hidden["hidden_reason"] == "personal attack"
    assert document["decisions"][0]["dissent"].startswith("One resident preferred")
    assert document["decisions"][0]["poll_result"]["tally"] == [2, 1, 0]
    assert "김민수" in render_json(both[0])  # UTF-8 text, not \\u escapes


def test_json_is_stable(both: tuple[Minutes, Minutes]) -> None:
    assert render_json(both[1]) == render_json(both[1])


def _rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")  # so spreadsheets read the Korean correctly
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_csv_transcript_in_time_order(both: tuple[Minutes, Minutes]) -> None:
    minutes = both[0]
    rows = _rows(render_csv(minutes))
    assert list(rows[0]) == list(CSV_COLUMNS)
    expected = len(minutes.turns) + len(minutes.transcript) + len(minutes.statements)
    assert len(rows) == expected
    assert [r["time"] for r in rows] == sorted(r["time"] for r in rows)
    first = rows[:3]
    assert [(r["kind"], r["speaker"], r["item"]) for r in first] == [
        ("turn", "Bob", "Opening and context"),
        ("transcript", "Bob", "Opening and context"),
        ("statement", "Bob", "Opening and context"),
    ]
    # A whole second keeps its milliseconds: every stamp has the same width and sorts as text.
    assert first[0]["time"] == "2026-11-25T18:03:00.000Z"
    assert len({len(r["time"]) for r in rows}) == 1
    assert first[0]["text"] == "speak; 1:30"
    overrun = next(r for r in rows if r["kind"] == "turn" and r["speaker"] == "김민수")
    assert overrun["text"] == "point_of_order; 2:30; overrun"
    hidden = next(r for r in rows if r["hidden"] == "true")
    assert (hidden["speaker"], hidden["text"]) == ("Carol", "Everyone here is an idiot.")
    korean = next(r for r in rows if r["text"].startswith("나무"))
    assert (korean["speaker"], korean["kind"]) == ("김민수", "statement")


def test_csv_neutralises_formulas(both: tuple[Minutes, Minutes]) -> None:
    rows = _rows(render_csv(both[0]))
    hostile = next(r for r in rows if "<script>" in r["text"])
    assert hostile["text"] == HOSTILE  # starts with "<": kept verbatim
    formula = next(r for r in rows if "HYPERLINK" in r["text"])
    assert formula["text"] == "'" + FORMULA  # a spreadsheet shows it as text, never runs it
    assert all(not r["text"].startswith(("=", "+", "@")) for r in rows)

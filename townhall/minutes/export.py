"""The machine-readable minutes: complete JSON and the CSV transcript."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from functools import cache

from pydantic import TypeAdapter

from facilitation.text import clean_text
from townhall.minutes.blocks import duration
from townhall.minutes.model import Minutes

__all__ = ["CSV_COLUMNS", "FORMAT", "adapter", "render_csv", "render_json"]

FORMAT = "townhall-minutes/1"
CSV_COLUMNS = ("time", "item", "speaker", "kind", "text", "hidden")


@cache
def adapter() -> TypeAdapter[Minutes]:
    return TypeAdapter(Minutes)


def render_json(minutes: Minutes) -> str:
    """Every archived fact of the session, keys in a fixed order, times ISO 8601 UTC.

    Hidden statements keep their text (with ``hidden`` and the reason): this is the
    complete record; the human formats show only that a statement was hidden.
    """
    body = adapter().dump_python(minutes, mode="json")
    return json.dumps({"format": FORMAT, **body}, ensure_ascii=False, indent=2) + "\n"


def _spreadsheet_safe(text: str) -> str:
    text = clean_text(text)  # control characters stored before the input rule (NUL...)
    # A cell starting like a formula would run as one in a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(minutes: Minutes) -> str:
    """The transcript: turns, transcript text and statements in time order (UTF-8 with BOM,
    so spreadsheet programs read Korean correctly)."""
    m = minutes
    rows: list[tuple[datetime, int, int, list[str]]] = []
    for n, t in enumerate(m.turns):
        text = f"{t.kind}; {duration(t.duration_s)}" + ("; overrun" if t.overrun else "")
        cells = [m.item_title(t.item), m.name_of(t.participant), "turn", text, "false"]
        rows.append((t.started_at, 0, n, cells))
    for n, s in enumerate(m.transcript):
        cells = [m.item_title(s.item), m.name_of(s.speaker), "transcript", s.text, "false"]
        rows.append((s.at, 1, n, cells))
    for n, st in enumerate(m.statements):
        hidden = "true" if st.hidden else "false"
        cells = [m.item_title(st.item), m.name_of(st.participant), "statement", st.text, hidden]
        rows.append((st.at, 2, n, cells))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for at, _, _, cells in rows:
        stamp = at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        writer.writerow([stamp, *(_spreadsheet_safe(c) for c in cells)])
    return "\ufeff" + out.getvalue()

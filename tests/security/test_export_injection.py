"""Attack class: injection into every export. A participant's words reach Markdown, HTML,
CSV, JSON and PDF minutes: none may become markup, a code block, a heading, a formula,
a raw control character or a bidi trick there. Text stored before the input rule (NUL)
is dropped on the way out."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from tests.townhall.archive_sample import at, sample_bundle
from townhall.archive import archive
from townhall.archive.bundle import Statement
from townhall.db import create_engine, migrate
from townhall.minutes import Minutes, load_minutes
from townhall.minutes.export import render_csv, render_json
from townhall.minutes.html import render_html
from townhall.minutes.markdown import render_markdown
from townhall.minutes.pdf import render_pdf

HOSTILE = [
    "~~~\nthe rest of the minutes would be code",
    "```python\nimport os",
    "    four spaces: an indented code block",
    "Title line\n=====",
    "Other title\n-----",
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(2)&lt;/script&gt;",
    "[click](javascript:alert(3)) ![x](http://evil.example/t.png)",
    "nul\x00byte and esc\x1b[31m red",
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "invoice\u202efdp.exe",
    "| a | b |\n|---|---|",
]


@pytest.fixture(scope="module")
async def minutes(tmp_path_factory: pytest.TempPathFactory) -> Minutes:
    directory: Path = tmp_path_factory.mktemp("exports")
    url = f"sqlite+aiosqlite:///{directory / 'minutes.db'}"
    await migrate(url)
    engine = create_engine(url)
    bundle = sample_bundle("inj-room")
    hostile = tuple(
        Statement(id=f"h{n}", participant="p4", item="i2", text=text, at=at(26 + n))
        for n, text in enumerate(HOSTILE)
    )
    try:
        await archive(
            engine, dataclasses.replace(bundle, statements=(*bundle.statements, *hostile))
        )
        return await load_minutes(engine, "inj-room")
    finally:
        await engine.dispose()


def test_markdown_turns_no_participant_text_into_markup(minutes: Minutes) -> None:
    text = render_markdown(minutes)
    assert "\x00" not in text
    assert "\x1b" not in text
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    kinds = {t.type for t in tokens}
    assert not kinds & {"fence", "code_block", "html_block"}
    inline = [c for t in tokens if t.children for c in t.children]
    assert not {c.type for c in inline} & {"html_inline", "link_open", "image", "code_inline"}
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert not [h for h in headings if "Title line" in h or "Other title" in h]
    # Every hostile statement is still there, as text, after a fence that did not open.
    rendered = MarkdownIt("commonmark").enable("table").render(text)
    assert "the rest of the minutes would be code" in rendered
    assert "<script>" not in rendered


def test_html_escapes_and_drops_control_characters(minutes: Minutes) -> None:
    page = render_html(minutes)
    assert "<script>" not in page
    assert "<img" not in page
    assert "onerror=alert" not in page or "&lt;img" in page
    assert "\x00" not in page
    assert "\x1b" not in page
    assert "&amp;lt;script&amp;gt;" in page  # an entity stays text, not markup


def test_csv_neutralises_formulas_and_control_characters(minutes: Minutes) -> None:
    body = render_csv(minutes)
    assert "\x00" not in body
    assert "\x1b" not in body
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    texts = [r["text"] for r in rows]
    assert not [t for t in texts if t[:1] in ("=", "+", "-", "@")]
    assert '\'=HYPERLINK("http://evil.example","x")' in texts


def test_json_keeps_the_words_exactly_as_data(minutes: Minutes) -> None:
    document = json.loads(render_json(minutes))
    texts = {s["text"] for s in document["statements"]}
    assert "invoice\u202efdp.exe" in texts  # data, exact; the page shows the control
    assert HOSTILE[5] in texts


def test_reading_editions_show_bidi_controls_instead_of_obeying_them(minutes: Minutes) -> None:
    # A browser or PDF viewer obeys U+202E: "invoice\u202efdp.exe" would read
    # "invoiceexe.pdf" in the HTML minutes. Markdown, HTML and PDF print the control.
    assert "\u202e" not in render_markdown(minutes)
    assert "invoice\\[U+202E\\]fdp.exe" in render_markdown(minutes)
    page = render_html(minutes)
    assert "\u202e" not in page
    assert "invoice[U+202E]fdp.exe" in page


def test_pdf_prints_every_hostile_statement_as_plain_text(minutes: Minutes, tmp_path: Path) -> None:
    (tmp_path / "minutes.pdf").write_bytes(render_pdf(minutes))
    text = subprocess.run(
        ["pdftotext", "-raw", str(tmp_path / "minutes.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    assert "invoice[U+202E]fdp.exe" in flat
    assert "\u202e" not in text
    assert "\x00" not in text
    assert "\x1b" not in text
    assert "nulbyte and esc[31m red" in flat  # the controls went, the words stayed
    assert '=HYPERLINK("http://evil.example","x")' in flat
    assert "<script>alert(1)</script>" in flat  # text, not markup: a PDF runs no script

"""Markdown and HTML minutes, read back from the archive, checked for their content."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.townhall.archive_sample import sample_bundle
from tests.townhall.minutes_fixtures import HOSTILE, archived_minutes
from townhall.archive import archive
from townhall.archive.bundle import ItemDocument
from townhall.db import create_engine, migrate
from townhall.minutes import Minutes, load_minutes, render_html, render_markdown
from townhall.minutes.labels import LABELS


@pytest.fixture(scope="module")
async def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Minutes, Minutes]:
    return await archived_minutes(tmp_path_factory.mktemp("minutes"))


@pytest.fixture(scope="module")
def en(both: tuple[Minutes, Minutes]) -> Minutes:
    return both[0]


@pytest.fixture(scope="module")
def ko(both: tuple[Minutes, Minutes]) -> Minutes:
    return both[1]


def test_both_languages_have_every_label() -> None:
    assert set(LABELS["en"]) == set(LABELS["ko"])


def test_markdown_has_title_date_and_attendance(en: Minutes) -> None:
    md = render_markdown(en)
    assert md.startswith("# Riverside park renovation — Minutes\n")
    assert "Date: 2026-11-25 · Started: 18:00:00 · Ended: 18:50:00 · Duration: 50:00" in md
    assert "| 김민수 | participant | 17:59:00 | present at the end |" in md
    assert "| Carol (muted, banned) | participant | 18:01:00 | 18:31:00 |" in md
    # Bob left and came back: both stays are listed.
    # One row per person: Bob left and came back, both stays are in his row.
    assert "| Bob | participant | 17:58:00, 18:22:00 | 18:20:00, 18:48:00 |" in md
    assert md.count("| Bob | participant |") == 1
    assert "### Voice equity" in md
    assert "| Bob | 1 | 1:30 |" in md
    assert "**Peak observers:** 42" in md


def test_markdown_agenda_shows_planned_actual_and_overrun(en: Minutes) -> None:
    md = render_markdown(en)
    assert "| 1 | Opening and context | 10:00 | 12:00 | +2:00 | 18:00:00 | done |" in md
    assert "| 3 | Any other business | 5:00 |  |  | not started | pending |" in md
    assert "|  | Total | 45:00 | 49:00 |" in md


def test_markdown_turns_carry_their_statements_and_transcript(en: Minutes) -> None:
    md = render_markdown(en)
    turn = md.index("**Turn 1:** 18:03:00 Bob (speak) — 1:30 / limit 2:00")
    said = md.index("Thank you. I live next to the park on Elm Street.")
    wrote = md.index("The playground is unsafe; we need new benches too.")
    second = md.index("**Turn 2:** 18:05:00 김민수 (point of order) — 2:30 / limit 2:00 — overrun")
    assert turn < said < wrote < second
    # A hidden statement: on the record that it was hidden, by whom and why, not its text.
    assert "Everyone here is an idiot." not in md
    assert "*Hidden by Alice: personal attack*" in md


def test_markdown_polls_show_distribution_turnout_quorum_and_rounds(en: Minutes) -> None:
    md = render_markdown(en)
    assert "Eligible: 4 · Turnout: 3 (75%) · Quorum: 3 — met" in md
    for row in ("| Plan A: playground | 2 | 67% |", "| Plan B: gardens | 1 | 33% |",
                "| Plan C: keep as is | 0 | 0% |"):  # fmt: skip
        assert row in md
    assert "Eligible: 5 · Turnout: 5 (100%) · Quorum: 6 — not met" in md
    assert "| Round | North | South | East | Exhausted ballots |" in md
    assert "| 1 | 2 | 1 (eliminated) | 2 | 0 |" in md
    assert "| 2 | 2 | — | 3 | 0 |" in md
    assert "**Result:** East" in md
    assert "| Bob | North > East > South |" in md  # a named ballot
    assert "| Benches | 2 | 8 | 4.00 |" in md  # score poll: ballots, total, average
    # The secret poll lists who voted but no ballot next to a name.
    secret = md[md.index("Which plan should we adopt?") : md.index("Where should the new")]
    assert "| Participant | Ballots |" not in secret
    assert "**Voted:** Bob, 김민수, Dana" in secret


def test_markdown_decisions_reactions_and_moderation(en: Minutes) -> None:
    md = render_markdown(en)
    assert "**Decision:** The council will build Plan A." in md
    assert "**Dissent:** One resident preferred the gardens (Plan B) for the elderly." in md
    assert "Plan A: playground 2 · Plan B: gardens 1 · Plan C: keep as is 0" in md
    assert "agree 12 · applause 3" in md
    assert "disagree 4 · unclear 1" in md
    assert "| 18:31:00 | Alice | removed | Carol | repeated abuse |" in md
    assert "| 18:06:12 | Alice | hid a statement | Carol | personal attack |" in md


def test_markdown_escapes_participant_text(en: Minutes) -> None:
    md = render_markdown(en)
    assert HOSTILE not in md
    assert r"\<script>alert(1)\</script> \| \*\*bold\*\* =SUM(A1)" in md


def test_markdown_in_korean(ko: Minutes) -> None:
    md = render_markdown(ko)
    assert md.startswith("# 강변 공원 개선 타운홀 — 회의록\n")
    for label in (
        "## 참석",
        "## 안건",
        "### 발언 순서",
        "### 투표: Which plan",
        "## 진행 관리 기록",
    ):
        assert label in md
    assert "투표권자: 4 · 투표 수: 3 (75%) · 정족수: 3 — 충족" in md
    assert "**반대 의견:** One resident preferred" in md


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


def test_html_is_self_contained_and_accessible(ko: Minutes) -> None:
    page = render_html(ko)
    parsed = _parse(page)
    html = next(attrs for tag, attrs in parsed.tags if tag == "html")
    assert html["lang"] == "ko"
    assert ("meta", {"charset": "utf-8"}) in parsed.tags
    # No external resources: nothing that loads anything.
    assert not [(t, a) for t, a in parsed.tags if {"src", "href"} & set(a) or t == "script"]
    assert "url(" not in page
    assert "@import" not in page
    assert all(a.get("scope") == "col" for t, a in parsed.tags if t == "th")
    assert [t for t, _ in parsed.tags if t in ("h1", "main")] == ["main", "h1"]
    text = "".join(parsed.text)
    assert "강변 공원 개선 타운홀 — 회의록" in text
    assert "김민수" in text


def test_html_shows_the_same_content_as_markdown(en: Minutes) -> None:
    parsed = _parse(render_html(en))
    text = "".join(parsed.text)
    assert '<html lang="en">' in render_html(en)
    facts = ("Eligible: 4 · Turnout: 3 (75%) · Quorum: 3 — met", "1 (eliminated)",
             "One resident preferred the gardens (Plan B) for the elderly.",
             "Hidden by Alice: personal attack", "repeated abuse", "Peak observers:")  # fmt: skip
    for fact in facts:
        assert fact in text
    assert "Everyone here is an idiot." not in text


def test_html_escapes_participant_text(en: Minutes) -> None:
    page = render_html(en)
    parsed = _parse(page)
    assert "script" not in [t for t, _ in parsed.tags]
    assert HOSTILE in "".join(parsed.text)  # shown verbatim, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_layout_indexes_answer_as_a_scan_of_the_rows_would(en: Minutes) -> None:
    """The minutes look rows up through indexes built once (linear layout time): each
    answers exactly what filtering the rows in order gives."""
    items: list[str | None] = [*(i.id for i in en.items), None, "no-such-item"]
    for item in items:
        assert en.turns_of(item) == [(n, t) for n, t in enumerate(en.turns) if t.item == item]
        assert en.statements_of(item) == [s for s in en.statements if s.item == item]
        assert en.transcript_of(item) == [s for s in en.transcript if s.item == item]
        assert en.questions_of(item) == [q for q in en.questions if q.item == item]
        assert en.polls_of(item) == [p for p in en.polls if p.item == item]
        assert en.decisions_of(item) == [d for d in en.decisions if d.item == item]
        assert en.reactions_of(item) == [r for r in en.reactions if r.item == item]
    assert any(en.has_content(i.id) for i in en.items)
    assert not en.has_content("no-such-item")
    for n in range(len(en.turns)):
        assert en.statements_in_turn(n) == [s for s in en.statements if s.turn == n]
        assert en.transcript_in_turn(n) == [s for s in en.transcript if s.turn == n]
    for person in en.participants:
        assert en.name_of(person.id) == person.name
        assert en.participant(person.id) == person
    assert en.name_of("nobody") == "nobody"
    assert en.name_of(None) == ""
    assert en.item_title("no-such-item") == "no-such-item"
    for poll in en.polls:
        assert en.poll(poll.id) == poll
    assert en.poll(None) is None
    assert all(en.statement(s.id) == s for s in en.statements)
    assert sum(len(en.turns_of(i)) for i in items) == len(en.turns)
    assert any(en.transcript_in_turn(n) for n in range(len(en.turns)))


def test_default_names_are_printed_in_the_minutes_language(both: tuple[Minutes, Minutes]) -> None:
    """A facilitator who joined with no name is "Facilitator" to the server: Korean
    minutes call them 진행자, English ones Facilitator; a participant who chose the name
    "Facilitator" keeps it (only the role's own default is translated)."""
    for minutes, word in ((both[0], "Facilitator"), (both[1], "진행자")):
        staff = next(p for p in minutes.participants if p.role == "facilitator")
        member = next(p for p in minutes.participants if p.role == "participant")
        renamed = tuple(
            dataclasses.replace(p, name="Facilitator") if p in (staff, member) else p
            for p in minutes.participants
        )
        md = render_markdown(dataclasses.replace(minutes, participants=renamed))
        assert f"| {word} | {LABELS[minutes.session.language]['role.facilitator']} |" in md
        assert "| Facilitator | " + LABELS[minutes.session.language]["role.participant"] in md


async def test_item_documents_are_archived_and_listed_in_the_minutes(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'docs.db'}"
    await migrate(url)
    engine = create_engine(url)
    bundle = sample_bundle("doc-room", korean=True)
    docs = (
        ItemDocument(title="예산안 요약", url="https://city.example/budget.pdf"),
        ItemDocument(title="Plan", url="https://city.example/plan"),
    )
    first = dataclasses.replace(bundle.items[0], documents=docs)
    try:
        await archive(engine, dataclasses.replace(bundle, items=(first, *bundle.items[1:])))
        minutes = await load_minutes(engine, "doc-room")
    finally:
        await engine.dispose()
    assert minutes.items[0].documents == docs
    md = render_markdown(minutes)
    assert "**자료:** 예산안 요약 \\<https://city.example/budget.pdf>; Plan" in md
    assert "https://city.example/plan" in render_html(minutes)

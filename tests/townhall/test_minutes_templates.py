"""Minutes from Jinja2 templates: the shipped ones, and a city's letterhead put in front
of them through TOWNHALL_MINUTES_TEMPLATES without touching Townhall's files."""

from __future__ import annotations

import dataclasses
import html as html_module
import re
from pathlib import Path

import pytest

from tests.townhall.minutes_fixtures import HOSTILE, archived_minutes
from townhall.minutes import Minutes, render_html, render_markdown
from townhall.minutes.templates import TEMPLATES_ENV

LETTERHEAD_HTML = """{% extends "townhall/minutes.html.j2" %}
{% block letterhead -%}
<header class="letterhead">City of Example · Clerk's office</header>
{%- endblock %}
{% block style %}{{ super() }} .letterhead { font-weight: bold; }{% endblock %}
{% block footer %}<footer>Filed: {{ minutes.session.title }}</footer>{% endblock %}
"""
LETTERHEAD_MD = """{% extends "townhall/minutes.md.j2" %}
{% block letterhead %}**City of Example** · Clerk's office

{% endblock %}"""


@pytest.fixture(scope="module")
async def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Minutes, Minutes]:
    return await archived_minutes(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def city(tmp_path: Path) -> Path:
    (tmp_path / "minutes.html.j2").write_text(LETTERHEAD_HTML, encoding="utf-8")
    (tmp_path / "minutes.md.j2").write_text(LETTERHEAD_MD, encoding="utf-8")
    return tmp_path


def test_a_city_letterhead_goes_in_front_of_the_shipped_html(
    both: tuple[Minutes, Minutes], city: Path
) -> None:
    en, _ = both
    plain = render_html(en)
    html = render_html(en, templates=city)
    assert '<header class="letterhead">City of Example · Clerk\'s office</header>' in html
    assert html.index("letterhead") < html.index("<main>")
    assert f"<footer>Filed: {en.session.title}</footer>" in html
    assert ".letterhead { font-weight: bold; }" in html
    assert "border-collapse" in html  # super(): the shipped style stays
    # Everything else is the shipped page.
    assert plain[plain.index("<main>") : plain.index("</main>")] in html
    assert "letterhead" not in plain


def test_a_city_letterhead_on_markdown_and_through_the_environment(
    both: tuple[Minutes, Minutes], city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    en, _ = both
    plain = render_markdown(en)
    monkeypatch.setenv(TEMPLATES_ENV, str(city))
    md = render_markdown(en)
    assert md.startswith("**City of Example** · Clerk's office\n\n# ")
    assert md.endswith(plain)


def test_participants_text_stays_text_in_the_templates(both: tuple[Minutes, Minutes]) -> None:
    en, _ = both
    html = render_html(en)
    md = render_markdown(en)
    assert "<script" not in html
    assert HOSTILE not in html  # escaped, never markup
    assert "<script" not in md.replace("\\<script", "")


def test_korean_minutes_break_between_words(both: tuple[Minutes, Minutes]) -> None:
    _, ko = both
    html = render_html(ko)
    assert '<html lang="ko">' in html
    assert "word-break: keep-all" in html


def test_minutes_use_the_town_halls_time_zone_and_name_the_clerks(
    both: tuple[Minutes, Minutes],
) -> None:
    en, _ = both
    session = dataclasses.replace(
        en.session, timezone="Asia/Seoul", place="City hall", chair="Kim", secretary="Lee"
    )
    seoul = dataclasses.replace(en, session=session)
    md = render_markdown(seoul)
    # 18:00 UTC is 03:00 the next day in Seoul.
    assert "Date: 2026-11-26 · Started: 03:00:00 · Ended: 03:50:00" in md
    assert "All times are Asia/Seoul (UTC+09:00)." in md
    assert "Place: City hall · Chair: Kim · Secretary: Lee" in md
    assert "| 김민수 | participant | 02:59:00 | present at the end |" in md
    assert "All times are UTC" not in md


def _user_texts(m: Minutes) -> list[str]:
    texts = [m.session.title, m.session.description]
    texts += [p.name for p in m.participants]
    texts += [i.title for i in m.items] + [i.description for i in m.items]
    texts += [s.text for s in m.statements] + [s.hidden_reason or "" for s in m.statements]
    texts += [s.text for s in m.transcript] + [q.text for q in m.questions]
    texts += [p.question for p in m.polls] + [o for p in m.polls for o in p.options]
    texts += [d.text for d in m.decisions] + [d.dissent or "" for d in m.decisions]
    texts += [e.reason or "" for e in m.moderation]
    return sorted((t for t in texts if t), key=len, reverse=True)


def test_korean_minutes_have_no_english_word_outside_user_content(
    both: tuple[Minutes, Minutes],
) -> None:
    _, ko = both
    session = dataclasses.replace(ko.session, timezone="Asia/Seoul")
    ko = dataclasses.replace(ko, session=session)
    for text in (render_markdown(ko), _visible_text(render_html(ko))):
        for user in _user_texts(ko):
            text = text.replace(user, " ")
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - {"Asia", "Seoul", "UTC"}
        assert words == set(), sorted(words)


def _visible_text(html: str) -> str:
    body = html[html.index("<body>") :]
    return html_module.unescape(re.sub(r"<[^>]+>", " ", body))

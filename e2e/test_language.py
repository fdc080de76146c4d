"""Language: the browser's language is used, the switch changes every string and
<html lang> without a reload, keeps what is being typed, and mixes no languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from e2e.support import create_room, join, new_page, open_view, start_session

pytestmark = pytest.mark.browser
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
RECORD_HEAD = re.compile(r"\b[0-9a-f]{8}\b")  # the footer's hash digits ("caaf12ab" is no word)


def latin_words(text: str) -> list[str]:
    return LATIN_WORD.findall(RECORD_HEAD.sub("", text.replace("English", "")))


def test_switch_language_keeps_the_draft(browser: Browser, server: str) -> None:
    room = create_room(server, title="강변 공원 주민 회의", agenda=[])
    fac = new_page(browser, lang="ko")
    open_view(fac, room.link("facilitator"))
    assert fac.evaluate("document.documentElement.lang") == "ko"
    start_session(fac, label="회의 시작")

    page = new_page(browser)  # an English browser
    join(page, room.link("participant"), "지민")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_label("Your statement").fill("아직 보내지 않은 글")
    page.evaluate("window.__sameDocument = true")

    page.get_by_role("button", name="한국어").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("button", name="발언 올리기")).to_be_visible()
    expect(page.get_by_label("내 발언")).to_have_value("아직 보내지 않은 글")
    assert page.evaluate("window.__sameDocument") is True
    # Every word on the page is Korean now (the names and texts here are Korean too).
    words = latin_words(page.locator("body").inner_text())
    assert words == []
    words = latin_words(fac.locator("body").inner_text())
    assert words == []

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Post statement")).to_be_visible()
    # The choice is remembered for the next visit.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")

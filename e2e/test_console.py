"""The organiser console in Chromium: sign in with a key, create a town hall with a
start time, a time zone and a stream URL, copy its links, open the QR code, print the
handout, rotate the links, run the meeting, export the minutes, sign out. Then the
waiting view and the ended view from every link."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support import (
    ORGANISER_KEY,
    join,
    new_page,
    open_view,
    page_errors,
    start_session,
)

pytestmark = pytest.mark.browser


def sign_in(page: Page, base: str, key: str = ORGANISER_KEY) -> None:
    page.goto(f"{base}/console")
    page.get_by_label("Organiser key").fill(key)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("link", name="New town hall")).to_be_visible()


def link_card(page: Page, role: str):  # type: ignore[no-untyped-def]
    return page.locator(f".link-card[data-role='{role}']")


def test_console_schedules_announces_and_files_a_meeting(browser: Browser, server: str) -> None:
    page = new_page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    sign_in(page, server)
    # The key went in a POST body only: never in an address.
    assert ORGANISER_KEY not in page.url
    cookies = {c["name"]: c for c in page.context.cookies()}
    cookie = cookies["townhall_console"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert ORGANISER_KEY not in cookie["value"]
    assert page.evaluate("document.cookie") == ""  # no script reads it

    page.get_by_role("link", name="New town hall").click()
    page.get_by_label("Title", exact=True).fill("Riverside park hearing")
    page.get_by_label("Starts at").fill("2031-05-04T19:00")
    page.get_by_label("Time zone").fill("Asia/Seoul")
    page.get_by_label("Stream URL").fill("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    page.get_by_role("button", name="Add agenda item").click()
    page.get_by_label("Item title").fill("Opening")
    page.get_by_label("Minutes", exact=True).fill("5")
    page.get_by_role("button", name="Add agenda item").click()
    page.get_by_label("Item title").nth(1).fill("Playground")
    page.get_by_label("Minutes", exact=True).nth(1).fill("20")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Riverside park hearing"))).to_be_visible()
    expect(page.locator(".th-detail")).to_contain_text("Asia/Seoul")
    expect(page.locator(".th-detail")).to_contain_text("2 agenda items")

    # Copy link: the clipboard holds the participant link shown.
    participant = link_card(page, "participant")
    url = participant.locator("input").input_value()
    assert "?token=l_" in url
    participant.get_by_role("button", name="Copy link").click()
    assert page.evaluate("navigator.clipboard.readText()") == url
    # The QR code image, and the QR code opened on its own.
    qr = page.get_by_role("img", name="QR code for the participant link")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
    href = participant.get_by_role("link", name="Open QR code").get_attribute("href") or ""
    svg = page.request.get(server + href)
    assert svg.status == 200
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text().startswith("<svg")
    for role in ("facilitator", "observer"):
        expect(page.get_by_role("img", name=f"QR code for the {role} link")).to_be_visible()
    # The printable handout: title, start, QR code and the short address.
    page.get_by_role("link", name="Printable handout").click()
    handout = page.locator(".handout")
    expect(handout).to_contain_text("Riverside park hearing")
    expect(handout.get_by_role("img", name="QR code for the participant link")).to_be_visible()
    short = handout.locator(".handout-url").inner_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/j/[0-9a-z]{10}", short)
    jump = httpx.get(short, follow_redirects=False)
    assert jump.status_code == 303
    assert jump.headers["location"] == url
    page.go_back()

    # Rotate links: confirmed, every link changes, the old one stops working.
    page.get_by_role("button", name="Rotate links").click()
    expect(link_card(page, "participant").locator("input")).not_to_have_value(url)
    rotated = link_card(page, "participant").locator("input").input_value()
    info = httpx.post(f"{server}/api/link", json={"token": url.split("token=")[1]})
    assert info.status_code == 404
    facilitator = link_card(page, "facilitator").locator("input").input_value()
    observer = link_card(page, "observer").locator("input").input_value()

    # The waiting view: title, start in the viewer's zone and the meeting's, countdown;
    # a question may be asked before the start.
    guest = new_page(browser, lang="ko")
    guest.goto(rotated)
    expect(guest.locator(".join-meeting")).to_contain_text("Riverside park hearing")
    join(guest, rotated, "지민", lang="ko")
    waiting = guest.locator(".waiting")
    expect(waiting).to_contain_text("Riverside park hearing")
    expect(waiting).to_contain_text("후 시작")  # the countdown
    guest.get_by_label("질문 내용").fill("주차장은 어떻게 되나요?")
    guest.get_by_role("button", name="질문하기", exact=True).click()
    expect(guest.locator(".question-list")).to_contain_text("주차장은 어떻게 되나요?")
    # The page may frame the stream players of town halls to come, and nothing else.
    policy = httpx.get(rotated).headers["content-security-policy"]
    assert "frame-src https://www.youtube-nocookie.com;" in policy
    assert "frame-ancestors 'none'" in policy

    # The meeting runs and ends in the facilitator's page.
    chair = new_page(browser)
    open_view(chair, facilitator)
    start_session(chair)
    chair.get_by_role("button", name="Start item", exact=True).click()
    chair.get_by_role("button", name="End session", exact=True).click()
    expect(chair.locator("[data-banner='ended']")).to_be_visible()

    # Filed: the console exports the minutes once archived, with a progress bar.
    page.get_by_role("link", name="All town halls").click()
    expect(page.locator("#group-past")).to_be_visible()
    page.get_by_role("link", name="Riverside park hearing").click()
    for _ in range(60):
        if page.get_by_role("button", name="Export minutes").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    page.get_by_role("button", name="Export minutes").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Minutes as Markdown").click()
    saved = download.value
    assert saved.suggested_filename.endswith("-minutes.md")
    text = Path(saved.path()).read_text(encoding="utf-8")
    assert "Riverside park hearing" in text
    assert "주차장은 어떻게 되나요?" in text
    assert page.evaluate("document.querySelector('.export-progress').value") == 1
    # Filed: the draft approved with the approver's name, then corrected as version 2.
    page.get_by_label("Approved by (name)").fill("Council clerk")
    page.get_by_role("button", name="Approve minutes").click()
    expect(page.locator(".versions")).to_contain_text("Approved")
    expect(page.locator(".versions")).to_contain_text("Council clerk")
    page.get_by_label("Corrections").fill("The opening item ran five minutes, not four.")
    page.get_by_role("button", name="Record corrections").click()
    expect(page.locator(".versions li")).to_have_count(2)
    expect(page.locator(".versions")).to_contain_text("Corrects version 1")

    # The ended view from every link: the minutes, never "removed"; facilitators export.
    for link, role in (
        (rotated, "participant"),
        (observer, "observer"),
        (facilitator, "facilitator"),
    ):
        late = new_page(browser)
        late.goto(link)
        expect(late.locator("body[data-minutes='shown']")).to_be_attached()
        expect(late.locator(".ended-view")).to_contain_text("Riverside park hearing")
        expect(late.locator(".minutes-body")).to_contain_text("Opening")
        expect(late.locator("[data-banner='removed']")).to_have_count(0)
        assert "removed" not in late.locator("body").inner_text().lower()
        exports = late.get_by_role("button", name="Export minutes")
        expect(exports).to_have_count(1 if role == "facilitator" else 0)
        assert page_errors(late) == []
        late.context.close()

    # Sign out: the cookie no longer opens anything.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Organiser key")).to_be_visible()
    assert page.request.get(f"{server}/api/townhalls").status == 401
    assert page_errors(page) == []

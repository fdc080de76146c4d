"""What the page shows of hostile words and where it leaves the link (issue 12): the
token leaves the address bar once read (a reload still works), a bidi override is
drawn, not obeyed, a long word wraps inside the feed, a participant cannot take a
staff name, facilitators' posts carry their role and namesakes are told apart."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from e2e.support import Room, join, new_page, open_view, page_errors, show_tab, start_session

pytestmark = pytest.mark.browser


def test_hostile_words_and_the_links_token(browser: Browser, room: Room) -> None:
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    assert "token=" not in fac.url  # read, then taken out of the address bar
    fac.reload()
    expect(fac.locator("body[data-status='live']")).to_be_attached()  # the tab kept it
    start_session(fac)

    impostor = new_page(browser)
    impostor.goto(room.link("participant"))
    impostor.get_by_label("Your name", exact=True).fill("Facilitator")
    impostor.get_by_role("button", name="Join", exact=True).click()
    expect(impostor.get_by_text("belongs to the room's staff")).to_be_visible()

    sam = new_page(browser)
    join(sam, room.link("participant"), "Sam")
    other = new_page(browser)
    join(other, room.link("participant"), "sam")
    for page, text in ((sam, "invoice\u202efdp.exe"), (other, "x" * 400)):
        page.get_by_label("Your statement").fill(text)
        page.get_by_role("button", name="Post statement", exact=True).click()
    show_tab(fac, "statements")  # the console's workspace opens on the agenda
    fac.get_by_label("Your statement").fill("Order, please.")
    fac.get_by_role("button", name="Post statement", exact=True).click()

    feed = fac.locator(".entry")
    expect(feed).to_have_count(3)
    expect(feed.nth(0)).to_contain_text("invoice[U+202E]fdp.exe")
    expect(feed.nth(0).locator(".same-name")).to_have_text("#1")
    expect(feed.nth(1).locator(".same-name")).to_have_text("#2")
    expect(feed.nth(2).locator(".role")).to_have_text("Facilitator")
    box = feed.nth(1).bounding_box()
    words = feed.nth(1).locator("p").bounding_box()
    assert box is not None
    assert words is not None
    assert words["width"] <= box["width"]  # the long word wraps inside its entry
    for page in (fac, impostor, sam, other):
        assert page_errors(page) == []

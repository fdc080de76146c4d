"""Live changes are spoken through the ARIA live regions: "poll opened", "you are next",
"you have the floor", "1 minute left"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support import Room, join, new_page, open_view, show_tab, start_session

pytestmark = pytest.mark.browser


def said(page: Page) -> list[str]:
    spoken: list[str] = page.evaluate("window.townhallSaid || []")
    return spoken


def test_live_changes_are_announced(browser: Browser, room: Room) -> None:
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    fac.get_by_label("Title", exact=True).fill("Quick item")
    fac.get_by_label("Minutes", exact=True).fill("1")
    fac.get_by_role("button", name="Add item", exact=True).click()
    show_tab(fac, "settings")
    fac.get_by_label("Turn length (seconds)").fill("62")
    fac.get_by_role("button", name="Apply settings").click()
    start_session(fac)
    page = new_page(browser)
    join(page, room.link("participant"), "Listener")
    live = page.locator("#live-polite, #live-assertive")
    expect(live).to_have_count(2)
    assert page.locator("#live-polite").get_attribute("aria-live") == "polite"
    assert page.locator("#live-assertive").get_attribute("aria-live") == "assertive"

    fac.get_by_role("button", name="Start item", exact=True).click()
    expect(page.locator("#live-polite")).to_have_text("1 minute left: Quick item")

    show_tab(fac, "polls")
    fac.get_by_label("Question", exact=True).fill("Lunch now?")
    fac.get_by_label("Kind", exact=True).select_option("yes_no_abstain")
    fac.get_by_role("button", name="Create poll", exact=True).click()
    fac.get_by_role("button", name="Open poll", exact=True).click()
    expect(page.locator("#live-polite")).to_have_text("Poll opened: Lunch now?")

    page.get_by_role("button", name="Raise hand", exact=True).click()
    expect(page.locator("#live-assertive")).to_have_text("You are next")
    fac.get_by_role("button", name="Grant floor to next", exact=True).click()
    expect(page.locator("#live-assertive")).to_have_text("You have the floor")
    # The turn lasts 62 s, so its last minute begins about two seconds in.
    expect(page.locator("#live-assertive")).to_have_text("1 minute left in your turn")
    assert said(page).count("You have the floor") == 1

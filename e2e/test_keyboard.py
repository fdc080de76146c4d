"""Keyboard only: a participant raises a hand, votes in a ranked poll and posts a
statement with Tab, Enter and typing; the mouse is never used on that page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support import Room, new_page, open_view, show_tab, start_session

pytestmark = pytest.mark.browser

MAX_TABS = 150  # bound on the walk through the page so a missing control fails the test


def tab_to(page: Page, name: str) -> None:
    """Presses Tab until the focused control's accessible name (text or aria-label) is
    `name`, and checks that the focus is visible there."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el) return null;
                const label = el.labels && el.labels[0] ? el.labels[0].textContent : '';
                const name = (el.getAttribute('aria-label') || label || el.textContent || '')
                    .trim();
                const style = getComputedStyle(el);
                return {name, visible: el.matches(':focus-visible'),
                        outline: style.outlineStyle !== 'none' && style.outlineWidth !== '0px'};
            }"""
        )
        if focused and focused["name"] == name:
            assert focused["visible"], f"focus on {name} is not :focus-visible"
            assert focused["outline"], f"no focus outline on {name}"
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


def test_participant_uses_only_the_keyboard(browser: Browser, room: Room) -> None:
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    start_session(fac)
    show_tab(fac, "polls")
    fac.get_by_label("Question", exact=True).fill("Which repair comes first?")
    fac.get_by_label("Kind", exact=True).select_option("ranked")
    fac.get_by_label("Options").fill("Swings\nBenches\nLights")
    fac.get_by_role("button", name="Create poll", exact=True).click()

    page = new_page(browser)
    page.goto(room.link("participant"))
    expect(page.get_by_label("Your name")).to_be_focused()
    page.keyboard.type("Keyboard Kim")
    page.keyboard.press("Enter")
    expect(page.locator("body[data-status='live']")).to_be_attached()
    # Opened once the participant is in: the eligible list is frozen at opening.
    expect(fac.locator(".people-list")).to_contain_text("Keyboard Kim")
    fac.get_by_role("button", name="Open poll", exact=True).click()

    # Raise a hand.
    tab_to(page, "Raise hand")
    page.keyboard.press("Enter")
    expect(fac.locator(".hands li")).to_have_count(1)
    expect(page.locator(".position")).to_contain_text("You are next")
    expect(page.get_by_role("button", name="Lower hand")).to_be_focused()

    # Rank Lights first with its "Move up" button, pressed twice, then vote.
    tab_to(page, "Move Lights up")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Move Lights up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".rank-list li").first).to_contain_text("Lights")
    expect(page.get_by_role("button", name="Move Lights down")).to_be_focused()
    tab_to(page, "Vote")
    page.keyboard.press("Enter")
    expect(page.locator(".my-vote")).to_contain_text("Lights \u203a Swings \u203a Benches")
    expect(fac.locator(".poll")).to_contain_text("1 voted")

    # Post a statement: focus the box, type, Tab to the button, Enter.
    tab_to(page, "Your statement")
    page.keyboard.type("Said without a mouse.")
    tab_to(page, "Post statement")
    page.keyboard.press("Enter")
    expect(fac.locator(".feed-list")).to_contain_text("Said without a mouse.")
    expect(page.get_by_label("Your statement")).to_have_value("")

"""One screen, no scrolling: the facilitator console at 1280x800 keeps every live control
in view, and the projector fits 1280x800 and 1920x1080 in every state, a poll with ten
options included."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from e2e.staging import stage
from e2e.support import Room, join, new_page, open_view, show_tab, start_session

pytestmark = pytest.mark.browser

CONSOLE: ViewportSize = {"width": 1280, "height": 800}
SCREENS: list[ViewportSize] = [{"width": 1280, "height": 800}, {"width": 1920, "height": 1080}]
TEN = "\n".join(f"Option number {n} with a longer name" for n in range(1, 11))


def in_view(page: Page, locator: Locator) -> None:
    """Entirely inside the window, without scrolling anything."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None
    assert size is not None
    assert box["x"] >= 0, box
    assert box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] + 0.5, box
    assert box["y"] + box["height"] <= size["height"] + 0.5, box


def no_scrolling(page: Page) -> None:
    width, height, inner_w, inner_h = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight,"
        " innerWidth, innerHeight]"
    )
    assert width <= inner_w, f"{width} px wide in {inner_w}"
    assert height <= inner_h, f"{height} px high in {inner_h}"


def test_facilitator_console_keeps_every_live_control_in_view(
    browser: Browser, room: Room, tmp_path: Path
) -> None:
    staged = stage(browser, room, "en", size=CONSOLE)
    fac = staged.facilitator
    fac.evaluate("window.scrollTo(0, 0)")
    no_scrolling(fac)
    now = fac.locator(".board .now")
    in_view(fac, now.locator(".item-title"))
    in_view(fac, now.locator(".countdown"))
    for name in ("Pause", "Add 1 minute", "Complete", "Start item"):
        in_view(fac, now.get_by_role("button", name=name, exact=True))
    floor = fac.locator(".board .floor")
    in_view(fac, floor.locator(".speaker"))
    in_view(fac, floor.locator(".countdown"))
    for name in ("Grant floor to next", "End turn", "Add 30 seconds"):
        in_view(fac, floor.get_by_role("button", name=name, exact=True))
    in_view(fac, fac.locator(".board .hands li").first)
    in_view(fac, fac.get_by_role("button", name="Give the floor to Sam Okafor"))
    poll = fac.locator(".board .live-poll")
    in_view(fac, poll.locator(".result-list"))
    in_view(fac, poll.get_by_role("button", name="Close poll"))
    for switch in ("Lock room", "Lobby", "Statements", "Questions"):
        in_view(fac, fac.get_by_role("switch", name=switch, exact=True))
    in_view(fac, fac.get_by_role("button", name="End session", exact=True))
    in_view(fac, fac.get_by_role("tablist"))
    # Every tab keeps the page one screen: the workspace scrolls inside itself.
    for tab in (
        "polls",
        "questions",
        "statements",
        "decisions",
        "people",
        "equity",
        "moderation",
        "settings",
    ):
        show_tab(fac, tab)
        no_scrolling(fac)
        in_view(fac, fac.get_by_role("button", name="Grant floor to next"))
    fac.screenshot(path=tmp_path / "console-1280.png")  # this test's own directory


def ten_option_poll(browser: Browser, room: Room) -> Page:
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    start_session(fac)
    voter = new_page(browser)
    join(voter, room.link("participant"), "Voter")
    expect(fac.locator(".people-list")).to_contain_text("Voter")
    show_tab(fac, "polls")
    fac.get_by_label("Question", exact=True).fill(
        "Which of these ten proposals should the council fund first, given the budget?"
    )
    fac.get_by_label("Kind", exact=True).select_option("single")
    fac.get_by_label("Options").fill(TEN)
    fac.get_by_role("button", name="Create poll", exact=True).click()
    fac.get_by_role("button", name="Open poll", exact=True).click()
    voter.get_by_label("Option number 10 with a longer name").check()
    voter.get_by_role("button", name="Vote", exact=True).click()
    expect(fac.locator(".live-poll")).to_contain_text("1 voted")
    return fac


@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_projector_fits_the_screen_in_every_state(
    browser: Browser, room: Room, size: ViewportSize, tmp_path: Path
) -> None:
    projector = new_page(browser, size=size)
    open_view(projector, room.link("observer") + "&view=projector")
    # Scheduled: the join code is up before the start.
    qr = projector.get_by_role("img", name="QR code for the participant link")
    in_view(projector, qr)
    in_view(projector, projector.locator(".join-code .short-url"))
    no_scrolling(projector)
    fac = ten_option_poll(browser, room)
    expect(projector.locator(".pj-poll .result-list li")).to_have_count(10)
    no_scrolling(projector)
    for row in projector.locator(".pj-poll .result-list li").all():
        in_view(projector, row)
    in_view(projector, projector.locator(".pj-questions, .pj-cell-board .muted").first)
    in_view(projector, projector.locator(".pj-caption"))
    in_view(projector, qr)
    projector.screenshot(path=tmp_path / f"projector-{size['width']}.png")
    # The poll closed, a speaker, a long question: still one screen.
    fac.get_by_role("button", name="Close poll", exact=True).click()
    expect(projector.locator(".pj-poll")).to_contain_text("Last poll")
    no_scrolling(projector)
    fac.get_by_role("button", name="End session", exact=True).click()
    expect(projector.locator("body[data-session='ended']")).to_be_attached()
    no_scrolling(projector)

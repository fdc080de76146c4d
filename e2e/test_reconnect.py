"""Network drop: a participant is offline for 5 s while the room moves on; back online, the
page resumes from its last seq, shows every missed event in order, without a reload and
without losing the statement being typed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from e2e.support import Room, join, new_page, open_view, seq, show_tab, start_session

pytestmark = pytest.mark.browser


def test_offline_participant_catches_up_in_order(browser: Browser, room: Room) -> None:
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    fac.get_by_label("Title", exact=True).fill("Playground")
    fac.get_by_role("button", name="Add item", exact=True).click()
    start_session(fac)
    other = new_page(browser)
    join(other, room.link("participant"), "Other")
    drop = new_page(browser)
    join(drop, room.link("participant"), "Dropped")
    drop.evaluate("window.__noReload = 'still here'")
    drop.get_by_label("Your statement").fill("Half-written thought")
    before = seq(drop)

    drop.context.set_offline(True)
    expect(drop.locator("[data-banner='reconnecting']")).to_be_visible()
    # While it is away: an item starts, a hand, a turn, a statement, a poll, a question.
    fac.get_by_role("button", name="Start item", exact=True).click()
    other.get_by_role("button", name="Raise hand", exact=True).click()
    fac.get_by_role("button", name="Grant floor to next", exact=True).click()
    other.get_by_label("Your statement").fill("Said while you were away")
    other.get_by_role("button", name="Post statement", exact=True).click()
    show_tab(fac, "polls")
    fac.get_by_label("Question", exact=True).fill("Open while offline?")
    fac.get_by_label("Kind", exact=True).select_option("yes_no_abstain")
    fac.get_by_role("button", name="Create poll", exact=True).click()
    fac.get_by_role("button", name="Open poll", exact=True).click()
    other.get_by_label("Your question").fill("Asked while offline")
    other.get_by_role("button", name="Ask question", exact=True).click()
    expect(other.locator(".question-list")).to_contain_text("Asked while offline")
    drop.wait_for_timeout(5000)  # the drop lasts 5 s (a duration, not an assertion)
    expect(drop.locator("[data-banner='reconnecting']")).to_be_visible()
    drop.context.set_offline(False)

    expect(drop.locator("[data-banner='reconnecting']")).to_have_count(0)
    expect(drop.locator(".current-item")).to_contain_text("Playground")
    expect(drop.locator(".floor .speaker")).to_have_text("Other")
    expect(drop.locator(".feed-list")).to_contain_text("Said while you were away")
    expect(drop.locator(".poll")).to_contain_text("Open while offline?")
    expect(drop.locator(".question-list")).to_contain_text("Asked while offline")
    # The same events as the participant who stayed, each once and in seq order.
    seen = drop.evaluate("window.townhall.seen")
    assert drop.evaluate("window.townhall.snapshots") == 1  # resumed: no second snapshot
    assert seen == sorted(set(seen))
    expect(drop.locator("body")).to_have_attribute(
        "data-seq", other.evaluate("document.body.dataset.seq")
    )
    assert [n for n in seen if n > before] == [
        n for n in other.evaluate("window.townhall.seen") if n > before
    ]
    # No reload, and the half-typed statement is still there.
    assert drop.evaluate("window.__noReload") == "still here"
    expect(drop.get_by_label("Your statement")).to_have_value("Half-written thought")

"""A big room stays light in the browser: people joining and leaving redraw only the
people list, not the statements, questions, polls, floor or queue of every page; a
change to the viewer itself (being muted) still redraws what depends on it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support import (
    Room,
    join,
    new_page,
    open_view,
    seq,
    show_tab,
    start_session,
    wait_until,
)

pytestmark = pytest.mark.browser

WATCHED = (".feed-list", ".question-list", ".hands", ".card.floor", ".polls")

COUNT_MUTATIONS = """(selectors) => {
  window.redraws = {};
  for (const selector of selectors) {
    const node = document.querySelector(selector);
    if (!node) continue;
    window.redraws[selector] = 0;
    new MutationObserver((records) => { window.redraws[selector] += records.length; })
      .observe(node, { childList: true, subtree: true, attributes: true, characterData: true });
  }
  return Object.keys(window.redraws);
}"""


def redraws(page: Page) -> dict[str, int]:
    counts: dict[str, int] = page.evaluate("window.redraws")
    return counts


def test_joins_and_leaves_redraw_only_the_people_list(browser: Browser, room: Room) -> None:
    chair = new_page(browser)
    open_view(chair, room.link("facilitator"))
    start_session(chair)
    alice = new_page(browser)
    join(alice, room.link("participant"), "Alice")
    alice.get_by_label("Your statement").fill("Fix the swings first.")
    alice.get_by_role("button", name="Post statement").click()
    expect(alice.locator(".feed-list")).to_contain_text("Fix the swings first.")
    watched = alice.evaluate(COUNT_MUTATIONS, list(WATCHED))
    assert ".feed-list" in watched
    before = seq(alice)

    others = []
    for n in range(4):
        page = new_page(browser)
        join(page, room.link("participant"), f"Guest {n}")
        others.append(page)
    for page in others:
        page.context.close()
    # Four joins and four leaves reached Alice's page...
    wait_until(alice, f"Number(document.body.dataset.seq) >= {before + 8}")
    expect(chair.locator(".people-list")).to_contain_text("Guest 3")
    # ... and none of them touched the parts that do not list people.
    assert redraws(alice) == dict.fromkeys(watched, 0)

    # Being muted is about Alice herself: her statement form follows at once.
    show_tab(chair, "people")
    chair.get_by_role("button", name="Mute Alice").click()
    expect(alice.get_by_role("button", name="Post statement")).to_be_disabled()
    assert redraws(alice)[".feed-list"] > 0  # the feed part was redrawn for "me.muted"
    for page in (alice, chair):
        page.context.close()

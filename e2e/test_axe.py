"""axe-core (from the npm registry, pinned in e2e/package-lock.json) finds no serious or
critical WCAG 2 A/AA violation on any view, in English and in Korean."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from e2e.staging import stage
from e2e.support import PHONE, Room, axe_violations, describe

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_view_passes_axe(browser: Browser, room: Room, lang: str) -> None:
    staged = stage(browser, room, lang)
    problems = {}
    for view, page in staged.views().items():
        assert page.evaluate("document.documentElement.lang") == lang
        found = axe_violations(page)
        if found:
            problems[view] = describe(found)
    assert problems == {}


def test_phone_width_and_join_form(browser: Browser, room: Room) -> None:
    staged = stage(browser, room, "en", size=PHONE)
    problems = {
        view: describe(found)
        for view, page in staged.views().items()
        if (found := axe_violations(page))
    }
    for view, page in staged.views().items():
        # Works at 360 px: nothing wider than the screen, so no sideways scrolling.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{view} is {width} px wide"
    joining = staged.observer.context.new_page()
    joining.goto(room.link("participant"))
    joining.get_by_label("Your name").wait_for()
    if found := axe_violations(joining):
        problems["join"] = describe(found)
    assert problems == {}

"""Each poll kind has its own input, a vote can be changed until the poll closes, and
results stay hidden until close when the poll says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support import Room, join, new_page, open_view, show_tab, start_session

pytestmark = pytest.mark.browser


def create_poll(fac: Page, question: str, kind: str, options: str = "", **extra: str) -> None:
    fac.get_by_label("Question", exact=True).fill(question)
    fac.get_by_label("Kind", exact=True).select_option(kind)
    fac.get_by_label("Options").fill(options)
    if "max_choices" in extra:
        fac.get_by_label("Most choices (multiple choice)").fill(extra["max_choices"])
    if "results" in extra:
        fac.get_by_label("Show results").select_option(extra["results"])
    fac.get_by_role("button", name="Create poll", exact=True).click()
    card = fac.locator(".poll", has_text=question)
    card.get_by_role("button", name="Open poll").click()
    expect(card.locator(".badge").first).to_have_text("Open")


def test_every_poll_kind_votes_and_changes(browser: Browser, room: Room) -> None:
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    start_session(fac)
    voter = new_page(browser)
    join(voter, room.link("participant"), "Voter")
    expect(fac.locator(".people-list")).to_contain_text("Voter")
    show_tab(fac, "polls")

    create_poll(fac, "Pick one colour", "single", "Red\nGreen\nBlue")
    create_poll(fac, "Pick up to two days", "multiple", "Mon\nTue\nWed", max_choices="2")
    create_poll(fac, "Adopt the plan?", "yes_no_abstain", results="on_close")
    create_poll(fac, "Score the sites", "score", "North\nSouth")

    single = voter.locator(".poll", has_text="Pick one colour")
    single.get_by_label("Green").check()
    single.get_by_role("button", name="Vote").click()
    expect(single.locator(".my-vote")).to_contain_text("Your vote: Green.")
    # Changed before close: still one ballot, now Blue.
    single.get_by_label("Blue").check()
    single.get_by_role("button", name="Vote").click()
    expect(single.locator(".my-vote")).to_contain_text("Your vote: Blue.")
    expect(fac.locator(".poll", has_text="Pick one colour")).to_contain_text("1 voted")

    multiple = voter.locator(".poll", has_text="Pick up to two days")
    multiple.get_by_label("Mon").check()
    multiple.get_by_label("Wed").check()
    expect(multiple.get_by_label("Tue")).to_be_disabled()  # the maximum is reached
    multiple.get_by_role("button", name="Vote").click()
    expect(multiple.locator(".my-vote")).to_contain_text("Mon, Wed")

    yes_no = voter.locator(".poll", has_text="Adopt the plan?")
    yes_no.get_by_label("Abstain").check()
    yes_no.get_by_role("button", name="Vote").click()
    expect(yes_no.locator(".my-vote")).to_contain_text("Abstain")
    expect(yes_no).to_contain_text("Results are shown when the poll closes.")

    score = voter.locator(".poll", has_text="Score the sites")
    score.get_by_label("North").select_option("4")
    score.get_by_label("South").select_option("1")
    score.get_by_role("button", name="Vote").click()
    expect(score.locator(".my-vote")).to_contain_text("North: 4, South: 1")

    hidden = fac.locator(".poll", has_text="Adopt the plan?")
    hidden.get_by_role("button", name="Close poll").click()
    # Facilitators see a hidden result at close; everyone else once it is published.
    expect(hidden.locator(".results .winner")).to_contain_text("Abstain")
    expect(yes_no).to_contain_text("Closed")
    expect(yes_no.locator(".results")).to_have_count(0)
    hidden.get_by_role("button", name="Publish results").click()
    expect(yes_no.locator(".results .winner")).to_contain_text("Abstain")
    # The poll on the board (the first one open) is closed from there.
    live = fac.locator(".live-poll", has_text="Pick one colour")
    live.get_by_role("button", name="Close poll").click()
    expect(single.locator(".results .winner")).to_contain_text("Blue")
    expect(single.get_by_role("button", name="Vote")).to_have_count(0)

"""Issue 15 in the browser, apart from the formats: anonymous and premoderated questions,
reactions as one current reaction per person, the public moderation log, live captions,
the agenda that runs itself (re-planned every second) and the voice-equity panel."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support import (
    Room,
    create_room,
    join,
    new_page,
    open_view,
    page_errors,
    seq,
    show_tab,
    wait_until,
)

pytestmark = pytest.mark.browser


def switch(page: Page, name: str, on: bool) -> None:
    """Sets a console switch (role=switch) and waits until the server's state says so."""
    control = page.get_by_role("switch", name=name, exact=True)
    wanted = "true" if on else "false"
    if control.get_attribute("aria-checked") != wanted:
        control.click()
    expect(control).to_have_attribute("aria-checked", wanted)


def open_log(page: Page) -> None:
    """Opens the participant's collapsible moderation log (a <details>), by keyboard."""
    summary = page.locator(".public-moderation summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".public-moderation details")).to_have_attribute("open", "")


def test_questions_reactions_log_and_captions(browser: Browser, server: str) -> None:
    room = create_room(
        server,
        agenda=[{"title": "Budget", "duration_s": 900}, {"title": "Lights", "duration_s": 600}],
    )
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    fac.get_by_role("button", name="Start session", exact=True).click()
    expect(fac.locator("body[data-session='live']")).to_be_attached()
    fac.get_by_role("button", name="Start item", exact=True).click()
    show_tab(fac, "settings")
    switch(fac, "Approve questions first", True)

    alice = new_page(browser)
    join(alice, room.link("participant"), "Alice")
    bob = new_page(browser)
    join(bob, room.link("participant"), "Bob")
    observer = new_page(browser)
    open_view(observer, room.link("observer"))
    projector = new_page(browser)
    open_view(projector, room.link("observer") + "&view=projector")

    # An anonymous question in a premoderated room: the form says who still sees the name.
    anonymous = alice.get_by_role("checkbox", name="Ask anonymously")
    expect(anonymous).to_have_accessible_description(re.compile("Facilitators still see it"))
    expect(alice.locator(".premoderated-note")).to_be_visible()
    alice.get_by_label("Your question", exact=True).fill("Who pays for the new lights?")
    anonymous.check()
    alice.get_by_role("button", name="Ask question", exact=True).click()
    mine = alice.locator(".question-list li", has_text="Who pays for the new lights?")
    expect(mine).to_contain_text("Waiting for approval")
    expect(anonymous).not_to_be_checked()
    show_tab(fac, "questions")
    staff_row = fac.locator(".question-list li", has_text="Who pays for the new lights?")
    expect(staff_row).to_contain_text("Alice")  # facilitators keep the name
    expect(staff_row).to_contain_text("asked anonymously")
    expect(bob.locator(".questions")).not_to_contain_text("Who pays")  # not approved yet
    staff_row.get_by_role("button", name=re.compile("^Approve: ")).click()
    public_row = bob.locator(".question-list li", has_text="Who pays for the new lights?")
    expect(public_row).to_contain_text("Anonymous")
    expect(public_row).not_to_contain_text("Alice")
    expect(mine).not_to_contain_text("Waiting for approval")
    wait_until(
        alice,
        "(window.townhallSaid || []).includes("
        "'Your question was approved and everyone can see it now')",
    )
    expect(observer.locator(".question-list")).to_contain_text("Who pays for the new lights?")

    # A second question, hidden with a reason: its words leave every public view.
    alice.get_by_label("Your question", exact=True).fill("Is the mayor a crook?")
    alice.get_by_role("button", name="Ask question", exact=True).click()
    rude = fac.locator(".question-list li", has_text="Is the mayor a crook?")
    rude.get_by_role("button", name=re.compile("^Approve: ")).click()
    expect(bob.locator(".question-list")).to_contain_text("Is the mayor a crook?")
    rude.get_by_role("button", name=re.compile("^Hide: ")).click()
    fac.get_by_label("Reason for hiding", exact=True).fill("Personal attack")
    fac.get_by_role("button", name="Hide question", exact=True).click()
    expect(bob.locator(".questions")).not_to_contain_text("Is the mayor a crook?")
    expect(observer.locator(".questions")).not_to_contain_text("Is the mayor a crook?")
    expect(projector.locator(".pj-cell-board")).not_to_contain_text("crook")
    assert "crook" not in bob.evaluate("JSON.stringify(window.townhall.state.questions)")
    expect(fac.locator(".question-list li", has_text="Is the mayor a crook?")).to_contain_text(
        "Hidden"
    )

    # Reactions: one current reaction, pressed; changed, then withdrawn by pressing again.
    agree = bob.get_by_role("button", name=re.compile("^Agree "))
    disagree = bob.get_by_role("button", name=re.compile("^Disagree "))
    agree.click()
    expect(agree).to_have_attribute("aria-pressed", "true")
    # Three people present (the facilitator, Alice and Bob): one of them is a third.
    expect(agree).to_contain_text("33% of the room")
    expect(projector.locator(".pj-reactions")).to_contain_text("33% Agree")
    disagree.click()
    expect(disagree).to_have_attribute("aria-pressed", "true")
    expect(agree).to_have_attribute("aria-pressed", "false")
    expect(agree.locator(".count")).to_have_text("0")
    expect(disagree.locator(".count")).to_have_text("1")
    disagree.click()  # pressing one's reaction again withdraws it
    expect(disagree).to_have_attribute("aria-pressed", "false")
    expect(disagree.locator(".count")).to_have_text("0")
    alice.get_by_role("button", name=re.compile("^Applause ")).click()
    alice.get_by_role("button", name="Withdraw my reaction", exact=True).click()
    expect(alice.get_by_role("button", name=re.compile("^Applause "))).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(fac.locator(".reactions")).to_contain_text("Applause: 0")

    # A setting changed in the console, then the public log says which and to what.
    show_tab(fac, "settings")
    fac.get_by_label("Grace before the next item starts (seconds)").fill("45")
    fac.get_by_role("button", name="Apply settings", exact=True).click()
    for page in (bob, observer):
        open_log(page)
        log = page.locator(".public-moderation .moderation-list")
        expect(log).to_contain_text("Approve questions first: off → on")
        expect(log).to_contain_text("Grace before the next item: 30 s → 45 s")
        expect(log).to_contain_text("hid a question — Alice (Personal attack)")
        approved = log.locator("li[data-action='question.approve']")
        expect(approved).to_have_count(2)
        # The anonymous question's approval names nobody.
        expect(approved.filter(has_text="Who pays")).not_to_contain_text("Alice")

    # Captions: a line the facilitator types with nobody on the floor reaches the
    # projector's caption line and, once turned on, the participant's (a polite live region).
    bob.get_by_role("checkbox", name="Show live captions").check()
    caption = bob.locator(".caption-line")
    expect(caption).to_have_attribute("aria-live", "polite")
    show_tab(fac, "statements")
    fac.get_by_label("Caption for the running item (nobody has the floor)").fill(
        "Welcome to the budget item"
    )
    fac.get_by_role("button", name="Add to transcript").click()
    expect(projector.locator(".pj-caption")).to_contain_text("Welcome to the budget item")
    expect(caption).to_have_text("Welcome to the budget item")
    bob.reload()  # the choice and the caption survive a reload (localStorage, snapshot)
    expect(bob.locator(".caption-line")).to_have_text("Welcome to the budget item")

    for page in (fac, alice, bob, observer, projector):
        assert page_errors(page) == []


def test_agenda_runs_itself_and_equity(browser: Browser, server: str) -> None:
    room: Room = create_room(
        server,
        agenda=[
            {"title": "Opening", "duration_s": 3},
            {"title": "Budget", "duration_s": 600},
            {"title": "Lights", "duration_s": 300},
        ],
    )
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    fac.get_by_role("button", name="Start session", exact=True).click()
    expect(fac.locator("body[data-session='live']")).to_be_attached()
    alice = new_page(browser)
    join(alice, room.link("participant"), "Alice")
    bob = new_page(browser)
    join(bob, room.link("participant"), "Bob")

    fac.get_by_role("button", name="Start item", exact=True).click()
    expect(fac.locator(".agenda-item.status-running")).to_contain_text("Opening")
    # Every pending item shows its planned start, and the agenda its estimated end.
    budget = alice.locator(".agenda-item", has_text="Budget").locator(".plan-start")
    expect(budget).to_contain_text("starts about")
    expect(alice.locator(".agenda .plan-end")).to_contain_text("Estimated end")

    # Opening runs over: with no event at all, the plan moves on with the clock.
    expect(alice.locator(".agenda-item.overrun")).to_contain_text("Opening")
    before_seq = seq(alice)
    first = budget.get_attribute("data-at") or ""
    wait_until(
        alice,
        "([sel, first]) => document.querySelector(sel).dataset.at > first",
        [".agenda-item:nth-child(2) .plan-start", first],
    )
    assert seq(alice) == before_seq  # re-planned by the page's clock, not by an event

    # Voice equity: Alice speaks (a turn the facilitator ends), Bob's hand is lowered.
    alice.get_by_role("button", name="Raise hand", exact=True).click()
    fac.get_by_role("button", name="Grant floor to next", exact=True).click()
    expect(alice.locator(".floor")).to_contain_text("You have the floor")
    fac.get_by_role("button", name="End turn", exact=True).click()
    bob.get_by_role("button", name="Raise hand", exact=True).click()
    fac.get_by_role("button", name="Lower Bob's hand").click()
    show_tab(fac, "equity")
    people = fac.locator(".equity-people")
    expect(people.locator("tr[data-participant]", has_text="Alice")).to_contain_text("1")
    bob_row = people.locator("tr", has_text="Bob")
    expect(bob_row.locator("td").nth(3)).to_have_text("1")  # hands raised
    expect(bob_row.locator("td").nth(4)).to_have_text("1")  # never called
    expect(fac.locator(".equity-uncalled")).to_contain_text("Bob")
    expect(fac.locator(".equity-items")).to_contain_text("Opening")
    open_log(bob)
    expect(bob.locator(".public-moderation")).to_contain_text("ended the turn of — Alice")
    expect(bob.locator(".public-moderation")).to_contain_text("lowered the hand of — Bob")

    # The agenda runs itself: auto-advance on with no grace, and the overrun item gives way.
    show_tab(fac, "settings")
    fac.get_by_label("Grace before the next item starts (seconds)").fill("0")
    fac.get_by_role("button", name="Apply settings", exact=True).click()
    switch(fac, "Auto-advance items", True)
    expect(alice.locator(".agenda-item.status-running")).to_contain_text("Budget")
    expect(alice.locator(".agenda-item.status-done")).to_contain_text("Opening")
    # While Budget runs, its own end is its deadline: Lights starts at least 9 minutes on.
    lights = alice.locator(".agenda-item", has_text="Lights").locator(".plan-start")
    expect(lights).to_contain_text("starts about")
    spread = alice.evaluate(
        """() => {
            const at = document.querySelector('.agenda-item:nth-child(3) .plan-start').dataset.at;
            return (Date.parse(at) - Date.now()) / 1000;
        }"""
    )
    assert 540 < spread <= 601
    expect(alice.locator(".current-item .plan-advance")).to_contain_text("by itself")
    for page in (fac, alice, bob):
        assert page_errors(page) == []

"""Parti's policy-battle format end to end in the browser (SPEC §10): presenters cheered
and revealed, a battle with a switch on the situation board, proposals submitted,
merged, hidden and promoted to a dot vote, a final poll, and a decision recorded."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect

from e2e.support import (
    DESKTOP,
    PHONE,
    Room,
    axe_violations,
    create_room,
    describe,
    join,
    new_page,
    open_view,
    page_errors,
    show_tab,
    start_session,
)

pytestmark = pytest.mark.browser

SCREENS: list[ViewportSize] = [{"width": 1280, "height": 800}, {"width": 1920, "height": 1080}]
AGENDA = [
    {"title": "Expert presentations", "duration_s": 600},
    {"title": "Policy battle", "duration_s": 1200},
    {"title": "Priority vote", "duration_s": 900},
]


def create_poll(fac: Page, question: str, kind: str, options: str = "") -> None:
    fac.get_by_label("Question", exact=True).fill(question)
    fac.get_by_label("Kind", exact=True).select_option(kind)
    fac.get_by_label("Options").fill(options)
    fac.get_by_role("button", name="Create poll", exact=True).click()


def open_poll(fac: Page, question: str) -> None:
    card = fac.locator(".polls .poll", has_text=question)
    card.get_by_role("button", name="Open poll").click()
    expect(card.locator(".badge").first).to_have_text("Open")


def fits(page: Page, locator: Locator) -> None:
    """Entirely inside the window, and the page does not scroll."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None
    assert size is not None
    assert box["y"] >= 0, box
    assert box["y"] + box["height"] <= size["height"] + 0.5, box
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] + 0.5, box
    scroll = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert scroll[0] <= size["width"], scroll
    assert scroll[1] <= size["height"], scroll


def no_axe_problems(pages: dict[str, Page]) -> dict[str, str]:
    return {
        name: describe(found) for name, page in pages.items() if (found := axe_violations(page))
    }


def proposal_row(page: Page, text: str) -> Locator:
    return page.locator(".proposal").filter(has=page.locator(".q-text", has_text=text))


def cheer(page: Page, name: str) -> None:
    """One cheer, then wait out the one-a-second limit the button keeps."""
    button = page.get_by_role("button", name=f"Cheer {name}", exact=True)
    expect(button).not_to_have_attribute("aria-disabled", "true")
    button.click()
    expect(button).to_have_attribute("aria-disabled", "true")
    expect(button).to_be_focused()  # held with aria-disabled: the focus stays for the next
    expect(button).not_to_have_attribute("aria-disabled", "true")


def test_policy_battle_format_end_to_end(browser: Browser, server: str) -> None:
    room: Room = create_room(server, title="Free buses?", agenda=AGENDA)
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    alice = new_page(browser)
    join(alice, room.link("participant"), "Alice")

    # Before the start: a proposal from the waiting view.
    expect(alice.locator(".waiting")).to_be_visible()
    alice.get_by_label("Your proposal").fill("Free bus passes for students")
    alice.get_by_role("button", name="Submit proposal", exact=True).click()
    expect(alice.locator(".proposals")).to_contain_text("Free bus passes for students")

    # The presenters are set in the console's agenda editing.
    fac.get_by_role("button", name="Edit Expert presentations").click()
    fac.get_by_label("Presenters").first.fill("Dr. Kim\nProf. Lee")
    fac.get_by_role("button", name="Save", exact=True).click()
    expect(fac.locator(".agenda-list")).to_contain_text("Presenters: Dr. Kim, Prof. Lee")

    start_session(fac)
    fac.get_by_role("button", name="Start item", exact=True).click()
    bob = new_page(browser)
    join(bob, room.link("participant"), "Bob")
    obs = new_page(browser)
    open_view(obs, room.link("observer"))
    projector = new_page(browser, size={"width": 1280, "height": 800})
    open_view(projector, room.link("observer") + "&view=projector")

    # Cheering: a button per presenter, animated on the projector without numbers.
    cheer(alice, "Dr. Kim")
    cheer(alice, "Dr. Kim")
    cheer(bob, "Prof. Lee")
    kim = projector.locator(".pj-cheer[data-presenter='Dr. Kim']")
    expect(kim).to_have_attribute("data-pulses", "2")
    expect(projector.locator(".pj-cheer[data-presenter='Prof. Lee']")).to_have_attribute(
        "data-pulses", "1"
    )
    assert not re.search(r"\d", projector.locator(".pj-cheers").inner_text())
    expect(obs.locator(".cheers")).to_contain_text("The counts are revealed at the end.")
    expect(obs.get_by_role("button", name="Cheer Dr. Kim")).to_have_count(0)
    show_tab(fac, "agenda")
    expect(fac.locator(".cheers-console")).to_contain_text("Presenters: Dr. Kim, Prof. Lee")
    expect(fac.locator(".cheer-totals")).to_have_count(0)  # hidden from facilitators too
    fac.get_by_role("button", name="Reveal cheers").click()
    for page in (alice, bob, obs, fac):
        expect(page.locator(".cheer-totals").first).to_contain_text("Dr. Kim2 cheers")
        expect(page.locator(".cheer-totals").first).to_contain_text("Prof. Lee1 cheer")
    expect(projector.locator(".pj-cheers")).to_contain_text("2 cheers")
    expect(alice.get_by_role("button", name="Cheer Dr. Kim")).to_have_count(0)

    # The battle: take a side, switch, the situation board follows everywhere.
    fac.get_by_role("button", name="Start item", exact=True).click()
    show_tab(fac, "polls")
    create_poll(fac, "Should the city make buses free?", "battle", "For\nAgainst")
    open_poll(fac, "Should the city make buses free?")
    alice.get_by_role("button", name="For", exact=True).click()
    expect(alice.get_by_role("button", name="For", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    bob.get_by_role("button", name="Against", exact=True).click()
    expect(bob.get_by_role("button", name="Against", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(obs.locator(".battle-board")).to_contain_text("Now (2 people): For 50%, Against 50%.")
    bob.get_by_role("button", name="For", exact=True).click()
    expect(bob.get_by_role("button", name="For", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(bob.get_by_role("button", name="Against", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
    for page in (alice, bob, obs):
        board = page.locator(".polls-open .battle-board")
        expect(board).to_contain_text("Now (2 people): For 100%, Against 0%.")
        expect(board).to_contain_text("Changes of side: 1 from Against to For.")
        expect(board.locator("svg.battle-timeline")).to_be_attached()
    pj = projector.locator(".pj-poll .battle-board")
    expect(pj.locator(".side-0 .side-share")).to_have_text("100%")
    expect(pj.locator(".side-1 .side-share")).to_have_text("0%")
    expect(pj.locator("svg.battle-timeline")).to_be_visible()
    expect(obs.get_by_role("button", name="For", exact=True)).to_have_count(0)
    # The situation board is one screen on the projector, at both sizes, and passes axe.
    for size in SCREENS:
        projector.set_viewport_size(size)
        fits(projector, pj)
        fits(projector, projector.locator(".pj-poll .pj-question"))
    projector.set_viewport_size(SCREENS[0])
    alice.set_viewport_size(PHONE)  # a phone: the board fits its width
    assert alice.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    alice.set_viewport_size(DESKTOP)
    views = {"participant": alice, "observer": obs, "projector": projector, "console": fac}
    assert no_axe_problems(views) == {}
    fac.get_by_role("button", name="Close poll", exact=True).click()
    expect(alice.locator(".polls-rest .battle-board")).to_contain_text(
        "At the opening: For 50%, Against 50%."
    )
    # Before / after: the same battle asked again shows the earlier shares beside its own.
    fac.get_by_role("button", name="Ask again (before / after)").click()
    fac.locator(".polls .poll.status-draft").get_by_role("button", name="Open poll").click()
    alice.locator(".polls-open").get_by_role("button", name="Against", exact=True).click()
    after = obs.locator(".polls-open .battle-board")
    expect(after).to_contain_text("Now (1 person): For 0%, Against 100%.")
    expect(after).to_contain_text("Before (when first asked): For 100%, Against 0%.")
    expect(projector.locator(".pj-poll .side-0 .side-before")).to_have_text("before: 100%")
    fac.get_by_role("button", name="Close poll", exact=True).click()
    expect(alice.locator(".polls-open")).to_be_hidden()

    # Proposals: submitted, supported, merged, hidden; two promoted to a dot vote.
    bob.get_by_label("Your proposal").fill("Night buses on weekends")
    bob.get_by_role("button", name="Submit proposal", exact=True).click()
    bob.get_by_label("Your proposal").fill("Students ride free")
    bob.get_by_role("button", name="Submit proposal", exact=True).click()
    alice.get_by_label("Your proposal").fill("Buy my old car")
    alice.get_by_role("button", name="Submit proposal", exact=True).click()
    support = alice.get_by_role("button", name="Support the proposal “Night buses on weekends”")
    support.click()
    expect(support).to_have_attribute("aria-pressed", "true")
    bob.get_by_role("button", name="Support the proposal “Free bus passes for students”").click()
    show_tab(fac, "proposals")
    students = proposal_row(fac, "Students ride free")
    students.locator("summary").click()
    students.get_by_label("Merge into").select_option(label="Free bus passes for students")
    students.get_by_role("button", name="Merge the proposal “Students ride free”").click()
    car = proposal_row(fac, "Buy my old car")
    car.locator("summary").click()
    car.get_by_label("Reason for hiding").fill("Off topic")
    car.get_by_role("button", name="Hide the proposal “Buy my old car”").click()
    assert no_axe_problems({"console proposals": fac}) == {}
    show_tab(fac, "moderation")
    log = fac.locator("#panel-moderation .moderation-list")
    expect(log).to_contain_text("hid a proposal")
    expect(log).to_contain_text("Off topic")
    expect(log).to_contain_text("merged a proposal")
    expect(log).to_contain_text("revealed the cheers")
    for page in (alice, bob, obs):
        listed = page.locator(".proposals .proposal-list")
        expect(listed).not_to_contain_text("Buy my old car")
        expect(listed).to_contain_text("merged into “Free bus passes for students”")
        expect(listed.locator("li").first).to_contain_text("Free bus passes for students")
        expect(listed.locator("li").first).to_contain_text("1 supporter")

    fac.get_by_role("button", name="Start item", exact=True).click()
    show_tab(fac, "polls")
    fac.get_by_label("Question", exact=True).fill("What comes first?")
    fac.get_by_label("Kind", exact=True).select_option("dot")
    fac.get_by_label("Dots per person (dot voting)").fill("3")
    fac.get_by_label("Most dots on one option (dot voting)").fill("2")
    chooser = fac.locator(".from-proposals")
    chooser.get_by_role("checkbox", name=re.compile("Free bus passes for students")).check()
    chooser.get_by_role("checkbox", name=re.compile("Night buses on weekends")).check()
    fac.get_by_role("button", name="Create poll", exact=True).click()
    open_poll(fac, "What comes first?")
    expect(alice.locator(".proposals")).to_contain_text("in a poll")

    # The dot ballot: steppers, dots left, at most two on one option.
    ballot = alice.locator(".polls-open .poll", has_text="What comes first?")
    night_up = ballot.get_by_role("button", name="Add a dot to Night buses on weekends")
    night_up.click()
    night_up.click()
    expect(night_up).to_be_disabled()  # max_per_option
    # The focus moved to the row's other button, not back to the top of the page.
    expect(
        ballot.get_by_role("button", name="Remove a dot from Night buses on weekends")
    ).to_be_focused()
    ballot.get_by_role("button", name="Add a dot to Free bus passes for students").click()
    expect(ballot.locator(".dots-left")).to_have_text("0 of 3 dots left")
    assert no_axe_problems({"dot ballot": alice}) == {}
    alice.set_viewport_size(PHONE)
    assert alice.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    alice.set_viewport_size(DESKTOP)
    ballot.get_by_role("button", name="Vote", exact=True).click()
    expect(ballot.locator(".my-vote")).to_contain_text(
        "Your vote: Free bus passes for students: 1, Night buses on weekends: 2."
    )
    bob_ballot = bob.locator(".polls-open .poll", has_text="What comes first?")
    bob_ballot.get_by_role("button", name="Add a dot to Night buses on weekends").click()
    bob_ballot.get_by_role("button", name="Vote", exact=True).click()
    expect(fac.locator(".live-poll")).to_contain_text("2 voted")
    fac.get_by_role("button", name="Close poll", exact=True).click()
    for page in (alice, bob, obs):
        result = page.locator(".polls-rest .poll", has_text="What comes first?").locator(
            ".result-list"
        )
        expect(result.locator(".winner")).to_contain_text("Night buses on weekends")
        expect(result.locator(".winner")).to_contain_text("3 dots · 2 voters")

    # A final poll: cast once (confirmed), results on close.
    fac.get_by_label("Question", exact=True).fill("Adopt the priority list?")
    fac.get_by_label("Kind", exact=True).select_option("yes_no_abstain")
    fac.get_by_label("Show results").select_option("on_close")
    fac.get_by_label("Final: a ballot cannot be changed once cast").check()
    fac.get_by_role("button", name="Create poll", exact=True).click()
    open_poll(fac, "Adopt the priority list?")
    final = alice.locator(".polls-open .poll", has_text="Adopt the priority list?")
    final.get_by_label("Yes").check()
    final.get_by_role("button", name="Vote", exact=True).click()  # the confirm() is accepted
    expect(final).to_contain_text("This poll is final: your ballot cannot be changed.")
    expect(final.get_by_role("button", name="Vote", exact=True)).to_have_count(0)
    expect(final).to_contain_text("Results are shown when the poll closes.")
    fac.get_by_role("button", name="Close poll", exact=True).click()
    fac.locator(".polls .poll", has_text="Adopt the priority list?").get_by_role(
        "button", name="Publish results"
    ).click()
    expect(
        alice.locator(".poll", has_text="Adopt the priority list?").locator(".winner")
    ).to_contain_text("Yes")

    # The decision, linked to the dot vote.
    show_tab(fac, "decisions")
    fac.get_by_label("Decision", exact=True).fill("Night buses on weekends come first.")
    fac.get_by_label("Linked poll").select_option(label="What comes first?")
    fac.get_by_role("button", name="Record decision", exact=True).click()
    for page in (alice, bob, obs):
        decision = page.locator(".decision-list")
        expect(decision).to_contain_text("Night buses on weekends come first.")
        expect(decision).to_contain_text("3 dots · 2 voters")

    # A fresh page gets the same from the snapshot alone.
    fresh = new_page(browser)
    open_view(fresh, room.link("observer"))
    expect(fresh.locator(".cheer-totals, .proposal-list").first).to_be_attached()
    boards = fresh.locator(".polls .battle-board")
    expect(boards.filter(has_text="Changes of side: 1 from Against to For.")).to_have_count(1)
    expect(
        boards.filter(has_text="Before (when first asked): For 100%, Against 0%.")
    ).to_have_count(1)
    expect(fresh.locator(".proposal-list")).to_contain_text(
        "merged into “Free bus passes for students”"
    )
    for page in (fac, alice, bob, obs, projector, fresh):
        assert page_errors(page) == []

"""A whole session in four browser contexts at once: facilitator, two participants and an
observer, from the agenda to the minutes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support import (
    PHONE,
    Room,
    archived_minutes,
    digest,
    join,
    new_page,
    open_view,
    organiser_minutes,
    page_errors,
    show_tab,
    start_session,
)

pytestmark = pytest.mark.browser
RANKED = " \u203a "  # how the page joins a ranking


def hands(page: Page) -> list[str]:
    return [name.split(" (")[0] for name in page.locator(".hands li .name").all_inner_texts()]


def add_item(page: Page, title: str, minutes: int) -> None:
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Minutes", exact=True).fill(str(minutes))
    page.get_by_role("button", name="Add item", exact=True).click()
    expect(page.locator(".agenda-list")).to_contain_text(title)


def test_whole_session_across_four_browsers(browser: Browser, room: Room) -> None:
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    alice = new_page(browser, size=PHONE)
    join(alice, room.link("participant"), "Alice")
    minjun = new_page(browser, lang="ko", size=PHONE)
    join(minjun, room.link("participant"), "김민준", lang="ko")
    obs = new_page(browser)
    open_view(obs, room.link("observer"))
    everyone = (fac, alice, minjun, obs)

    # The agenda, built in the console; fair order; the session and its first item start.
    add_item(fac, "Playground", 10)
    add_item(fac, "Lighting", 5)
    fac.get_by_role("button", name="Edit Lighting").click()
    fac.get_by_label("Title", exact=True).first.fill("Street lighting")
    fac.get_by_role("button", name="Save", exact=True).click()
    expect(obs.locator(".agenda-list")).to_contain_text("Street lighting")
    fac.get_by_role("button", name="Move Street lighting up").click()
    expect(obs.locator(".agenda-list li").first).to_contain_text("Street lighting")
    fac.get_by_role("button", name="Move Street lighting down").click()
    expect(obs.locator(".agenda-list li").first).to_contain_text("Playground")
    show_tab(fac, "settings")
    fac.get_by_label("Queue order").select_option("fair")
    fac.get_by_role("button", name="Apply settings").click()
    expect(obs.locator(".queue")).to_contain_text("people who have not spoken")
    start_session(fac)
    fac.get_by_role("button", name="Start item", exact=True).first.click()
    for page in everyone:
        expect(page.locator(".current-item")).to_contain_text("Playground")
        expect(page.locator(".current-item .countdown")).to_contain_text(re.compile(r"\d:\d\d"))

    # Alice speaks first, posts a statement while she has the floor, then yields.
    alice.get_by_role("button", name="Raise hand", exact=True).click()
    expect(alice.locator(".position")).to_contain_text("You are next")
    fac.get_by_role("button", name="Grant floor to next", exact=True).click()
    expect(alice.get_by_role("button", name="Yield the floor")).to_be_visible()
    expect(obs.locator(".floor .speaker")).to_have_text("Alice")
    alice.get_by_label("Your statement").fill("The swings are broken since May.")
    alice.get_by_role("button", name="Post statement", exact=True).click()
    alice.get_by_role("button", name="Yield the floor", exact=True).click()
    for page in everyone:
        expect(page.locator(".feed-list")).to_contain_text("The swings are broken since May.")
        expect(page.locator(".floor")).not_to_contain_text("Alice")

    # Fair order: Alice raises first but has spoken, so Minjun (who has not) goes ahead.
    alice.get_by_role("button", name="Raise hand", exact=True).click()
    expect(fac.locator(".hands li")).to_have_count(1)
    minjun.get_by_role("button", name="손들기", exact=True).click()
    for page in (fac, obs, alice):
        expect(page.locator(".hands li")).to_have_count(2)
        assert hands(page) == ["김민준", "Alice"]
    expect(alice.locator(".position")).to_contain_text("number 2")
    expect(minjun.locator(".position")).to_contain_text("다음 차례")
    fac.get_by_role("button", name="Grant floor to next", exact=True).click()
    expect(minjun.get_by_role("button", name="발언 마치기")).to_be_visible()
    expect(alice.locator(".position")).to_contain_text("You are next")
    minjun.get_by_role("button", name="발언 마치기", exact=True).click()
    expect(fac.locator(".floor")).to_contain_text("Nobody has the floor")
    fac.get_by_role("button", name="Lower Alice's hand").click()
    expect(fac.locator(".hands li")).to_have_count(0)

    # A question, upvoted by the other participant, moved into the speaking queue.
    minjun.get_by_label("질문 내용").fill("예산은 얼마인가요?")
    minjun.get_by_role("button", name="질문하기", exact=True).click()
    alice.get_by_role("button", name=re.compile("^Upvote: ")).click()
    expect(fac.locator(".question-list")).to_contain_text("Upvotes: 1")
    expect(obs.locator(".question-list")).to_contain_text("Upvotes: 1")
    show_tab(fac, "questions")
    fac.get_by_role("button", name="Move asker to queue").click()
    for page in (fac, obs):
        expect(page.locator(".hands li")).to_have_count(1)
        assert hands(page) == ["김민준"]

    # A ranked poll: both vote (Alice reorders first), the facilitator closes it, all see
    # the count with its winner (both rank Swings first).
    show_tab(fac, "polls")
    fac.get_by_label("Question", exact=True).fill("What comes first?")
    fac.get_by_label("Kind", exact=True).select_option("ranked")
    fac.get_by_label("Options").fill("Swings\nBenches\nLights")
    fac.get_by_role("button", name="Create poll", exact=True).click()
    fac.get_by_role("button", name="Open poll", exact=True).click()
    expect(alice.locator(".poll")).to_contain_text("What comes first?")
    alice.get_by_role("button", name="Move Lights up").click()
    alice.get_by_role("button", name="Vote", exact=True).click()
    expect(alice.locator(".my-vote")).to_contain_text(f"Swings{RANKED}Lights{RANKED}Benches")
    minjun.get_by_role("button", name="투표", exact=True).click()
    expect(minjun.locator(".my-vote")).to_contain_text(f"Swings{RANKED}Benches{RANKED}Lights")
    expect(fac.locator(".live-poll")).to_contain_text("2 voted")
    fac.get_by_role("button", name="Close poll", exact=True).click()
    for page in everyone:
        results = page.locator(".polls .results")
        expect(results).to_be_visible()
        expect(results).to_contain_text(re.compile("2 voted|2명 투표"))
        expect(page.locator(".polls .results .winner")).to_contain_text("Swings")

    # A decision linked to the poll, with the minority view.
    show_tab(fac, "decisions")
    fac.get_by_label("Decision", exact=True).fill("Repair the swings first.")
    fac.get_by_label("Linked poll").select_option(label="What comes first?")
    fac.get_by_label("Dissent or minority view").fill("Some want lights before winter.")
    fac.get_by_role("button", name="Record decision", exact=True).click()
    for page in everyone:
        expect(page.locator(".decision-list")).to_contain_text("Repair the swings first.")
        expect(page.locator(".decision-list")).to_contain_text("Some want lights before winter.")

    # Snapshot + events == a fresh snapshot: a new observer and a reloaded participant hold
    # exactly what the pages that followed every event hold.
    fresh = new_page(browser)
    open_view(fresh, room.link("observer"))
    assert digest(fresh) == digest(obs)
    live = digest(alice)
    alice.reload()
    expect(alice.locator("body[data-status='live']")).to_be_attached()
    expect(alice.locator(".decision-list")).to_contain_text("Repair the swings first.")
    assert digest(alice) == live

    # The end: everyone is told, and the facilitator downloads the minutes.
    asked: list[str] = []
    fac.once("dialog", lambda dialog: asked.append(dialog.message))
    fac.get_by_role("button", name="End session", exact=True).click()
    for page in everyone:
        expect(page.locator("[data-banner='ended']")).to_be_visible()
    assert asked == ["End the session for everyone? This cannot be undone."]
    fac.get_by_role("button", name="Export minutes", exact=True).click()
    link = fac.get_by_role("link", name="Minutes as Markdown")
    href = link.get_attribute("href") or ""
    assert href.startswith(f"/api/townhalls/{room.id}/minutes.md")
    # The minutes as the organiser exports them, checked for what happened.
    minutes = organiser_minutes(room)
    for text in (
        "Playground",
        "Alice",
        "김민준",
        "The swings are broken since May.",
        "Repair the swings first.",
        "Some want lights before winter.",
        "What comes first?",
        "예산은 얼마인가요?",
    ):
        assert text in minutes
    for page in everyone:
        assert page_errors(page) == []
        # One order, no gap: every seq arrived once, in order (withheld ones included).
        seen = page.evaluate("window.townhall.seen")
        assert seen == list(range(seen[0], seen[0] + len(seen)))
        assert page.evaluate("window.townhall.conn.gapAt ?? null") is None
    # The console's own link: the same document, fetched with the facilitator's link.
    status, body = archived_minutes(fac, room.base + href)
    assert status == 200, body
    assert body == minutes

"""Moderation as the participant sees it: the lobby, mute and removal each show a clear
banner, and the facilitator's controls for them work (removal asks to confirm)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from e2e.support import Room, join, new_page, open_view, show_tab, start_session

pytestmark = pytest.mark.browser


def test_lobby_mute_and_remove(browser: Browser, room: Room) -> None:
    fac = new_page(browser)
    open_view(fac, room.link("facilitator"))
    start_session(fac)
    fac.get_by_role("switch", name="Lobby", exact=True).click()
    expect(fac.get_by_role("switch", name="Lobby", exact=True)).to_have_attribute(
        "aria-checked", "true"
    )

    watcher = new_page(browser)  # the public never sees the lobby, only the admission
    open_view(watcher, room.link("observer"))
    guest = new_page(browser)
    join(guest, room.link("participant"), "Guest")
    expect(guest.locator("[data-banner='lobby']")).to_be_visible()
    expect(guest.get_by_role("button", name="Raise hand")).to_be_disabled()
    show_tab(fac, "people")
    fac.get_by_role("button", name="Admit Guest").click()
    expect(guest.locator("[data-banner='lobby']")).to_have_count(0)
    expect(guest.get_by_role("button", name="Raise hand")).to_be_enabled()

    fac.get_by_role("button", name="Mute Guest").click()
    expect(guest.locator("[data-banner='muted']")).to_be_visible()
    expect(guest.get_by_role("button", name="Post statement")).to_be_disabled()
    fac.get_by_role("button", name="Unmute Guest").click()
    expect(guest.locator("[data-banner='muted']")).to_have_count(0)

    # The floor, a transcript line, and a statement hidden with a reason.
    guest.get_by_role("button", name="Raise hand", exact=True).click()
    fac.get_by_role("button", name="Grant floor to next", exact=True).click()
    expect(watcher.locator(".floor .speaker")).to_have_text("Guest")  # a name, not an id
    show_tab(fac, "statements")
    fac.get_by_label("Transcript for the current speaker").fill("Captioned words")
    fac.get_by_role("button", name="Add to transcript").click()
    expect(guest.locator(".feed-list .transcript")).to_contain_text("Captioned words")
    guest.get_by_label("Your statement").fill("Something rude")
    guest.get_by_role("button", name="Post statement").click()
    expect(fac.locator(".feed-list")).to_contain_text("Something rude")
    fac.locator(".feed-list li", has_text="Something rude").get_by_role(
        "button", name="Hide"
    ).click()
    fac.get_by_label("Reason for hiding").fill("Off topic")
    fac.get_by_role("button", name="Hide statement").click()
    expect(guest.locator(".feed-list")).to_contain_text("Hidden by a facilitator: Off topic")
    expect(guest.locator(".feed-list")).not_to_contain_text("Something rude")

    fac.get_by_role("switch", name="Lock room").click()
    expect(fac.get_by_role("switch", name="Lock room")).to_have_attribute("aria-checked", "true")

    messages: list[str] = []
    fac.once("dialog", lambda dialog: messages.append(dialog.message))
    show_tab(fac, "people")
    fac.get_by_role("button", name="Remove Guest").click()
    expect(fac.locator(".people-list")).to_contain_text("Removed")
    expect(guest.locator("[data-banner='removed']")).to_be_visible()
    expect(guest.locator("[data-banner='removed']")).to_contain_text("You were removed")
    assert messages
    assert "Guest" in messages[0]
    # Every act is on the record, with who did it and why.
    log = fac.locator(".moderation-list")
    for line in (
        "admitted — Guest",
        "muted — Guest",
        "unmuted — Guest",
        "hid a statement by — Guest (Off topic)",
        "locked the room",
        "removed — Guest",
    ):
        expect(log).to_contain_text(line)
    # The removed page stays out: it does not slip back in through the shared link.
    guest.context.set_offline(True)
    guest.context.set_offline(False)
    expect(guest.locator("[data-banner='removed']")).to_be_visible()
    assert guest.evaluate("window.townhall.snapshots") == 1

"""Roll access in the console, in Chromium: create a town hall for members only, import
the roll from a CSV file, see each member's personal link with "Copy link" and a QR code,
record a proxy and revoke it; a member's personal link opens the meeting."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, FilePayload, expect

from e2e.support import axe_violations, describe, new_page, page_errors
from e2e.test_console import sign_in

pytestmark = pytest.mark.browser

CSV = '\ufeffname,ref\nKim Minsu,M-1\n"Lee, Jiwon",M-2\n\nPark Hana,M-3\n'.encode()


def test_roll_import_personal_links_and_proxies(browser: Browser, server: str) -> None:
    page = new_page(browser)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    sign_in(page, server)
    page.get_by_role("link", name="New town hall").click()
    page.get_by_label("Title", exact=True).fill("Members' assembly")
    page.get_by_label("Access").select_option("roll")
    page.get_by_role("button", name="Create", exact=True).click()
    roll = page.locator("section.roll")
    expect(roll.get_by_role("heading", name=re.compile("Roll"))).to_be_visible()
    expect(roll).to_contain_text("Nobody is on the roll yet")

    # A file without a header row naming "name" is refused with a clear message.
    page.get_by_label("Import roll (CSV)").set_input_files(
        files=[FilePayload(name="bad.csv", mimeType="text/csv", buffer=b"Kim,M-1\n")]
    )
    expect(page.locator("#errors")).to_contain_text("must name the columns")
    page.get_by_label("Import roll (CSV)").set_input_files(
        files=[FilePayload(name="members.csv", mimeType="text/csv", buffer=CSV)]
    )
    table = roll.locator(".roll-table")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text("Lee, Jiwon")
    cards = roll.locator(".personal-card")
    expect(cards).to_have_count(3)
    url = page.get_by_role("textbox", name="Personal link of Kim Minsu").input_value()
    assert "token=" in url
    page.get_by_role("button", name="Copy the personal link of Kim Minsu").click()
    assert page.evaluate("navigator.clipboard.readText()") == url
    qr = page.get_by_role("img", name="QR code for the personal link of Lee, Jiwon")
    expect(qr).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0

    assert describe(axe_violations(page)) == describe([])  # the roll, links, QR codes

    # A proxy: Park gives hers to Kim; listed, then revoked.
    page.get_by_label("Member giving the proxy").select_option("M-3")
    page.get_by_label("Member holding it").select_option("M-1")
    page.get_by_role("button", name="Record proxy").click()
    expect(roll.locator(".proxy-list")).to_contain_text("Park Hana → Kim Minsu")
    expect(table.locator("tr", has_text="Park Hana")).to_contain_text("Kim Minsu")
    expect(cards).to_have_count(3)  # the links made on this page stay while proxies are set
    page.get_by_role("button", name="Revoke the proxy of Park Hana").click()
    expect(roll).to_contain_text("No proxies recorded.")

    # The member's link opens the meeting as that member: no name asked.
    member = new_page(browser)
    member.goto(url)
    expect(member.get_by_role("heading", name="Members' assembly")).to_be_visible()
    expect(member.locator("body[data-status='live']")).to_be_attached()
    expect(member.get_by_label("Your name", exact=True)).to_have_count(0)
    assert page_errors(page) == []

"""Documents of agenda items in Chromium: the organiser adds a web link to an item in the
console, uploads a PDF for it, and participants see both as links; the PDF opens as an
attachment. A file that is not a PDF or an image is refused with a clear message."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, FilePayload, expect

from e2e.support import axe_violations, describe, join, new_page, page_errors
from e2e.test_console import link_card, sign_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


def test_documents_are_attached_uploaded_and_shown(browser: Browser, server: str) -> None:
    page = new_page(browser)
    sign_in(page, server)
    page.get_by_role("link", name="New town hall").click()
    page.get_by_label("Title", exact=True).fill("Budget hearing")
    page.get_by_role("button", name="Add agenda item").click()
    page.get_by_label("Item title").fill("Budget 2027")
    page.get_by_label("Minutes", exact=True).fill("30")
    page.get_by_role("button", name="Add document").click()
    page.get_by_label("Document title").fill("Budget summary")
    page.get_by_label("Document URL").fill("https://city.example/budget-summary")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Budget hearing"))).to_be_visible()
    participant = link_card(page, "participant").locator("input").input_value()

    # Edit: upload a PDF for the item; it becomes a second document.
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Document title")).to_have_value("Budget summary")
    page.get_by_label("Upload file for item 1").set_input_files(
        files=[FilePayload(name="budget-2027.pdf", mimeType="application/pdf", buffer=PDF)]
    )
    expect(page.get_by_label("Document title").nth(1)).to_have_value("budget-2027")
    uploaded = page.get_by_label("Document URL").nth(1).input_value()
    assert re.search(r"/api/townhalls/[^/]+/uploads/[\w-]+$", uploaded)
    # A file that only claims to be a PDF is refused, and says why.
    page.get_by_label("Upload file for item 1").set_input_files(
        files=[FilePayload(name="evil.pdf", mimeType="application/pdf", buffer=b"<html>x</html>")]
    )
    expect(page.locator("#errors")).to_contain_text("Only PDF, PNG, JPEG, GIF and WebP")
    expect(page.get_by_label("Document URL")).to_have_count(2)
    assert describe(axe_violations(page)) == describe([])  # the editor with its documents
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Budget hearing"))).to_be_visible()

    # A participant sees both documents under the item, as links that open apart.
    guest = new_page(browser)
    join(guest, participant, "Mina")
    docs = guest.locator(".agenda .documents")
    expect(docs.get_by_role("link", name="Budget summary")).to_have_attribute(
        "href", "https://city.example/budget-summary"
    )
    pdf_link = docs.get_by_role("link", name="budget-2027")
    expect(pdf_link).to_have_attribute("rel", "noopener noreferrer")
    with guest.expect_download() as download:
        pdf_link.click()
    assert download.value.suggested_filename == "budget-2027.pdf"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == PDF
    served = httpx.get(uploaded)
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert page_errors(guest) == []
    assert page_errors(page) == []

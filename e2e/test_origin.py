"""A page opened at an address the server does not accept says so, in words, and stops:
no endless "Reconnecting…" (close code 4004, origin_not_allowed)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, WebSocket, expect

from e2e.support import DESKTOP, ORGANISER_KEY, PHONE, create_room, new_page, page_errors
from tests import services

pytestmark = pytest.mark.browser

TEXT = {
    "en": "This server does not accept pages opened at",
    "ko": "이 서버는",
}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_page_at_an_unknown_address_explains_and_stops(
    browser: Browser, worker_pool: services.WorkerPool, lang: str
) -> None:
    # The server is told it lives at another address, as behind a proxy whose domain
    # the person bypasses; the page is opened at the worker's own address.
    (worker,) = worker_pool.start(
        1,
        env={
            "TOWNHALL_ORGANISER_KEY": ORGANISER_KEY,
            "TOWNHALL_PUBLIC_URL": "https://townhall.example.org",
        },
    )
    room = create_room(worker.url)
    link = room.link("observer").replace("https://townhall.example.org", worker.url)
    for size_name, size in (("desktop", DESKTOP), ("mobile", PHONE)):
        page = new_page(browser, lang=lang, size=size)
        sockets: list[WebSocket] = []

        def opened(ws: WebSocket, seen: list[WebSocket] = sockets) -> None:
            seen.append(ws)

        page.on("websocket", opened)
        page.goto(link)
        banner = page.locator("[data-banner='refused']")
        expect(banner).to_contain_text(TEXT[lang])
        expect(banner).to_contain_text(worker.url)
        expect(page.locator("body[data-status='closed']")).to_be_attached()
        source = page.get_by_role("link", name={"en": "Source", "ko": "소스 코드"}[lang])
        expect(source).to_have_attribute("href", "/source")  # AGPL-3.0 section 13
        # Reconnects start 250 ms after a drop: two seconds would have seen several.
        page.wait_for_timeout(2000)
        assert len(sockets) == 1
        assert page_errors(page) == []
        shots = os.environ.get("TOWNHALL_SCREENSHOTS")
        if shots:
            page.screenshot(path=str(Path(shots) / f"origin-refused-{lang}-{size_name}.png"))
        page.context.close()
    # The log says what to set, once.
    log = worker.log.read_text()
    assert log.count(f"WebSocket from origin {worker.url} refused") == 1
    assert "--public-url" in log

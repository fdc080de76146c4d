"""Screenshots of roll access (SPEC §7), in English and Korean, at 1280 px and 360 px.

    .venv/bin/python -m e2e.roll_screenshots [OUT_DIR]     (default: docs/screenshots)

The shared link's members-only page; a giver of a proxy and its holder during a secret
poll (the note saying who votes for whom, the tally in person and by proxy) with the
record's head in the footer. Starts its own ``townhall serve`` on a free port.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, ViewportSize, expect

from e2e.shooting import run
from e2e.support import ORGANISER_KEY

ROOT = Path(__file__).resolve().parent.parent
SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 800},
    "mobile": {"width": 360, "height": 780},
}
NAMES = {"en": ["Kim", "Lee", "Park"], "ko": ["김민준", "이서연", "박지호"]}
TITLES = {"en": "Annual general assembly 2027", "ko": "2027 정기총회"}
QUESTIONS = {"en": "Adopt the budget?", "ko": "예산안을 승인합니까?"}


def _page(browser: Browser, url: str, lang: str, size: ViewportSize) -> Page:
    context = browser.new_context(
        viewport=size, locale="ko-KR" if lang == "ko" else "en-US", reduced_motion="reduce"
    )
    page = context.new_page()
    page.goto(url)
    return page


def _send(page: Page, type: str, data: dict[str, Any]) -> Any:
    return page.evaluate("([type, data]) => townhall.conn.send(type, data)", [type, data])


def shoot(browser: Browser, base: str, out: Path) -> list[Path]:
    saved: list[Path] = []
    for lang in ("en", "ko"):
        for size_name, size in SIZES.items():
            roll = [{"name": n, "ref": f"A-{i}"} for i, n in enumerate(NAMES[lang], 1)]
            body = {"title": TITLES[lang], "language": lang, "access": "roll", "roll": roll,
                    "proxies": [{"from": "A-2", "to": "A-1"}]}  # fmt: skip
            headers = {"Authorization": f"Bearer {ORGANISER_KEY}"}
            created = httpx.post(f"{base}/api/townhalls", json=body, headers=headers).json()
            personal = {m["ref"]: m["url"] for m in created["links"]["personal"]}
            stranger = _page(browser, created["links"]["participant"], lang, size)
            expect(stranger.locator("[data-refused='roll_only']")).to_be_visible()
            pages = {"only": stranger}
            fac = _page(browser, created["links"]["facilitator"], lang, size)
            members = [_page(browser, personal[f"A-{i}"], lang, size) for i in (1, 2, 3)]
            for page in (fac, *members):
                expect(page.locator("body[data-status='live']")).to_be_attached()
            _send(fac, "session.start", {})
            poll = {"question": QUESTIONS[lang], "kind": "yes_no_abstain", "eligible": "roll",
                    "quorum_share": 0.5}  # fmt: skip
            made = _send(fac, "poll.create", poll)["result"]["poll"]
            _send(fac, "poll.open", {"poll": made})
            for page in members:
                expect(page.locator(".poll")).to_have_count(1)
            _send(members[0], "poll.vote", {"poll": made, "choice": 0})
            _send(members[2], "poll.vote", {"poll": made, "choice": 1})
            expect(members[1].locator(".by-proxy")).to_be_visible()
            pages.update(giver=members[1], holder=members[0])
            for view, page in pages.items():
                path = out / f"roll-{view}-{lang}-{size_name}.png"
                page.screenshot(path=str(path), full_page=True)
                saved.append(path)
            for page in (stranger, fac, *members):
                page.context.close()
    return saved


if __name__ == "__main__":
    sys.exit(run(shoot, sys.argv))

"""Screenshots of the console's documents and roll parts, in English and Korean.

    .venv/bin/python -m e2e.console_screenshots [OUT_DIR]     (default: docs/screenshots)

The agenda editor with an item's documents (a link and an uploaded PDF), a participant's
agenda showing them, and a roll-mode town hall after a CSV import (members, personal
links with QR codes, a proxy). Starts its own ``townhall serve`` on a free port.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from playwright.sync_api import Browser, FilePayload, Page

from e2e.shooting import run
from e2e.support import DESKTOP, ORGANISER_KEY, new_page

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": f"Bearer {ORGANISER_KEY}"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
TEXT = {
    "en": {
        "title": "Budget hearing 2027",
        "item": "Parks budget",
        "doc": "Budget summary",
        "desc": "The draft is at https://city.example/budget (page 4).",
        "roll": "Members' assembly",
        "csv": "name,ref\nKim Minsu,M-1\nLee Jiwon,M-2\nPark Hana,M-3\n",
    },
    "ko": {
        "title": "2027 예산 공청회",
        "item": "공원 예산",
        "doc": "예산 요약",
        "desc": "초안은 https://city.example/budget 에 있습니다(4쪽).",
        "roll": "정기총회",
        "csv": "name,ref\n김민수,M-1\n이지원,M-2\n박하나,M-3\n",
    },
}


def sign_in(page: Page, base: str, lang: str) -> None:
    page.goto(f"{base}/console")
    page.get_by_label("주최자 키" if lang == "ko" else "Organiser key").fill(ORGANISER_KEY)
    page.locator("form.console-sign-in button[type=submit]").click()
    page.locator(".console-list").wait_for()


def shoot(browser: Browser, base: str, out: Path) -> list[Path]:
    saved: list[Path] = []
    for lang, text in TEXT.items():
        made = httpx.post(
            f"{base}/api/townhalls",
            headers=AUTH,
            timeout=10,
            json={"title": text["title"], "language": lang, "agenda": [
                {"title": text["item"], "duration_s": 1200, "description": text["desc"],
                 "documents": [{"title": text["doc"], "url": "https://city.example/budget"}]},
            ]},
        ).json()  # fmt: skip
        room = made["id"]
        upload = httpx.post(
            f"{base}/api/townhalls/{room}/uploads",
            params={"filename": "budget-2027.pdf"},
            content=PDF,
            headers={**AUTH, "content-type": "application/pdf"},
            timeout=10,
        ).json()
        docs = [
            {"title": text["doc"], "url": "https://city.example/budget"},
            {"title": "budget-2027.pdf", "url": upload["url"]},
        ]
        agenda = [{"title": text["item"], "duration_s": 1200, "description": text["desc"],
                   "documents": docs}]  # fmt: skip
        httpx.patch(f"{base}/api/townhalls/{room}", json={"agenda": agenda}, headers=AUTH)
        page = new_page(browser, lang=lang, size=DESKTOP)
        sign_in(page, base, lang)
        page.goto(f"{base}/console#th/{room}/edit")
        page.locator(".doc-row").first.wait_for()
        path = out / f"console-documents-{lang}-desktop.png"
        page.locator("fieldset").first.screenshot(path=str(path))
        saved.append(path)
        guest = new_page(browser, lang=lang, size=DESKTOP)
        guest.goto(made["links"]["observer"])
        guest.locator(".agenda .documents").first.wait_for()
        path = out / f"agenda-documents-{lang}-desktop.png"
        guest.screenshot(path=str(path), full_page=True)
        saved.append(path)

        roll = httpx.post(
            f"{base}/api/townhalls",
            json={"title": text["roll"], "language": lang, "access": "roll"},
            headers=AUTH,
            timeout=10,
        ).json()
        page.goto(f"{base}/console#th/{roll['id']}")
        page.locator("section.roll input[type=file]").set_input_files(
            files=[FilePayload(name="roll.csv", mimeType="text/csv", buffer=text["csv"].encode())]
        )
        page.locator(".personal-card").first.wait_for()
        page.locator("#proxy-from").select_option("M-3")
        page.locator("#proxy-to").select_option("M-1")
        page.locator("section.roll form.inline-form button[type=submit]").last.click()
        page.locator(".proxy-list").wait_for()
        page.locator(".personal-card").first.wait_for()
        path = out / f"console-roll-{lang}-desktop.png"
        page.locator("section.roll").screenshot(path=str(path))
        saved.append(path)
        for p in (page, guest):
            p.context.close()
    return saved


if __name__ == "__main__":
    sys.exit(run(shoot, sys.argv))

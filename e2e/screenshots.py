"""Screenshots of every view, in English and Korean, at desktop and 360 px widths.

    .venv/bin/python -m e2e.screenshots [OUT_DIR]     (default: docs/screenshots)

Starts its own ``townhall serve`` on a free port with a throw-away data directory, stages
a room in mid-session through the pages (e2e/staging.py) and saves one PNG per view.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, ViewportSize

from e2e.shooting import run
from e2e.staging import TEXT, stage
from e2e.support import DESKTOP, ORGANISER_KEY, PHONE, create_room, new_page

ROOT = Path(__file__).resolve().parent.parent
TITLES = {"en": "Riverside park renovation", "ko": "강변 공원 정비 주민 회의"}
SIZES: dict[str, ViewportSize] = {"desktop": DESKTOP, "mobile": PHONE}


def shoot(browser: Browser, base: str, out: Path) -> list[Path]:
    saved: list[Path] = []
    for lang in ("en", "ko"):
        for size_name, size in SIZES.items():
            room = create_room(base, title=TITLES[lang], agenda=[])
            staged = stage(browser, room, lang, size)
            for view, page in staged.views().items():
                path = out / f"{view}-{lang}-{size_name}.png"
                page.screenshot(path=str(path), full_page=True)
                saved.append(path)
            joining = new_page(browser, lang=lang, size=size)
            joining.goto(room.link("participant"))
            joining.locator("form.join").wait_for()
            path = out / f"join-{lang}-{size_name}.png"
            joining.screenshot(path=str(path), full_page=True)
            saved.append(path)
            for page in (*staged.views().values(), staged.speaker, joining):
                page.context.close()
        saved += console_views(browser, base, lang, out)
    return saved


def console_views(browser: Browser, base: str, lang: str, out: Path) -> list[Path]:
    """The organiser console (list, one town hall with its links), the waiting view of a
    scheduled meeting, the ended view with its minutes, and the minutes' first PDF page."""
    import httpx

    saved: list[Path] = []
    auth = {"Authorization": f"Bearer {ORGANISER_KEY}"}
    body = {
        "title": TITLES[lang],
        "language": lang,
        "starts_at": "2031-05-04T19:00:00+09:00",
        "timezone": "Asia/Seoul",
        "place": "시청 3층" if lang == "ko" else "City hall, room 3",
        "agenda": [{"title": t, "duration_s": m * 60} for t, m in TEXT[lang].items],
    }
    made = httpx.post(f"{base}/api/townhalls", json=body, headers=auth, timeout=10).json()
    page = new_page(browser, lang=lang, size=DESKTOP)
    page.goto(f"{base}/console")
    page.get_by_label("주최자 키" if lang == "ko" else "Organiser key").fill(ORGANISER_KEY)
    page.locator("form.console-sign-in button[type=submit]").click()
    page.locator(".console-list").wait_for()
    for name, hash_ in (
        ("list", ""),
        ("townhall", f"#th/{made['id']}"),
        ("handout", f"#th/{made['id']}/handout"),
    ):
        page.goto(f"{base}/console{hash_}")
        page.locator(".console-list, .th-detail, .handout").first.wait_for()
        page.wait_for_timeout(300)
        path = out / f"console-{name}-{lang}-desktop.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    waiting = new_page(browser, lang=lang, size=PHONE)
    waiting.goto(made["links"]["observer"])
    waiting.locator(".waiting .countdown").wait_for()
    path = out / f"waiting-{lang}-mobile.png"
    waiting.screenshot(path=str(path), full_page=True)
    saved.append(path)
    # The staged rooms above ended? No: end this one and show the ended view and the PDF.
    room = create_room(base, title=TITLES[lang], agenda=[], language=lang)
    staged = stage(browser, room, lang, DESKTOP)
    staged.facilitator.locator("[data-k='end-session']").click()
    staged.facilitator.locator("[data-banner='ended']").wait_for()
    ended = new_page(browser, lang=lang, size=DESKTOP)
    ended.goto(room.link("participant"))
    ended.locator("body[data-minutes='shown']").wait_for(timeout=60_000)
    path = out / f"ended-{lang}-desktop.png"
    ended.screenshot(path=str(path), full_page=False)
    saved.append(path)
    pdf = httpx.get(f"{base}/api/townhalls/{room.id}/minutes.pdf", headers=auth, timeout=60)
    target = out / f"minutes-{lang}.pdf"
    target.write_bytes(pdf.content)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "70",
            "-png",
            "-f",
            "1",
            "-l",
            "2",
            str(target),
            str(out / f"minutes-{lang}-page"),
        ],
        check=True,
    )
    target.unlink()
    saved += sorted(out.glob(f"minutes-{lang}-page*.png"))
    for p in (page, waiting, ended, *staged.views().values(), staged.speaker):
        p.context.close()
    return saved


if __name__ == "__main__":
    sys.exit(run(shoot, sys.argv))

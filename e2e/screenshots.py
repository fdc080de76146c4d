"""Screenshots of every view, in English and Korean, at desktop and 360 px widths.

    .venv/bin/python -m e2e.screenshots [OUT_DIR]     (default: docs/screenshots)

Starts its own ``townhall serve`` on a free port with a throw-away data directory, stages
a room in mid-session through the pages (e2e/staging.py) and saves one PNG per view.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, ViewportSize, sync_playwright

from e2e.staging import stage
from e2e.support import DESKTOP, ORGANISER_KEY, PHONE, create_room, new_page
from tests.services import WorkerPool, chromium_path

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
    return saved


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    executable = chromium_path()
    if executable is None:
        print("Chromium is needed: apt-get install chromium fonts-noto-cjk", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        pool = WorkerPool(base_dir=Path(tmp), env={"TOWNHALL_ORGANISER_KEY": ORGANISER_KEY})
        try:
            (worker,) = pool.start(1)
            browser = playwright.chromium.launch(
                executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
            )
            for path in shoot(browser, worker.url, out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            browser.close()
        finally:
            pool.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

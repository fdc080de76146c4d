"""The runner every screenshot script shares: one real worker, Debian's Chromium, the
script's ``shoot(browser, base_url, out)``; prints each file it saved.

    .venv/bin/python -m e2e.screenshots [OUT_DIR]   (default docs/screenshots)
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from e2e.support import ORGANISER_KEY
from tests.services import WorkerPool, chromium_path

__all__ = ["ROOT", "run"]

ROOT = Path(__file__).resolve().parent.parent

Shoot = Callable[[Browser, str, Path], list[Path]]


def run(shoot: Shoot, argv: list[str]) -> int:
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
                executable_path=executable,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            for path in shoot(browser, worker.url, out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            browser.close()
        finally:
            pool.stop_all()
    return 0

"""Screenshots of issue 15's formats (SPEC §10), in English and Korean: the battle's
situation board in the participant view (1280 px and 360 px) and on the projector
(1280x800, 1920x1080 and 360 px), with proposals and the cheer buttons, and the console
with the battle on its board and the Proposals tab (1280x800); then the dot
ballot and, after the reveal, the cheer totals on the projector.

    .venv/bin/python -m e2e.formats_screenshots [OUT_DIR]     (default: docs/screenshots)

Starts its own ``townhall serve`` on a free port.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, ViewportSize, expect

from e2e.shooting import run
from e2e.support import create_room, join, new_page, open_view, show_tab

ROOT = Path(__file__).resolve().parent.parent
WIDE: ViewportSize = {"width": 1280, "height": 800}
SCREENS: dict[str, ViewportSize] = {
    "desktop": WIDE,
    "1920": {"width": 1920, "height": 1080},
    "mobile": {"width": 360, "height": 780},
}
TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Free buses? A policy battle",
        "item": "Policy battle: free public transport",
        "presenters": ["Dr. Kim Haneul", "Prof. Lee Jun"],
        "question": "Should the city make buses free for everyone?",
        "sides": ["For: free buses", "Against: fund more routes"],
        "me": "Alice",
        "voters": ["Kim", "Lee", "Park", "Choi", "Jung"],
        "proposals": ["Free passes for students first", "Night buses on weekends"],
        "dot": "What should come first?",
    },
    "ko": {
        "title": "무상 버스? 정책배틀",
        "item": "정책배틀: 대중교통 무상화",
        "presenters": ["김하늘 박사", "이준 교수"],
        "question": "시가 모든 시민에게 버스를 무료로 해야 할까요?",
        "sides": ["찬성: 버스 무상화", "반대: 노선 확충에 투자"],
        "me": "지민",
        "voters": ["김민준", "이서연", "박지호", "최유나", "정하은"],
        "proposals": ["학생 무료 이용권부터", "주말 심야버스 운행"],
        "dot": "무엇을 먼저 할까요?",
    },
}


def _send(page: Page, type: str, data: dict[str, Any]) -> Any:
    return page.evaluate("([type, data]) => townhall.conn.send(type, data)", [type, data])


def _shot(page: Page, path: Path, size: ViewportSize, saved: list[Path]) -> None:
    page.set_viewport_size(size)
    page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=size["width"] < 700)
    saved.append(path)


def shoot(browser: Browser, base: str, out: Path) -> list[Path]:
    saved: list[Path] = []
    for lang, text in TEXT.items():
        room = create_room(base, title=text["title"], agenda=[], language=lang)
        fac = new_page(browser, lang=lang)
        open_view(fac, room.link("facilitator"))
        me = new_page(browser, lang=lang, size=WIDE)
        join(me, room.link("participant"), text["me"], lang=lang)
        voters = []
        for name in text["voters"]:
            page = new_page(browser, lang=lang)
            join(page, room.link("participant"), name, lang=lang)
            voters.append(page)
        projector = new_page(browser, lang=lang, size=WIDE)
        open_view(projector, room.link("observer") + "&view=projector")
        added = {"title": text["item"], "duration_s": 1800, "presenters": text["presenters"]}
        item = _send(fac, "agenda.add", added)["result"]["item"]
        _send(fac, "session.start", {})
        _send(fac, "agenda.start", {"item": item})
        for author, proposal in zip(voters, text["proposals"], strict=False):
            _send(author, "proposal.submit", {"text": proposal})
        battle = {"question": text["question"], "kind": "battle", "options": text["sides"]}
        made = _send(fac, "poll.create", battle)["result"]["poll"]
        _send(fac, "poll.open", {"poll": made})
        # The room moves: a first split, then people switch sides over a few seconds.
        for page, side in zip(voters, (0, 1, 1, 1, 0), strict=True):
            _send(page, "poll.vote", {"poll": made, "choice": side})
        me.get_by_role("button", name=text["sides"][1], exact=True).click()
        for page, side in ((voters[1], 0), (voters[2], 0), (voters[4], 1), (me, 0)):
            time.sleep(2.5)
            if page is me:
                me.get_by_role("button", name=text["sides"][0], exact=True).click()
            else:
                _send(page, "poll.vote", {"poll": made, "choice": side})
        for page in voters[:2]:
            _send(page, "cheer.send", {"presenter": text["presenters"][0]})
        expect(me.locator(".polls-open .battle-board .side-0 .side-share")).to_have_text("67%")
        expect(projector.locator(".pj-poll .battle-board .side-0 .side-share")).to_have_text("67%")
        for name, size in SCREENS.items():
            if name != "1920":
                _shot(me, out / f"battle-participant-{lang}-{name}.png", size, saved)
            _shot(projector, out / f"battle-projector-{lang}-{name}.png", size, saved)
        show_tab(fac, "proposals", lang=lang)
        _shot(fac, out / f"battle-console-{lang}-desktop.png", WIDE, saved)
        # The dot ballot from the promoted proposals, and the revealed cheers.
        ids = [p["id"] for p in me.evaluate("Object.values(townhall.state.proposals)")]
        _send(fac, "poll.close", {"poll": made})
        dotted = {"question": text["dot"], "kind": "dot", "votes_per_person": 3,
                  "max_per_option": 2, "from_proposals": ids}  # fmt: skip
        dot = _send(fac, "poll.create", dotted)["result"]["poll"]
        _send(fac, "poll.open", {"poll": dot})
        ballot = me.locator(".polls-open .dot-ballot")
        ballot.locator("button[data-k$='-0-up']").click()
        ballot.locator("button[data-k$='-1-up']").click()
        ballot.locator("button[data-k$='-1-up']").click()
        for page in voters:
            _send(page, "poll.vote", {"poll": dot, "choice": {"1": 1}})
        _send(fac, "cheer.reveal", {"item": item})
        expect(projector.locator(".pj-cheers .cheer-totals")).to_be_visible()
        _shot(me, out / f"dot-participant-{lang}-mobile.png", SCREENS["mobile"], saved)
        _shot(projector, out / f"dot-projector-{lang}-desktop.png", WIDE, saved)
        for page in (fac, me, projector, *voters):
            page.context.close()
    return saved


if __name__ == "__main__":
    sys.exit(run(shoot, sys.argv))

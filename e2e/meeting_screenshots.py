"""Screenshots of issue 15's meeting features (not the formats), in English and Korean, at
1280 px and 360 px.

    .venv/bin/python -m e2e.meeting_screenshots [OUT_DIR]     (default: docs/screenshots)

A premoderated room with auto-advancing items: an anonymous question approved, one
waiting for approval, one hidden with a reason; reactions (one pressed); two turns, a
lowered hand; live captions; the public moderation log opened. Saves the participant
(the asker: "waiting for approval", her reaction pressed, captions on, the log open), the
observer (the log open), the projector (caption line, temperature as shares) and the
console's Questions and Voice equity tabs. Starts its own ``townhall serve``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, ViewportSize, expect

from e2e.shooting import run
from e2e.support import create_room, join, new_page, open_view, show_tab

ROOT = Path(__file__).resolve().parent.parent
SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 800},
    "mobile": {"width": 360, "height": 780},
}
TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Riverside park renovation",
        "items": [("Playground repairs", 20), ("Street lighting", 15), ("Next steps", 10)],
        "names": ["Alice Moreau", "Sam Okafor", "Chris Lee"],
        "anonymous": "Who pays if the repairs cost more than planned?",
        "pending": "Can the works wait until the school holidays?",
        "hidden": "Why is the council always so useless?",
        "reason": "Not a question about the item",
        "captions": ["The swings will be replaced first.", "Benches follow in the spring."],
        "labels": {"question": "Your question", "anonymous": "Ask anonymously",
                   "ask": "Ask question", "captions": "Show live captions"},
        "agree": "Agree",
    },
    "ko": {
        "title": "강변 공원 정비 주민 회의",
        "items": [("놀이터 보수", 20), ("가로등 설치", 15), ("향후 일정", 10)],
        "names": ["김지민", "박서준", "이하은"],
        "anonymous": "보수 비용이 예상보다 많이 들면 누가 부담하나요?",
        "pending": "공사를 방학 때까지 미룰 수 있나요?",
        "hidden": "구청은 왜 항상 이 모양인가요?",
        "reason": "안건과 관련 없는 질문",
        "captions": ["그네를 먼저 교체합니다.", "벤치는 봄에 설치합니다."],
        "labels": {"question": "질문 내용", "anonymous": "익명으로 질문하기",
                   "ask": "질문하기", "captions": "실시간 자막 보기"},
        "agree": "동의",
    },
}  # fmt: skip


def _send(page: Page, type: str, data: dict[str, Any]) -> Any:
    return page.evaluate("([type, data]) => townhall.conn.send(type, data)", [type, data])


def _ask(page: Page, text: str, labels: dict[str, str], *, anonymous: bool = False) -> None:
    page.get_by_label(labels["question"], exact=True).fill(text)
    if anonymous:
        page.get_by_role("checkbox", name=labels["anonymous"]).check()
    page.get_by_role("button", name=labels["ask"], exact=True).click()
    expect(page.locator(".question-list")).to_contain_text(text)


def _question(fac: Page, text: str) -> str:
    found = fac.evaluate(
        "(text) => Object.values(townhall.state.questions).find((q) => q.text === text)?.id",
        text,
    )
    assert isinstance(found, str), text
    return found


def stage(browser: Browser, base: str, lang: str, size: ViewportSize) -> dict[str, Page]:
    text = TEXT[lang]
    labels = text["labels"]
    agenda = [{"title": t, "duration_s": m * 60} for t, m in text["items"]]
    room = create_room(base, title=text["title"], agenda=agenda, language=lang)
    fac = new_page(browser, lang=lang, size=size)
    open_view(fac, room.link("facilitator"))
    _send(fac, "session.start", {})
    settings = {"questions_premoderated": True, "auto_advance_items": True, "item_grace_s": 60}
    _send(fac, "room.settings", settings)
    first = fac.evaluate("townhall.state.agenda.order[0]")
    _send(fac, "agenda.start", {"item": first})
    people = []
    for name in text["names"]:
        page = new_page(browser, lang=lang, size=size)
        join(page, room.link("participant"), name, lang=lang)
        people.append(page)
    alice, sam, chris = people
    ids = [p.evaluate("townhall.state.you.participant") for p in people]

    # Questions: one anonymous and approved, one waiting, one hidden with a reason.
    _ask(alice, text["anonymous"], labels, anonymous=True)
    _send(fac, "question.approve", {"question": _question(fac, text["anonymous"])})
    _ask(sam, text["hidden"], labels)
    rude = _question(fac, text["hidden"])
    _send(fac, "question.approve", {"question": rude})
    _send(fac, "question.hide", {"question": rude, "reason": text["reason"]})
    _ask(alice, text["pending"], labels)
    expect(sam.locator(".question-list")).to_contain_text(text["anonymous"])
    _send(sam, "question.upvote", {"question": _question(fac, text["anonymous"])})

    # Two turns with captions, a hand lowered by the facilitator, one hand still up.
    _send(alice, "hand.raise", {})
    _send(fac, "floor.grant", {})
    _send(fac, "transcript.append", {"text": text["captions"][0]})
    _send(fac, "floor.end", {})
    _send(sam, "hand.raise", {})
    _send(fac, "floor.grant", {})
    _send(chris, "hand.raise", {})
    _send(fac, "hand.lower", {"participant": ids[2]})
    _send(fac, "transcript.append", {"text": text["captions"][1]})
    _send(chris, "hand.raise", {})

    # Reactions: Alice's pressed on her page, two more from the others.
    alice.get_by_role("button", name=re.compile(f"^{text['agree']} ")).click()
    expect(alice.locator("button[data-kind='agree'][aria-pressed='true']")).to_be_visible()
    _send(sam, "reaction.send", {"kind": "agree"})
    _send(chris, "reaction.send", {"kind": "unclear"})

    observer = new_page(browser, lang=lang, size=size)
    open_view(observer, room.link("observer"))
    projector = new_page(browser, lang=lang, size=size)
    open_view(projector, room.link("observer") + "&view=projector")
    alice.get_by_role("checkbox", name=labels["captions"]).check()
    expect(alice.locator(".caption-line")).to_contain_text(text["captions"][1])
    expect(projector.locator(".pj-caption")).to_contain_text(text["captions"][1])
    for page in (alice, observer):
        page.locator(".public-moderation summary").click()
        expect(page.locator(".public-moderation li")).to_have_count(6)
    return {"participant": alice, "observer": observer, "projector": projector, "console": fac}


def shoot(browser: Browser, base: str, out: Path) -> list[Path]:
    saved: list[Path] = []
    for lang in ("en", "ko"):
        for size_name, size in SIZES.items():
            pages = stage(browser, base, lang, size)
            for view in ("participant", "observer", "projector"):
                path = out / f"meeting-{view}-{lang}-{size_name}.png"
                pages[view].screenshot(path=str(path), full_page=view != "projector")
                saved.append(path)
            fac = pages["console"]
            if size_name == "desktop":
                # The console is one screen whose workspace scrolls inside itself: a taller
                # window shows a whole tab.
                fac.set_viewport_size({"width": 1280, "height": 1300})
            for tab in ("questions", "equity"):
                show_tab(fac, tab, lang=lang)
                path = out / f"meeting-{tab}-{lang}-{size_name}.png"
                fac.screenshot(path=str(path), full_page=True)
                saved.append(path)
            for page in pages.values():
                page.context.close()
    return saved


if __name__ == "__main__":
    sys.exit(run(shoot, sys.argv))

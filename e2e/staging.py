"""A room in mid-session, staged through the pages themselves: used by the axe-core
checks and by the screenshot script, so both look at the same realistic state."""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Browser, Page, ViewportSize, expect

from e2e.support import DESKTOP, Room, join, new_page, open_view, show_tab, start_session

NAMES = {
    "en": {"a": "Alice Moreau", "b": "Sam Okafor", "obs": "Observer"},
    "ko": {"a": "김지민", "b": "박서준", "obs": "참관인"},
}


@dataclass(frozen=True)
class Script:
    items: tuple[tuple[str, int], ...]
    statement: str
    question: str
    poll: str
    options: str


TEXT = {
    "en": Script(
        items=(("Welcome and rules", 5), ("Playground repairs", 20), ("Street lighting", 15)),
        statement="The swings have been broken since May; children use the road instead.",
        question="How much of the budget is already committed?",
        poll="Which repair comes first?",
        options="Swings\nBenches\nLights",
    ),
    "ko": Script(
        items=(("개회 및 진행 규칙", 5), ("놀이터 보수", 20), ("가로등 설치", 15)),
        statement="그네가 5월부터 고장 나 있어서 아이들이 도로에서 놉니다.",
        question="예산 중 이미 배정된 금액은 얼마인가요?",
        poll="어떤 보수를 먼저 할까요?",
        options="그네\n벤치\n조명",
    ),
}
LABELS = {
    "en": {
        "title": "Title",
        "minutes": "Minutes",
        "add": "Add item",
        "start_session": "Start session",
        "start_item": "Start item",
        "complete": "Complete",
        "raise": "Raise hand",
        "grant": "Grant floor to next",
        "statement": "Your statement",
        "post": "Post statement",
        "question": "Your question",
        "ask": "Ask question",
        "poll_q": "Question",
        "kind": "Kind",
        "options": "Options",
        "create": "Create poll",
        "open": "Open poll",
        "agree": "Agree",
        "vote": "Vote",
    },
    "ko": {
        "title": "제목",
        "minutes": "시간(분)",
        "add": "안건 추가",
        "start_session": "회의 시작",
        "start_item": "안건 시작",
        "complete": "완료",
        "raise": "손들기",
        "grant": "다음 사람에게 발언권 주기",
        "statement": "내 발언",
        "post": "발언 올리기",
        "question": "질문 내용",
        "ask": "질문하기",
        "poll_q": "투표 질문",
        "kind": "종류",
        "options": "선택지",
        "create": "투표 만들기",
        "open": "투표 시작",
        "agree": "동의",
        "vote": "투표",
    },
}


@dataclass
class Staged:
    facilitator: Page
    speaker: Page
    waiting: Page
    observer: Page
    projector: Page

    def views(self) -> dict[str, Page]:
        return {
            "facilitator": self.facilitator,
            "participant": self.waiting,
            "observer": self.observer,
            "projector": self.projector,
        }


def stage(browser: Browser, room: Room, lang: str, size: ViewportSize = DESKTOP) -> Staged:
    """Agenda running, one participant speaking, one waiting, a statement, a question, an
    open ranked poll with a vote, and reactions; every page in `lang`."""
    label = LABELS[lang]
    text = TEXT[lang]
    names = NAMES[lang]
    fac = new_page(browser, lang=lang, size=size)
    open_view(fac, room.link("facilitator"))
    for title, minutes in text.items:
        fac.get_by_label(label["title"], exact=True).fill(title)
        fac.get_by_label(label["minutes"], exact=True).fill(str(minutes))
        fac.get_by_role("button", name=label["add"], exact=True).click()
        expect(fac.locator(".agenda-list")).to_contain_text(title)
    start_session(fac, label=label["start_session"])
    # The first item done, the second running, the third still to come.
    fac.get_by_role("button", name=label["start_item"], exact=True).first.click()
    fac.get_by_role("button", name=label["complete"], exact=True).click()
    expect(fac.locator(".agenda-item.status-done")).to_have_count(1)
    fac.get_by_role("button", name=label["start_item"], exact=True).first.click()

    speaker = new_page(browser, lang=lang, size=size)
    join(speaker, room.link("participant"), names["a"], lang=lang)
    waiting = new_page(browser, lang=lang, size=size)
    join(waiting, room.link("participant"), names["b"], lang=lang)
    speaker.get_by_role("button", name=label["raise"], exact=True).click()
    expect(fac.locator(".hands li")).to_have_count(1)
    fac.get_by_role("button", name=label["grant"], exact=True).click()
    expect(speaker.locator(".floor .speaker")).to_be_visible()
    waiting.get_by_role("button", name=label["raise"], exact=True).click()
    speaker.get_by_label(label["statement"], exact=True).fill(text.statement)
    speaker.get_by_role("button", name=label["post"], exact=True).click()
    waiting.get_by_label(label["question"], exact=True).fill(text.question)
    waiting.get_by_role("button", name=label["ask"], exact=True).click()
    show_tab(fac, "polls", lang=lang)
    fac.get_by_label(label["poll_q"], exact=True).fill(text.poll)
    fac.get_by_label(label["kind"], exact=True).select_option("ranked")
    fac.get_by_label(label["options"], exact=True).fill(text.options)
    fac.get_by_role("button", name=label["create"], exact=True).click()
    fac.get_by_role("button", name=label["open"], exact=True).click()
    speaker.get_by_role("button", name=label["vote"], exact=True).click()
    for page in (speaker, waiting, waiting):
        page.get_by_role("button", name=re.compile(f"^{label['agree']} ")).click()
    expect(fac.locator(".poll.status-open")).to_be_visible()
    show_tab(fac, "agenda", lang=lang)

    observer = new_page(browser, lang=lang, size=size)
    open_view(observer, room.link("observer"))
    projector = new_page(browser, lang=lang, size=size)
    open_view(projector, room.link("observer") + "&view=projector")
    expect(observer.locator(".feed-list")).to_contain_text(text.statement)
    return Staged(fac, speaker, waiting, observer, projector)

"""Helpers shared by the browser tests: a town hall made through the REST API, pages
in a given language and width, joining, and axe-core injected from e2e/node_modules."""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

E2E_DIR = Path(__file__).resolve().parent
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_LOCK = E2E_DIR / ".npm-install.lock"  # beside node_modules/, which npm ci deletes
ORGANISER_KEY = "thk_e2e-organiser-key"
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
PHONE: ViewportSize = {"width": 360, "height": 780}
WAIT_MS = 15_000  # bound on every wait so a broken page fails instead of hanging
expect.set_options(timeout=WAIT_MS)


@dataclass(frozen=True)
class Room:
    id: str
    base: str
    links: dict[str, str]

    def link(self, role: str) -> str:
        return self.links[role]


def create_room(
    base: str,
    *,
    title: str = "Riverside park renovation",
    agenda: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    language: str | None = None,
) -> Room:
    """A town hall made as an organiser would make it: POST /api/townhalls."""
    body: dict[str, Any] = {
        "title": title,
        "agenda": agenda
        if agenda is not None
        else [{"title": "Opening", "duration_s": 600}, {"title": "Budget", "duration_s": 900}],
    }
    if settings:
        body["settings"] = settings
    if language:
        body["language"] = language
    response = httpx.post(
        f"{base}/api/townhalls",
        json=body,
        headers={"Authorization": f"Bearer {ORGANISER_KEY}"},
        timeout=10,
    )
    response.raise_for_status()
    data = response.json()
    return Room(id=str(data["id"]), base=base, links=dict(data["links"]))


def new_page(browser: Browser, *, lang: str = "en", size: ViewportSize | None = None) -> Page:
    """A page in its own context (own cookies and storage), in the given browser language."""
    locale = "ko-KR" if lang == "ko" else "en-US"
    context: BrowserContext = browser.new_context(
        viewport=size or DESKTOP, locale=locale, reduced_motion="reduce"
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() of remove / end session
    return page


def page_errors(page: Page) -> list[str]:
    """Uncaught script errors of the page: a test fails on any."""
    return [str(error) for error in page.page_errors()]


def open_view(page: Page, url: str) -> None:
    """Opens a facilitator/observer/projector link and waits for the first welcome."""
    page.goto(url)
    expect(page.locator("body[data-status='live']")).to_be_attached()


def join(page: Page, url: str, name: str, *, lang: str = "en") -> None:
    """Opens a participant link, types the name and joins."""
    page.goto(url)
    label, button = ("이름", "참여") if lang == "ko" else ("Your name", "Join")
    page.get_by_label(label, exact=True).fill(name)
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("body[data-status='live']")).to_be_attached()


TABS = {
    "en": {"agenda": "Agenda", "polls": "Polls", "questions": "Questions",
           "statements": "Statements and transcript", "decisions": "Decisions",
           "people": "Participants", "equity": "Voice equity", "moderation": "Moderation log",
           "settings": "Settings", "proposals": "Proposals"},
    "ko": {"agenda": "안건", "polls": "투표", "questions": "질문",
           "statements": "발언과 속기록", "decisions": "결정 사항", "people": "참가자",
           "equity": "발언 형평성", "moderation": "진행 기록", "settings": "설정",
           "proposals": "제안"},
}  # fmt: skip


def show_tab(page: Page, tab: str, *, lang: str = "en") -> None:
    """Selects a tab of the facilitator console's workspace (its name may carry a count)."""
    name = TABS[lang][tab]
    page.get_by_role("tab", name=re.compile(rf"^{re.escape(name)}( |$)")).click()
    expect(page.locator(f"#panel-{tab}")).to_be_visible()


def seq(page: Page) -> int:
    return int(page.evaluate("document.body.dataset.seq"))


def wait_until(page: Page, js: str, arg: Any = None) -> None:
    """Waits until ``js`` (an expression, or a function given ``arg``) is truthy in the page.

    Not ``page.wait_for_function``: after a first look it polls by evaluating the string
    inside the page, which the page's CSP (script-src 'self', no 'unsafe-eval') refuses
    with an EvalError, so it passed only when the condition already held at the first look
    and failed on a busy machine. ``page.evaluate`` goes through the DevTools protocol,
    which the CSP does not govern. Bounded like every wait here."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while not page.evaluate(js, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {WAIT_MS} ms: {js}")
        page.wait_for_timeout(50)


def ensure_axe() -> Path:
    """axe-core from the npm registry, pinned by e2e/package-lock.json.

    Installed once, under a file lock: the parallel test workers (pytest-xdist) would
    otherwise run ``npm ci`` together, each deleting the node_modules the other is filling,
    or read an axe.min.js that is still being written."""
    with AXE_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not AXE_JS.exists():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError("npm is needed once to install axe-core (apt-get install npm)")
            command = [npm, "ci", "--prefix", str(E2E_DIR), "--no-audit", "--no-fund"]
            subprocess.run(command, check=True)
    return AXE_JS


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now (WCAG 2.x A/AA)."""
    # The page's CSP (script-src 'self') refuses an injected <script>, so axe is evaluated
    # through the DevTools protocol instead; the CSP stays on for everything the page does.
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(ensure_axe().read_text(encoding="utf-8") + "\n;undefined")
    raw = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
              runOnly: {type: 'tag',
                        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
              resultTypes: ['violations'],
            });
            return JSON.stringify(result.violations);
        }"""
    )
    found: list[dict[str, Any]] = json.loads(raw)
    return [v for v in found if v.get("impact") in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        targets = [node.get("target") for node in violation.get("nodes", [])][:5]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} {targets}")
    return "\n".join(lines)


# What a page holds of the room, in a form where a snapshot and a snapshot-plus-events
# must agree (the page's reducers are checked against the server's own views this way).
DIGEST_JS = """() => {
  const s = window.townhall.state;
  const votes = (q) => typeof q.votes === 'number' ? q.votes : (q.votes || []).length;
  const key = s.agenda.current || '';
  const queue = s.queues[key] || {hands: [], closed: false};
  const byId = (a, b) => String(a[0]).localeCompare(String(b[0]));
  return JSON.stringify({
    session: s.session.status,
    agenda: s.agenda.order.map((id) => [id, s.agenda.items[id].status, s.agenda.items[id].title]),
    current: s.agenda.current,
    queue: [queue.closed, queue.hands.map((h) => [h.participant, h.kind])],
    turn: s.currentTurn,
    turns: s.turns.map((t) => [t.number, t.participant, Boolean(t.ended)]),
    polls: Object.values(s.polls).map((p) => [p.id, p.status, p.turnout,
      p.tally ? p.tally.counts : null, p.tally ? p.tally.winner : null]).sort(byId),
    mine: s.myVotes,
    questions: Object.values(s.questions).map((q) => [q.id, q.status, votes(q)]).sort(byId),
    statements: s.statements.map((x) => [x.transcript ? 'transcript' : x.id, x.text, x.hidden]),
    decisions: s.decisions.map((d) => [d.id, d.text, d.dissent, d.result ? d.result.tally : null]),
    reactions: s.reactions[key] || {},
    people: Object.values(s.people).filter((p) => p.status === 'present')
      .map((p) => [p.id, p.name, Boolean(p.muted)]).sort(byId),
    settings: {...s.settings, max_turns_per_item: s.settings.max_turns_per_item || 0},
    locked: s.locked,
  });
}"""


def digest(page: Page) -> Any:
    return json.loads(page.evaluate(DIGEST_JS))


def start_session(page: Page, *, label: str = "Start session") -> None:
    """Starts the session from the console and waits until the page shows it live (the
    session controls move as it starts, so the next click must wait for that)."""
    page.get_by_role("button", name=label, exact=True).click()
    expect(page.locator("body[data-session='live']")).to_be_attached()


def archived_minutes(page: Page, href: str, *, within_s: float = 30.0) -> tuple[int, str]:
    """GETs a minutes link the way the page's own browser would (same cookies, same
    origin), waiting while the server is still archiving; returns (status, text)."""
    deadline = time.monotonic() + within_s  # bounded: a stuck archive fails the test
    while True:
        response = page.request.get(href)
        body = response.text()
        if response.status != 409 and "not_archived" not in body:
            return response.status, body
        if time.monotonic() > deadline:
            return response.status, body
        time.sleep(0.2)


def organiser_minutes(room: Room, fmt: str = "md", *, within_s: float = 30.0) -> str:
    """The minutes as the organiser exports them (REST with the organiser key)."""
    url = f"{room.base}/api/townhalls/{room.id}/minutes.{fmt}"
    headers = {"Authorization": f"Bearer {ORGANISER_KEY}"}
    deadline = time.monotonic() + within_s
    while True:
        response = httpx.get(url, headers=headers, timeout=10)
        if response.status_code == 200 or time.monotonic() > deadline:
            response.raise_for_status()
            return response.text
        time.sleep(0.2)

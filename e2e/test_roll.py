"""A roll-access general assembly with proxies, end to end in Chromium (SPEC §7-§8).

The shared participant link shows a members-only page; members come in by their personal
links (no name to type; a second device and a reload are the same member); the giver of
a proxy cannot vote and is told who votes for them; the holder's ballot counts twice; the
tally says how many ballots came in person and by proxy; the footer shows the record's
head, which the published minutes end with and which verifies.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.support import (
    ORGANISER_KEY,
    Room,
    new_page,
    open_view,
    organiser_minutes,
    page_errors,
    show_tab,
    start_session,
)
from tests import services
from tests.conftest import postgres_available, redis_prefix, redis_url
from townhall import verify

pytestmark = pytest.mark.browser

AUTH = {"Authorization": f"Bearer {ORGANISER_KEY}"}


__all__ = ["postgres_available", "redis_prefix", "redis_url"]  # fixtures used by ``bases``


@pytest.fixture(
    params=[
        "one",
        pytest.param(
            "three-redis-postgres",
            marks=[pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow],
        ),
    ]
)
def bases(request: pytest.FixtureRequest, worker_pool: services.WorkerPool) -> Iterator[list[str]]:
    """One server (SQLite), or three workers sharing PostgreSQL and Redis: pages then
    talk to different workers, as behind a load balancer."""
    if request.param == "one":
        (worker,) = worker_pool.start(1, env={"TOWNHALL_ORGANISER_KEY": ORGANISER_KEY})
        yield [worker.url]
        return
    request.getfixturevalue("postgres_available")
    prefix = f"{request.getfixturevalue('redis_prefix')}{uuid.uuid4().hex[:8]}:"
    with ThreadPoolExecutor(1) as pool:  # asyncio.run, beside Playwright's own loop
        database = pool.submit(services.create_pg_database).result()
    env = {
        "TOWNHALL_ORGANISER_KEY": ORGANISER_KEY,
        "TOWNHALL_DATABASE_URL": services.pg_url(database),
        "TOWNHALL_REDIS_URL": f"{request.getfixturevalue('redis_url')}?prefix={prefix}",
    }
    try:
        yield [worker.url for worker in worker_pool.start(3, env=env)]
    finally:
        worker_pool.stop_all()
        with ThreadPoolExecutor(1) as pool:
            pool.submit(services.drop_pg_database, database).result()


def on(bases: list[str], n: int, url: str) -> str:
    """``url`` served by worker ``n`` (the same link, another worker's address)."""
    base = urlsplit(bases[n % len(bases)])
    return urlunsplit(urlsplit(url)._replace(scheme=base.scheme, netloc=base.netloc))


def member_page(browser: Browser, url: str, lang: str = "en") -> Page:
    page = new_page(browser, lang=lang)
    page.goto(url)  # a personal link: straight in, no name to give
    expect(page.locator("body[data-status='live']")).to_be_attached()
    return page


def test_roll_session_with_proxies(browser: Browser, bases: list[str]) -> None:
    server = bases[0]
    body = {
        "title": "2027 정기총회",
        "access": "roll",
        "roll": [
            {"name": "Kim", "ref": "A-1"},
            {"name": "Lee", "ref": "A-2"},
            {"name": "Park", "ref": "A-3"},
        ],
        "proxies": [{"from": "A-2", "to": "A-1"}],
        "agenda": [{"title": "Budget", "duration_s": 600}],
    }
    created = httpx.post(f"{server}/api/townhalls", json=body, headers=AUTH, timeout=10).json()
    links = created["links"]
    personal = {m["ref"]: m["url"] for m in links["personal"]}

    stranger = new_page(browser, lang="ko")
    stranger.goto(links["participant"])
    expect(stranger.get_by_role("heading", name="회원 전용")).to_be_visible()
    expect(stranger.locator("[data-banner='members']")).to_contain_text("개인 링크")
    expect(stranger.get_by_label("이름", exact=True)).to_have_count(0)

    # The same refusal in English: the page says to use the personal link, asks no name.
    stranger_en = new_page(browser)
    stranger_en.goto(on(bases, 1, links["participant"]))
    expect(stranger_en.get_by_role("heading", name="Members only")).to_be_visible()
    expect(stranger_en.locator("[data-banner='members']")).to_contain_text(
        "Use the personal link you received"
    )
    expect(stranger_en.get_by_label("Your name", exact=True)).to_have_count(0)
    assert stranger_en.evaluate("townhall.state") is None  # never admitted

    fac = new_page(browser)
    open_view(fac, links["facilitator"])
    kim = member_page(browser, on(bases, 1, personal["A-1"]))
    lee = member_page(browser, on(bases, 2, personal["A-2"]))
    park = member_page(browser, personal["A-3"])
    # A second device (on another worker): the same member.
    park_phone = member_page(browser, on(bases, 1, personal["A-3"]))
    assert park.evaluate("townhall.state.you.participant") == park_phone.evaluate(
        "townhall.state.you.participant"
    )
    expect(kim.locator("#role")).to_have_text("Participant")
    expect(fac.locator(".people-list")).to_contain_text("Park")
    start_session(fac)
    show_tab(fac, "polls")

    fac.get_by_label("Question", exact=True).fill("Adopt the budget?")
    fac.get_by_label("Kind", exact=True).select_option("yes_no_abstain")
    fac.get_by_label("Quorum as a share of the eligible (%)").fill("50")
    fac.get_by_label("Who may vote").select_option("roll")
    fac.get_by_role("button", name="Create poll", exact=True).click()
    card = fac.locator(".poll", has_text="Adopt the budget?")
    card.get_by_role("button", name="Open poll").click()

    lee_card = lee.locator(".poll", has_text="Adopt the budget?")
    expect(lee_card.locator(".proxy-note")).to_contain_text("Kim holds your proxy")
    expect(lee_card.get_by_role("button", name="Vote")).to_have_count(0)
    kim_card = kim.locator(".poll", has_text="Adopt the budget?")
    expect(kim_card.locator(".proxy-note")).to_contain_text("also counts for Lee")
    kim_card.get_by_label("Yes").check()
    kim_card.get_by_role("button", name="Vote").click()
    expect(kim_card.locator(".my-vote")).to_contain_text("Yes")
    phone_card = park_phone.locator(".poll", has_text="Adopt the budget?")
    phone_card.get_by_label("No").check()
    phone_card.get_by_role("button", name="Vote").click()
    expect(card).to_contain_text("2 in person, 1 by proxy")

    # A reload is the same member, and the page remembers nothing it should not.
    kim.reload()
    expect(kim.locator("body[data-status='live']")).to_be_attached()
    assert kim.evaluate("townhall.state.you.name") == "Kim"

    # The open poll's "Close poll" is on the facilitator's board.
    fac.locator(".live-poll", has_text="Adopt the budget?").get_by_role(
        "button", name="Close poll"
    ).click()
    expect(kim_card.locator(".results .winner")).to_contain_text("Yes")
    # The big screen shows the same head as the facilitator's footer, for the room to note.
    projector = new_page(browser)
    open_view(projector, on(bases, 2, links["observer"]) + "&view=projector")
    live_head = fac.locator("#record").inner_text().rsplit("·", 1)[1].strip()
    # The public's attendance news may trail the facilitator's by up to a second (lazy
    # broadcasts, decision 0009), and four parallel test processes slow every page:
    # a longer wait than expect's 5 s for the projector to show the same head.
    expect(projector.locator("#record")).to_contain_text(live_head, timeout=30_000)
    fac.get_by_role("button", name="End session").click()
    expect(fac.locator("[data-banner='ended']")).to_be_visible()

    footer = fac.locator("#record")
    expect(footer).to_contain_text("Record #")
    head = footer.inner_text().rsplit("·", 1)[1].strip()
    assert len(head) == 8

    doc = None
    for _ in range(100):
        response = httpx.get(
            f"{server}/api/townhalls/{created['id']}/minutes.json", headers=AUTH, timeout=10
        )
        if response.status_code == 200:
            doc = response.json()
            break
        fac.wait_for_timeout(200)
    assert doc is not None, "the session was not archived"
    assert doc["record"]["head"].startswith(head)
    assert verify.verify(doc).head == doc["record"]["head"]
    # The minutes list the proxy and say how the ballots came: as the organiser exports
    # them, and in the read-only view every link opens after the end.
    markdown = organiser_minutes(Room(created["id"], server, {}))
    assert "Lee → Kim" in markdown
    assert "(2 in person, 1 by proxy)" in markdown
    lee.reload()
    expect(lee.locator("body[data-minutes='shown']")).to_be_attached(timeout=30_000)
    shown = lee.locator(".minutes-body")
    expect(shown).to_contain_text("Proxies")
    expect(shown).to_contain_text("Lee → Kim")
    expect(shown).to_contain_text("1 by proxy")
    for page in (stranger, stranger_en, fac, kim, lee, park, park_phone, projector):
        assert page_errors(page) == []


def test_open_mode_one_browser_is_one_participant(browser: Browser, bases: list[str]) -> None:
    server = bases[0]
    created = httpx.post(
        f"{server}/api/townhalls", json={"title": "Open hall"}, headers=AUTH, timeout=10
    ).json()
    link = created["links"]["participant"]
    fac = new_page(browser)
    open_view(fac, on(bases, 1, created["links"]["facilitator"]))  # another worker
    start_session(fac)
    tab = new_page(browser)
    tab.goto(link)
    tab.get_by_label("Your name", exact=True).fill("Ana")
    tab.get_by_role("button", name="Join", exact=True).click()
    expect(tab.locator("body[data-status='live']")).to_be_attached()
    me = tab.evaluate("townhall.state.you.participant")
    tab.get_by_role("button", name="Raise hand", exact=True).click()

    # A second tab of the same browser: no name asked, the same person, hand and all.
    second = tab.context.new_page()
    second.goto(link)
    expect(second.locator("body[data-status='live']")).to_be_attached()
    assert second.evaluate("townhall.state.you.participant") == me
    expect(second.get_by_role("button", name="Lower hand", exact=True)).to_be_visible()
    tab.reload()
    expect(tab.locator("body[data-status='live']")).to_be_attached()
    assert tab.evaluate("townhall.state.you.participant") == me
    expect(fac.locator(".people-list")).to_contain_text("Ana")
    assert fac.evaluate(
        "Object.values(townhall.state.people).filter((p) => p.role === 'participant').length"
    ) == 1  # fmt: skip

    show_tab(fac, "people")
    fac.get_by_role("button", name="Mute Ana").click()
    for page in (tab, second):
        expect(page.locator("[data-banner='muted']")).to_be_visible()
    # The mute holds across a reload and for a tab opened after it.
    tab.reload()
    expect(tab.locator("[data-banner='muted']")).to_be_visible()
    third = tab.context.new_page()
    third.goto(link)
    expect(third.locator("[data-banner='muted']")).to_be_visible()
    assert third.evaluate("townhall.state.you.participant") == me
    third.close()
    fac.get_by_role("button", name="Remove Ana").click()
    for page in (tab, second):
        expect(page.locator("[data-banner='removed']")).to_be_visible()
    # Coming back through the link in this browser is the same (removed) person.
    again = tab.context.new_page()
    again.goto(link)
    expect(again.locator("[data-banner='removed']")).to_be_visible()
    expect(again.get_by_label("Your name", exact=True)).to_have_count(0)
    for page in (fac, tab, second, again):
        assert page_errors(page) == []

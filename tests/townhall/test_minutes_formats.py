"""The deliberation formats (SPEC §10) in the archive and the minutes: a session driven
through the rules (a battle with switches asked again before / after, a dot vote,
proposals merged, hidden and promoted to a poll, cheering with reveal, captions on the
item and on a turn, hands never called), archived on SQLite and PostgreSQL, read back,
and rendered in every format, in English and Korean."""

from __future__ import annotations

import dataclasses
import html as html_module
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.base import Actor, Role
from facilitation.participants import JoinRoom
from tests.townhall.test_archive_from_state import SECRET, Session
from tests.townhall.test_record import changed_byte
from townhall.api.minutes import public_edition
from townhall.archive import archive
from townhall.archive.bundle import ArchiveBundle, Poll
from townhall.archive.from_state import bundle_from_state
from townhall.db import create_engine, migrate
from townhall.minutes import (
    Minutes,
    load_minutes,
    render_csv,
    render_html,
    render_json,
    render_markdown,
    render_pdf,
)
from townhall.minutes.fonts import find_cjk_font
from townhall.record import record_of
from townhall.recount import recount_poll
from townhall.verify import Mismatch, verify

F1 = Actor("f1", Role.FACILITATOR)
P1 = Actor("p1", Role.PARTICIPANT)
P2 = Actor("p2", Role.PARTICIPANT)
P3 = Actor("p3", Role.PARTICIPANT)
CAPTIONER = Actor("captioner", Role.CAPTIONER)


def run_formats() -> Session:
    s = Session()
    for actor, name in ((F1, "Alice"), (P1, "Bob"), (P2, "김민수"), (P3, "Carol")):
        s.server(JoinRoom, actor=actor, display_name=name)
    s.wire(F1, "agenda.add", {"title": "Park plan", "duration_s": 600}, "i1")
    talks = {"title": "Expert talks", "duration_s": 600, "presenters": ["Dr. Kim", "Ms. Lee"]}
    s.wire(F1, "agenda.add", talks, "i2")
    s.wire(P1, "proposal.submit", {"text": "Plant trees"}, "x1")  # before the start
    s.wire(F1, "session.start", {})
    s.wire(F1, "agenda.start", {"item": "i1"})
    # A caption while nobody holds the floor belongs to the item.
    s.wire(CAPTIONER, "transcript.append", {"text": "Welcome to the park debate."})
    battle = {"question": "Build the park now?", "kind": "battle", "options": ["Build", "Wait"]}
    s.wire(F1, "poll.create", battle, "b1")
    s.wire(F1, "poll.open", {"poll": "b1"})
    s.wire(P1, "poll.vote", {"poll": "b1", "choice": 0})
    s.wire(P2, "poll.vote", {"poll": "b1", "choice": 0})
    s.wire(P3, "poll.vote", {"poll": "b1", "choice": 1})
    s.wire(P2, "poll.vote", {"poll": "b1", "choice": 1})  # switches Build -> Wait
    s.wire(P1, "poll.vote", {"poll": "b1", "choice": 1})  # and back: a move, no switch
    s.wire(P1, "poll.vote", {"poll": "b1", "choice": 0})
    s.wire(F1, "poll.close", {"poll": "b1"})
    s.wire(P1, "hand.raise", {})
    s.wire(P2, "hand.raise", {})
    s.wire(F1, "floor.grant", {"participant": "p1"})
    s.wire(CAPTIONER, "transcript.append", {"text": "Bob: trees first."})
    s.wire(P1, "floor.yield", {})
    s.wire(P2, "hand.lower", {})  # never called
    s.wire(P2, "proposal.submit", {"text": "Open a library"}, "x2")
    s.wire(P3, "proposal.submit", {"text": "More benches"}, "x3")
    s.wire(P1, "proposal.submit", {"text": "Trees along the river"}, "x4")
    s.wire(P2, "proposal.support", {"proposal": "x1"})
    s.wire(P3, "proposal.support", {"proposal": "x1"})
    s.wire(P1, "proposal.support", {"proposal": "x2"})
    s.wire(F1, "proposal.merge", {"proposal": "x4", "into": "x1"})
    s.wire(F1, "proposal.hide", {"proposal": "x3", "reason": "off topic"})
    s.wire(F1, "poll.create", {"question": "Which idea first?", "kind": "single",
                               "from_proposals": ["x1", "x2"]}, "v1")  # fmt: skip
    s.wire(F1, "poll.open", {"poll": "v1"})
    s.wire(P2, "poll.vote", {"poll": "v1", "choice": 0})
    s.wire(F1, "poll.close", {"poll": "v1"})
    dot = {"question": "Priorities?", "kind": "dot", "options": ["Paths", "Lights", "Toilets"],
           "votes_per_person": 3, "max_per_option": 2}  # fmt: skip
    s.wire(F1, "poll.create", dot, "d1")
    s.wire(F1, "poll.open", {"poll": "d1"})
    s.wire(P1, "poll.vote", {"poll": "d1", "choice": {"0": 2, "1": 1}})
    s.wire(P2, "poll.vote", {"poll": "d1", "choice": {"1": 2, "2": 1}})
    s.wire(P3, "poll.vote", {"poll": "d1", "choice": {"0": 1}})
    s.wire(F1, "poll.close", {"poll": "d1"})
    s.wire(P2, "question.ask", {"text": "Who pays?", "anonymous": True}, "q1")
    s.wire(F1, "agenda.start", {"item": "i2"})
    s.wire(P1, "cheer.send", {"presenter": "Dr. Kim"})
    s.wire(P2, "cheer.send", {"presenter": "Dr. Kim"})
    s.wire(P3, "cheer.send", {"presenter": "Ms. Lee"})
    s.wire(F1, "cheer.reveal", {"item": "i2"})
    s.wire(F1, "poll.create", {**battle, "repeat_of": "b1"}, "b2")  # the "after"
    s.wire(F1, "poll.open", {"poll": "b2"})
    for actor in (P1, P2, P3):
        s.wire(actor, "poll.vote", {"poll": "b2", "choice": 1})
    s.wire(F1, "poll.close", {"poll": "b2"})
    s.wire(F1, "session.end", {})
    return s


def formats_bundle(language: str) -> ArchiveBundle:
    s = run_formats()
    assert s.state.session.status == "ended"
    room = f"formats-{language}"
    made = bundle_from_state(
        s.state, s.records, epoch="e1", ballot_secret=SECRET, record=record_of(room, s.records)
    )
    session = dataclasses.replace(made.session, room=room, language=language)
    return dataclasses.replace(made, session=session)


def test_the_bundle_keeps_every_format() -> None:
    b = formats_bundle("en")
    polls = {p.id: p for p in b.polls}
    shift = polls["b1"].battle
    assert shift is not None
    assert (shift.opening, shift.closing) == ((2, 1), (1, 2))
    assert shift.switches == ((0, 1), (0, 0))  # 김민수 Build -> Wait; Bob came back
    assert shift.moves == 3
    assert shift.timeline[-1].counts == (1, 2)
    assert polls["b2"].repeat_of == "b1"
    assert polls["d1"].dot_voters == (2, 2, 1)
    assert [t.votes for t in polls["d1"].tally] == [3, 3, 1]
    assert (polls["d1"].votes_per_person, polls["d1"].max_per_option) == (3, 2)
    assert polls["v1"].proposals == ("x1", "x2")
    assert polls["v1"].options == ("Plant trees", "Open a library")
    fates = {x.id: (x.status, x.supporters, x.merged_into, x.polls) for x in b.proposals}
    assert fates == {
        "x1": ("promoted", 2, None, ("v1",)),  # the merged one had its author: Bob's own
        "x2": ("promoted", 1, None, ("v1",)),
        "x3": ("hidden", 0, None, ()),
        "x4": ("merged", 0, "x1", ()),
    }
    assert [x.item for x in b.proposals] == [None, "i1", "i1", "i1"]
    assert [(c.item, c.presenter, c.count, c.revealed) for c in b.cheers] == [
        ("i2", "Dr. Kim", 2, True),
        ("i2", "Ms. Lee", 1, True),
    ]
    captions = [(t.text, t.item, t.turn, t.author) for t in b.transcript]
    assert captions == [
        ("Welcome to the park debate.", "i1", None, "captioner"),
        ("Bob: trees first.", "i1", 0, "captioner"),
    ]
    assert [(h.participant, h.raised, h.uncalled) for h in b.hands] == [
        ("p1", 1, 0),
        ("p2", 1, 1),
    ]
    (q,) = b.questions
    assert (q.anonymous, q.participant) == (True, "p2")
    actions = [m.action for m in b.moderation]
    assert {"proposal.merge", "proposal.hide", "cheer.reveal"} <= set(actions)


def _by_choice(poll: Poll) -> Poll:
    ballots = sorted(poll.ballots, key=lambda b: json.dumps(b.choice))
    return dataclasses.replace(poll, ballots=tuple(ballots))


async def _round_trip(db_url: str, bundle: ArchiveBundle) -> Minutes:
    await migrate(db_url)
    engine = create_engine(db_url)
    try:
        await archive(engine, bundle)
        return await load_minutes(engine, bundle.session.room)
    finally:
        await engine.dispose()


async def test_archive_round_trip_keeps_the_formats(db_url: str) -> None:
    bundle = formats_bundle("en")
    m = await _round_trip(db_url, bundle)
    # Secret ballots are stored by choice, never in the order cast (decision 0007).
    assert [_by_choice(p) for p in m.polls] == [_by_choice(p) for p in bundle.polls]
    assert m.proposals == bundle.proposals
    assert m.cheers == bundle.cheers
    assert m.hands == bundle.hands
    assert m.transcript == bundle.transcript
    assert m.questions == bundle.questions
    assert m.moderation == bundle.moderation
    assert all(recount_poll(p)["match"] for p in m.polls)  # battle and dot recount too
    assert m.equity is not None
    by_person = {e.participant: e for e in m.equity.people}
    assert (by_person["p1"].turns, by_person["p1"].share) == (1, 1.0)
    assert (by_person["p2"].hands, by_person["p2"].uncalled, by_person["p2"].turns) == (1, 1, 0)
    assert [(i.item, i.speakers, i.first_time) for i in m.equity.items] == [
        ("i1", 1, 1),
        ("i2", 0, 0),
    ]


@pytest.fixture(scope="module")
def minutes_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Minutes, Minutes]:
    import asyncio

    directory = tmp_path_factory.mktemp("formats")
    url = f"sqlite+aiosqlite:///{directory / 'minutes.db'}"

    async def both() -> tuple[Minutes, Minutes]:
        en = await _round_trip(url, formats_bundle("en"))
        ko = await _round_trip(url, formats_bundle("ko"))
        return en, ko

    return asyncio.run(both())


def test_markdown_and_html_tell_what_moved(minutes_pair: tuple[Minutes, Minutes]) -> None:
    en, _ = minutes_pair
    md = render_markdown(en)
    page = _visible_text(render_html(en))
    for text in (md, page):
        flat = re.sub(r"\s+", " ", text.replace("|", " "))
        assert "Opinion shift" in flat
        assert "Build 2 (67%) 1 (33%) -33%" in flat
        assert "Build → Wait 1" in flat  # the switch
        assert "3 changes of position in all" in flat
        assert "Before and after" in flat
        assert "Wait 2 (67%) 3 (100%) +33%" in flat
        assert "3 dots per person, at most 2 on one option" in flat
        assert "Paths 3 43% 2" in flat
        assert "Toilets 1 14% 1" in flat
        assert "Plant trees Bob 2 promoted to a poll: Which idea first?" in flat
        assert "merged into: Plant trees" in flat
        assert "hidden: off topic" in flat
        assert "More benches" not in flat  # a hidden proposal's text stays out
        assert "Dr. Kim 2" in flat
        assert "Ms. Lee 1" in flat
        assert "revealed in the room" in flat
        assert "Welcome to the park debate." in flat
        assert "Captioner" in flat
        assert "Who pays? anonymous" in flat
        assert "Voice equity" in flat
        assert "Bob 1 0:20 100% 1 0" in flat
        assert "김민수 0" in flat
        assert "First-time speakers per item" in flat
        assert "Park plan 1 1 100%" in flat
        assert "revealed the cheers" in flat
        assert "merged a proposal" in flat


def _user_texts(m: Minutes) -> list[str]:
    texts = [m.session.title, m.session.description]
    texts += [p.name for p in m.participants]
    texts += [i.title for i in m.items]
    texts += [s.text for s in m.transcript] + [q.text for q in m.questions]
    texts += [p.question for p in m.polls] + [o for p in m.polls for o in p.options]
    texts += [p.id for p in m.polls]
    texts += [x.text for x in m.proposals] + [x.hidden_reason or "" for x in m.proposals]
    texts += [x.id for x in m.proposals] + [c.presenter for c in m.cheers]
    texts += [e.reason or "" for e in m.moderation]
    return sorted((t for t in texts if t), key=len, reverse=True)


def _visible_text(page: str) -> str:
    body = page[page.index("<body>") :]
    return html_module.unescape(re.sub(r"<[^>]+>", " ", body))


def test_korean_minutes_have_no_english_word(minutes_pair: tuple[Minutes, Minutes]) -> None:
    _, ko = minutes_pair
    md = render_markdown(ko)
    assert "의견 변화" in md
    assert "응원" in md
    assert "발언 형평성" in md
    assert "자막 담당" in md
    assert "제안" in md
    assert "전후 비교" in md
    assert "1인당 3점, 한 선택지에 최대 2점" in md
    assert ko.record is not None
    for text in (md, _visible_text(render_html(ko))):
        for user in [ko.record.head, *_user_texts(ko)]:  # the head first: short ids in it
            text = text.replace(user, " ")
        # The record's paragraph names a format, a command and an algorithm.
        allowed = {"UTC", "JSON", "townhall", "verify", "sha"}
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - allowed
        assert words == set(), sorted(words)


def test_json_and_csv_hold_the_formats_and_verify(minutes_pair: tuple[Minutes, Minutes]) -> None:
    en, ko = minutes_pair
    for m in (en, ko):
        doc = json.loads(render_json(m))
        polls = {p["id"]: p for p in doc["polls"]}
        assert polls["b1"]["battle"]["switches"] == [[0, 1], [0, 0]]
        assert polls["b1"]["battle"]["opening"] == [2, 1]
        assert polls["d1"]["dot_voters"] == [2, 2, 1]
        assert {x["id"]: x["status"] for x in doc["proposals"]} == {
            "x1": "promoted", "x2": "promoted", "x3": "hidden", "x4": "merged"
        }  # fmt: skip
        assert [c["count"] for c in doc["cheers"]] == [2, 1]
        assert doc["equity"]["people"][0]["participant"] == "p1"
        assert verify(doc).events == len(doc["record"]["events"])
        for poll in ("b1", "d1"):  # battle and dot tallies are checked against the events
            tampered = json.loads(render_json(m))
            entry = next(p for p in tampered["polls"] if p["id"] == poll)
            entry["tally"][0]["votes"] += 1
            with pytest.raises(Mismatch, match=f"poll {poll}: counts"):
                verify(tampered)
        public = json.loads(render_json(public_edition(m)))
        assert verify(public).head == doc["record"]["head"]
        hidden = next(x for x in public["proposals"] if x["id"] == "x3")
        assert hidden["text"] == ""
        assert public["questions"][0]["participant"] == ""  # anonymous
        assert "More benches" not in json.dumps(public, ensure_ascii=False)
    rows = render_csv(en)
    assert "Welcome to the park debate." in rows
    assert "Bob: trees first." in rows


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)")
def test_pdf_in_both_languages(minutes_pair: tuple[Minutes, Minutes], tmp_path: Path) -> None:
    find_cjk_font()  # a machine without a Korean font fails here, with what it tried
    for m in minutes_pair:
        pdf = render_pdf(m)
        assert pdf.startswith(b"%PDF")
        path = tmp_path / f"{m.session.language}.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout
        words = ("Opinion shift", "Cheers", "Voice equity", "Proposals")
        if m.session.language == "ko":
            words = ("의견 변화", "응원", "발언 형평성", "제안")
        for word in words:
            assert word in text, (m.session.language, word)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(path), str(tmp_path / m.session.language)],
            check=True,
        )
    assert list(tmp_path.glob("*.png"))


@pytest.fixture(scope="module")
def formats_doc(minutes_pair: tuple[Minutes, Minutes]) -> dict[str, Any]:
    """One rendering for every example (a rendering carries its own time)."""
    doc: dict[str, Any] = json.loads(render_json(minutes_pair[0]))
    return doc


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_verify_fails_on_any_changed_byte_of_the_formats(
    formats_doc: dict[str, Any], data: st.DataObject
) -> None:
    """Battle, dot, proposal-made and repeated polls: one changed character, number,
    flag or member name of an event or a summary section, and verify names it."""
    changed, label = data.draw(changed_byte(formats_doc))
    try:
        verify(changed)
    except Mismatch as exc:
        problem = str(exc)
    else:
        raise AssertionError(f"verify passed: {label}")
    where = ("polls:", "tallies:") if label == "tallies" else (f"{label}:", f"{label} (")
    assert problem.startswith(where), (label, problem)

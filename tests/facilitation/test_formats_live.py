"""Presenters and cheering, an agenda that runs itself, captions, and voice equity."""

from __future__ import annotations

from dataclasses import replace

from facilitation.agenda import AddAgendaItem, AgendaItemAdded, AgendaItemUpdated, UpdateAgendaItem
from facilitation.agenda_timing import (
    AgendaItemCompleted,
    AgendaItemExtended,
    AgendaItemOverran,
    AgendaItemPaused,
    AgendaItemStarted,
    estimated_end,
    planned_starts,
)
from facilitation.base import Actor, Role
from facilitation.cheers import CheerSent, CheersRevealed, RevealCheers, SendCheer
from facilitation.equity import of_room
from facilitation.floor import AppendTranscript, FloorEnded, FloorGranted, TranscriptAppended
from facilitation.moderation import SettingsChanged
from facilitation.queue import HandLowered, HandRaised
from facilitation.room import Deadline, TimerExpired, next_deadlines
from facilitation.session import SessionEnded
from facilitation.views import Viewer, project, snapshot
from tests.facilitation.dsl import (
    FAC,
    ITEM2_ADDED,
    LIVE,
    OBS,
    ON_ITEM,
    P1,
    P2,
    given,
    state_of,
    t,
)

CAPTIONER = Actor("c1", Role.CAPTIONER)
STAFF = Viewer("f1", Role.FACILITATOR)
PUBLIC = Viewer(None, Role.OBSERVER)
DEBATE = (
    *LIVE,
    AgendaItemAdded(
        at=t(1),
        item="i1",
        title="Experts",
        duration_s=600,
        description="",
        presenters=("Kim", "Lee"),
    ),
    ITEM2_ADDED,
    AgendaItemStarted(at=t(2), item="i1", deadline=t(602)),
)
CHEERED = (
    *DEBATE,
    CheerSent(at=t(10), item="i1", presenter="Kim", participant="p1"),
    CheerSent(at=t(11), item="i1", presenter="Kim", participant="p2"),
    CheerSent(at=t(12), item="i1", presenter="Lee", participant="p1"),
)


def settings(**over: object) -> SettingsChanged:
    fields: dict[str, object] = {
        "queue_policy": "fifo",
        "turn_s": 120,
        "auto_advance": False,
        "max_turns_per_item": 0,
        "slow_mode_s": 0,
        "statements": True,
        "questions": True,
        "lobby": False,
    }
    fields.update(over)
    return SettingsChanged(at=t(1), by="f1", **fields)  # type: ignore[arg-type]


# --- presenters --------------------------------------------------------------------


def test_agenda_add_with_presenters() -> None:
    given(*LIVE).when(
        AddAgendaItem(
            actor=FAC,
            at=t(1),
            item="i1",
            title="Experts",
            duration_s=600,
            presenters=(" Kim", "Lee"),
        )
    ).then(
        AgendaItemAdded(
            at=t(1),
            item="i1",
            title="Experts",
            duration_s=600,
            description="",
            presenters=("Kim", "Lee"),
        )
    )


def test_agenda_add_presenters_bad_input() -> None:
    for bad in (("Kim", "Kim"), ("",), tuple(f"P{i}" for i in range(21)), ("x" * 81,)):
        given(*LIVE).when(
            AddAgendaItem(actor=FAC, at=t(1), item="i1", title="T", duration_s=60, presenters=bad)
        ).raises("invalid_data")


def test_agenda_update_presenters() -> None:
    state = (
        given(*DEBATE)
        .when(UpdateAgendaItem(actor=FAC, at=t(3), item="i1", presenters=("Park",)))
        .then(
            AgendaItemUpdated(
                at=t(3),
                item="i1",
                title="Experts",
                duration_s=600,
                description="",
                presenters=("Park",),
            )
        )
    )
    assert state.agenda.items["i1"].presenters == ("Park",)
    # Left out, they stay as they were.
    given(*DEBATE).when(UpdateAgendaItem(actor=FAC, at=t(3), item="i1", title="Pros")).then(
        AgendaItemUpdated(
            at=t(3),
            item="i1",
            title="Pros",
            duration_s=600,
            description="",
            presenters=("Kim", "Lee"),
        )
    )


# --- cheering ----------------------------------------------------------------------


def test_cheer_send() -> None:
    state = (
        given(*DEBATE)
        .when(SendCheer(actor=P1, at=t(10), presenter="Kim"))
        .then(CheerSent(at=t(10), item="i1", presenter="Kim", participant="p1"))
    )
    assert state.cheers.of("i1") == {"Kim": 1}


def test_cheer_send_rate_limited_to_one_a_second() -> None:
    given(*CHEERED).when(SendCheer(actor=P1, at=t(12.5), presenter="Kim")).raises("rate_limited")
    given(*CHEERED).when(SendCheer(actor=P1, at=t(13), presenter="Kim")).then(
        CheerSent(at=t(13), item="i1", presenter="Kim", participant="p1")
    )


def test_cheer_send_needs_a_presenter_of_the_running_item() -> None:
    given(*DEBATE).when(SendCheer(actor=P1, at=t(10), presenter="Park")).raises("no_presenter")
    given(*LIVE).when(SendCheer(actor=P1, at=t(10), presenter="Kim")).raises("no_presenter")
    given(*DEBATE[:-4], *DEBATE[-3:-1]).when(SendCheer(actor=P1, at=t(10), presenter="Kim")).raises(
        "session_not_live"
    )


def test_cheer_send_forbidden_for_observer() -> None:
    given(*DEBATE).when(SendCheer(actor=OBS, at=t(10), presenter="Kim")).raises("forbidden")


def test_cheer_reveal_is_logged() -> None:
    state = (
        given(*CHEERED)
        .when(RevealCheers(actor=FAC, at=t(20), item="i1"))
        .then(CheersRevealed(at=t(20), item="i1", by="f1"))
    )
    entry = state.moderation[-1]
    assert (entry.action, entry.detail) == (
        "cheer.reveal",
        {"item": "i1", "counts": {"Kim": 2, "Lee": 1}},
    )
    revealed = CheersRevealed(at=t(20), item="i1", by="f1")
    given(*CHEERED, revealed).when(RevealCheers(actor=FAC, at=t(21), item="i1")).raises(
        "already_revealed"
    )
    given(*CHEERED).when(RevealCheers(actor=FAC, at=t(21), item="zz")).raises("item_not_found")


def test_cheer_reveal_forbidden_for_participant() -> None:
    given(*CHEERED).when(RevealCheers(actor=P1, at=t(20), item="i1")).raises("forbidden")


def test_cheer_counts_hidden_from_everyone_until_revealed() -> None:
    hidden = state_of(*CHEERED)
    for viewer in (STAFF, PUBLIC):
        assert snapshot(hidden, viewer)["cheers"] == {
            "i1": {"presenters": ["Kim", "Lee"], "revealed": False, "counts": None}
        }
    sent = CheerSent(at=t(13), item="i1", presenter="Kim", participant="p2")
    for audience in ("facilitator", "public"):
        assert project(sent, state_of(*CHEERED, sent), audience) == {
            "item": "i1",
            "presenter": "Kim",
        }
    reveal = CheersRevealed(at=t(20), item="i1", by="f1")
    shown = state_of(*CHEERED, reveal)
    assert snapshot(shown, PUBLIC)["cheers"]["i1"]["counts"] == {"Kim": 2, "Lee": 1}
    projected = project(reveal, shown, "public")
    assert projected is not None
    assert projected["counts"] == {"Kim": 2, "Lee": 1}
    # A presenter nobody cheered shows 0 once revealed.
    quiet = state_of(*DEBATE, reveal)
    assert snapshot(quiet, PUBLIC)["cheers"]["i1"]["counts"] == {"Kim": 0, "Lee": 0}


# --- the agenda runs itself ----------------------------------------------------------


AUTO = settings(auto_advance_items=True, item_grace_s=30)


def test_agenda_advance_deadline_is_a_plain_deadline() -> None:
    state = state_of(*ON_ITEM, AUTO)
    assert Deadline("advance", "i1", t(632)) in next_deadlines(state)
    assert not any(d.kind == "advance" for d in next_deadlines(state_of(*ON_ITEM)))
    paused = state_of(*ON_ITEM, AUTO, AgendaItemPaused(at=t(10), item="i1", remaining_s=592))
    assert not any(d.kind == "advance" for d in next_deadlines(paused))


def test_agenda_advance_at_deadline_plus_grace_starts_the_next_item() -> None:
    timer = TimerExpired(at=t(632), kind="advance", ref="i1")
    state = (
        given(*ON_ITEM, AUTO, AgendaItemOverran(at=t(602), item="i1"))
        .when(timer)
        .then(
            AgendaItemCompleted(at=t(632), item="i1"),
            AgendaItemStarted(at=t(632), item="i2", deadline=t(932)),
        )
    )
    assert state.agenda.current == "i2"
    # Not overrun yet (grace 0 fires before the overrun timer): marked on the way.
    no_grace = settings(auto_advance_items=True, item_grace_s=0)
    given(*ON_ITEM, no_grace).when(TimerExpired(at=t(602), kind="advance", ref="i1")).then(
        AgendaItemOverran(at=t(602), item="i1"),
        AgendaItemCompleted(at=t(602), item="i1"),
        AgendaItemStarted(at=t(602), item="i2", deadline=t(902)),
    )


def test_agenda_advance_ends_the_turn_and_the_last_item() -> None:
    grant = FloorGranted(
        at=t(500), turn=1, participant="p1", item="i1", kind="speak", deadline=t(620), by="f1"
    )
    last = (*ON_ITEM, AgendaItemCompleted(at=t(3), item="i2"), AUTO, grant)
    given(*last).when(TimerExpired(at=t(632), kind="advance", ref="i1")).then(
        AgendaItemOverran(at=t(632), item="i1"),
        FloorEnded(at=t(632), turn=1, reason="item"),
        AgendaItemCompleted(at=t(632), item="i1"),
    )


def test_agenda_advance_late_early_twice_or_off_is_harmless() -> None:
    given(*ON_ITEM, AUTO).when(TimerExpired(at=t(631), kind="advance", ref="i1")).then()
    given(*ON_ITEM, AUTO).when(TimerExpired(at=t(700), kind="advance", ref="i2")).then()
    given(*ON_ITEM).when(TimerExpired(at=t(700), kind="advance", ref="i1")).then()
    extended = AgendaItemExtended(at=t(600), item="i1", seconds=60)
    given(*ON_ITEM, AUTO, extended).when(TimerExpired(at=t(632), kind="advance", ref="i1")).then()


def test_agenda_plan_is_recomputed_from_the_overrun() -> None:
    three = AgendaItemAdded(at=t(1), item="i3", title="Vote", duration_s=120, description="")
    before = state_of(*ON_ITEM, three)
    assert planned_starts(before) == {"i2": t(602), "i3": t(902)}
    assert estimated_end(before) == t(1022)
    # 70 s past the deadline: every pending item moves by the overrun.
    late = state_of(*ON_ITEM, three, AgendaItemOverran(at=t(672), item="i1"))
    assert planned_starts(late) == {"i2": t(672), "i3": t(972)}
    assert estimated_end(late) == t(1092)
    # With the agenda running itself, the item gives way at deadline + grace at the latest.
    auto = state_of(*ON_ITEM, three, AUTO, AgendaItemOverran(at=t(700), item="i1"))
    assert planned_starts(auto) == {"i2": t(632), "i3": t(932)}
    view = snapshot(late, PUBLIC)["agenda"]
    assert view["plan"] == {"offsets": {"i2": 0.0, "i3": 300.0}, "advance_at": None}
    assert [i["planned_start"] for i in view["items"]] == [
        None,
        "2026-11-25T15:11:12.000Z",
        "2026-11-25T15:16:12.000Z",
    ]
    assert snapshot(auto, PUBLIC)["agenda"]["plan"]["advance_at"] == "2026-11-25T15:10:32.000Z"
    shown = project(AgendaItemOverran(at=t(672), item="i1"), late, "public")
    assert shown is not None
    assert shown["plan"]["offsets"] == {"i2": 0.0, "i3": 300.0}


def test_agenda_plan_before_any_event_and_while_paused() -> None:
    assert planned_starts(state_of()) == {}
    paused = state_of(*ON_ITEM, AgendaItemPaused(at=t(102), item="i1", remaining_s=500))
    assert planned_starts(paused) == {"i2": t(602)}
    idle = state_of(*LIVE, ITEM2_ADDED)
    assert planned_starts(idle) == {"i2": t(1)}


# --- captions ------------------------------------------------------------------------


def test_transcript_append_by_a_captioner_who_is_no_person_in_the_room() -> None:
    state = (
        given(*ON_ITEM)
        .when(AppendTranscript(actor=CAPTIONER, at=t(30), text="Good evening"))
        .then(TranscriptAppended(at=t(30), turn=None, text="Good evening", by="c1", item="i1"))
    )
    assert snapshot(state, PUBLIC)["caption"] == {
        "text": "Good evening",
        "turn": None,
        "item": "i1",
        "at": "2026-11-25T15:00:30.000Z",
    }


def test_transcript_append_captioner_may_do_nothing_else() -> None:
    given(*ON_ITEM).when(SendCheer(actor=CAPTIONER, at=t(10), presenter="Kim")).raises("forbidden")
    given(*ON_ITEM).when(RevealCheers(actor=CAPTIONER, at=t(10), item="i1")).raises("forbidden")


def test_caption_line_is_the_latest_of_turns_and_items() -> None:
    grant = FloorGranted(
        at=t(40), turn=1, participant="p1", item="i1", kind="speak", deadline=t(160), by="f1"
    )
    spoken = TranscriptAppended(at=t(50), turn=1, text="I think", by="c1", item="i1")
    loose = TranscriptAppended(at=t(30), turn=None, text="Welcome", by="c1", item="i1")
    state = state_of(*ON_ITEM, loose, grant, spoken)
    assert snapshot(state, PUBLIC)["caption"]["text"] == "I think"
    later = TranscriptAppended(at=t(70), turn=None, text="Thanks", by="c1", item="i1")
    state = state_of(
        *ON_ITEM, loose, grant, spoken, FloorEnded(at=t(60), turn=1, reason="yield"), later
    )
    assert snapshot(state, PUBLIC)["caption"]["text"] == "Thanks"
    assert snapshot(state_of(*ON_ITEM, grant), PUBLIC)["caption"] is None
    # A turn number the log does not hold changes nothing.
    assert state_of(*ON_ITEM, replace(spoken, turn=9)).floor == state_of(*ON_ITEM).floor


# --- voice equity --------------------------------------------------------------------


def turn(
    n: int, who: str, start: float, end: float, item: str | None = "i1"
) -> tuple[FloorGranted, FloorEnded]:
    return (
        FloorGranted(
            at=t(start),
            turn=n,
            participant=who,
            item=item,
            kind="speak",
            deadline=t(start + 120),
            by="f1",
        ),
        FloorEnded(at=t(end), turn=n, reason="yield"),
    )


def test_equity_per_person_and_item() -> None:
    second = AgendaItemStarted(at=t(300), item="i2", deadline=t(600))
    events = (
        *ON_ITEM,
        HandRaised(at=t(3), participant="p1", kind="speak", item="i1"),
        HandRaised(at=t(3), participant="p2", kind="speak", item="i1"),
        *turn(1, "p1", 10, 70),  # p1's hand called
        HandLowered(at=t(80), participant="p2", item="i1", by="p2"),  # p2 gives up
        *turn(2, "p1", 100, 130),
        second,
        HandRaised(at=t(301), participant="p2", kind="speak", item="i2"),
        HandRaised(at=t(302), participant="p3", kind="speak", item="i2"),
        *turn(3, "p2", 310, 400, "i2"),
        *turn(4, "p1", 400, 430, "i2"),
    )
    report = of_room(state_of(*events))
    people = {p.participant: p for p in report.people}
    assert (people["p1"].speaking_s, people["p1"].turns, people["p1"].share) == (120.0, 3, 0.5714)
    assert (people["p2"].speaking_s, people["p2"].hands, people["p2"].uncalled) == (90.0, 2, 1)
    assert (people["p3"].hands, people["p3"].uncalled) == (1, 0), "still waiting: may be called"
    assert people["f1"].speaking_s == 0.0, "everyone who took part is listed"
    assert report.people[0].participant == "p1"
    assert report.total_s == 210.0
    assert [(i.item, i.speakers, i.first_time, i.share) for i in report.items] == [
        ("i1", 1, 1, 1.0),
        ("i2", 2, 1, 0.5),
    ]
    ended = of_room(state_of(*events, SessionEnded(at=t(500))))
    assert {p.participant: p.uncalled for p in ended.people}["p3"] == 1, "never called at the end"


def test_equity_counts_the_running_turn_and_the_session_before_the_first_item() -> None:
    events = (*LIVE, ITEM2_ADDED, *turn(1, "p1", 5, 25, None), turn(2, "p2", 30, 0, None)[0])
    report = of_room(
        state_of(*events, HandRaised(at=t(40), participant="p3", kind="speak", item=None))
    )
    people = {p.participant: p for p in report.people}
    assert people["p2"].speaking_s == 10.0  # up to the last event
    assert [(i.item, i.first_time) for i in report.items] == [(None, 2), ("i2", 0)]


def test_equity_live_for_facilitators_only() -> None:
    events = (*ON_ITEM, *turn(1, "p1", 10, 70))
    state = state_of(*events)
    assert "equity" not in snapshot(state, PUBLIC)
    assert snapshot(state, STAFF)["equity"]["people"][0]["participant"] == "p1"
    assert "equity" in (project(events[-1], state, "facilitator") or {})
    assert "equity" not in (project(events[-1], state, "public") or {})
    empty = snapshot(state_of(*ON_ITEM), STAFF)["equity"]
    assert empty["total_s"] == 0.0
    assert {p["share"] for p in empty["people"]} == {0.0}


def test_cheer_and_caption_events_for_unknown_things_stay_total() -> None:
    state = state_of(*ON_ITEM, CheersRevealed(at=t(5), item="zz", by="f1"))
    assert "zz" in state.cheers.revealed
    assert P2.participant not in state.cheers.last

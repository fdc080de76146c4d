from __future__ import annotations

from facilitation.agenda import (
    AddAgendaItem,
    AgendaItemAdded,
    AgendaItemRemoved,
    AgendaItemUpdated,
    AgendaReordered,
    Document,
    RemoveAgendaItem,
    ReorderAgenda,
    UpdateAgendaItem,
    is_web_url,
)
from facilitation.agenda_timing import (
    AgendaItemCompleted,
    AgendaItemExtended,
    AgendaItemOverran,
    AgendaItemPaused,
    AgendaItemResumed,
    AgendaItemStarted,
    CompleteAgendaItem,
    ExtendAgendaItem,
    PauseAgendaItem,
    ResumeAgendaItem,
    StartAgendaItem,
    estimated_end,
)
from facilitation.floor import FloorEnded, FloorGranted
from facilitation.limits import MAX_DOCUMENTS, MAX_URL
from facilitation.render import item_view
from facilitation.room import TimerExpired, initial_state
from tests.facilitation.dsl import (
    FAC,
    ITEM2_ADDED,
    ITEM_ADDED,
    LIVE,
    OBS,
    ON_ITEM,
    ORG,
    P1,
    PEOPLE,
    given,
    state_of,
    t,
)

ADD = AddAgendaItem(actor=FAC, at=t(5), item="i1", title=" Budget ", duration_s=600)
PAUSED = AgendaItemPaused(at=t(102), item="i1", remaining_s=500.0)
GRANTED = FloorGranted(
    at=t(3), turn=1, participant="p1", item="i1", kind="speak", deadline=t(123), by="f1"
)


def test_agenda_add_appends_item() -> None:
    state = (
        given(*LIVE)
        .when(ADD)
        .then(AgendaItemAdded(at=t(5), item="i1", title="Budget", duration_s=600, description=""))
    )
    assert state.agenda.order == ("i1",)
    assert state.agenda.items["i1"].status == "pending"


def test_agenda_add_by_organiser_before_start() -> None:
    given().when(AddAgendaItem(actor=ORG, at=t(0), item="i1", title="B", duration_s=60)).then(
        AgendaItemAdded(at=t(0), item="i1", title="B", duration_s=60, description="")
    )


def test_agenda_add_by_organiser_after_start_refused() -> None:
    given(*LIVE).when(
        AddAgendaItem(actor=ORG, at=t(5), item="i1", title="B", duration_s=60)
    ).raises("session_not_scheduled")


def test_agenda_add_duplicate_id() -> None:
    given(*LIVE, ITEM_ADDED).when(ADD).raises("duplicate_id")


def test_agenda_add_invalid_title() -> None:
    given(*LIVE).when(AddAgendaItem(actor=FAC, at=t(5), item="i", title=" ", duration_s=60)).raises(
        "invalid_data"
    )


def test_agenda_add_invalid_duration() -> None:
    given(*LIVE).when(AddAgendaItem(actor=FAC, at=t(5), item="i", title="x", duration_s=0)).raises(
        "invalid_data"
    )


def test_agenda_add_invalid_description() -> None:
    given(*LIVE).when(
        AddAgendaItem(actor=FAC, at=t(5), item="i", title="x", duration_s=9, description="d" * 2001)
    ).raises("invalid_data")


def test_agenda_add_forbidden_for_participant() -> None:
    given(*LIVE).when(AddAgendaItem(actor=P1, at=t(5), item="i", title="x", duration_s=9)).raises(
        "forbidden"
    )


def test_agenda_add_by_absent_facilitator_refused() -> None:
    given().when(ADD).raises("not_present")


def test_agenda_update_changes_given_fields() -> None:
    state = (
        given(*LIVE, ITEM_ADDED)
        .when(UpdateAgendaItem(actor=FAC, at=t(5), item="i1", description="money"))
        .then(
            AgendaItemUpdated(
                at=t(5), item="i1", title="Budget", duration_s=600, description="money"
            )
        )
    )
    assert state.agenda.items["i1"].description == "money"


def test_agenda_update_title_and_duration() -> None:
    given(*LIVE, ITEM_ADDED).when(
        UpdateAgendaItem(actor=FAC, at=t(5), item="i1", title="Money", duration_s=60)
    ).then(AgendaItemUpdated(at=t(5), item="i1", title="Money", duration_s=60, description=""))


def test_agenda_update_unknown_item() -> None:
    given(*LIVE).when(UpdateAgendaItem(actor=FAC, at=t(5), item="x")).raises("item_not_found")


def test_agenda_update_forbidden_for_observer() -> None:
    given(*LIVE, ITEM_ADDED).when(UpdateAgendaItem(actor=OBS, at=t(5), item="i1")).raises(
        "forbidden"
    )


def test_agenda_remove_pending_item() -> None:
    state = (
        given(*LIVE, ITEM_ADDED)
        .when(RemoveAgendaItem(actor=FAC, at=t(5), item="i1"))
        .then(AgendaItemRemoved(at=t(5), item="i1"))
    )
    assert state.agenda.order == ()
    assert state.agenda.items == {}


def test_agenda_remove_running_item_refused() -> None:
    given(*ON_ITEM).when(RemoveAgendaItem(actor=FAC, at=t(5), item="i1")).raises("item_running")


def test_agenda_remove_done_item_refused() -> None:
    given(*ON_ITEM, AgendaItemCompleted(at=t(3), item="i1")).when(
        RemoveAgendaItem(actor=FAC, at=t(5), item="i1")
    ).raises("item_done")


def test_agenda_remove_unknown_item() -> None:
    given(*LIVE).when(RemoveAgendaItem(actor=FAC, at=t(5), item="x")).raises("item_not_found")


def test_agenda_remove_forbidden_for_participant() -> None:
    given(*LIVE, ITEM_ADDED).when(RemoveAgendaItem(actor=P1, at=t(5), item="i1")).raises(
        "forbidden"
    )


def test_agenda_reorder() -> None:
    state = (
        given(*LIVE, ITEM_ADDED, ITEM2_ADDED)
        .when(ReorderAgenda(actor=FAC, at=t(5), items=("i2", "i1")))
        .then(AgendaReordered(at=t(5), items=("i2", "i1")))
    )
    assert state.agenda.order == ("i2", "i1")


def test_agenda_reorder_must_list_every_item_once() -> None:
    given(*LIVE, ITEM_ADDED, ITEM2_ADDED).when(
        ReorderAgenda(actor=FAC, at=t(5), items=("i1", "i1"))
    ).raises("invalid_order")


def test_agenda_reorder_missing_item() -> None:
    given(*LIVE, ITEM_ADDED, ITEM2_ADDED).when(
        ReorderAgenda(actor=FAC, at=t(5), items=("i1",))
    ).raises("invalid_order")


def test_agenda_reorder_forbidden_for_participant() -> None:
    given(*LIVE, ITEM_ADDED).when(ReorderAgenda(actor=P1, at=t(5), items=("i1",))).raises(
        "forbidden"
    )


def test_agenda_start_sets_absolute_deadline() -> None:
    state = (
        given(*LIVE, ITEM_ADDED)
        .when(StartAgendaItem(actor=FAC, at=t(10), item="i1"))
        .then(AgendaItemStarted(at=t(10), item="i1", deadline=t(610)))
    )
    assert state.agenda.current == "i1"
    assert state.agenda.items["i1"].status == "running"


def test_agenda_start_completes_running_item_and_its_turn() -> None:
    given(*ON_ITEM, GRANTED).when(StartAgendaItem(actor=FAC, at=t(50), item="i2")).then(
        FloorEnded(at=t(50), turn=1, reason="item"),
        AgendaItemCompleted(at=t(50), item="i1"),
        AgendaItemStarted(at=t(50), item="i2", deadline=t(350)),
    )


def test_agenda_start_not_pending() -> None:
    given(*ON_ITEM).when(StartAgendaItem(actor=FAC, at=t(5), item="i1")).raises("item_not_pending")


def test_agenda_start_before_session() -> None:
    given(*PEOPLE, ITEM_ADDED).when(StartAgendaItem(actor=FAC, at=t(5), item="i1")).raises(
        "session_not_live"
    )


def test_agenda_start_unknown_item() -> None:
    given(*LIVE).when(StartAgendaItem(actor=FAC, at=t(5), item="x")).raises("item_not_found")


def test_agenda_start_forbidden_for_participant() -> None:
    given(*LIVE, ITEM_ADDED).when(StartAgendaItem(actor=P1, at=t(5), item="i1")).raises("forbidden")


def test_agenda_pause_keeps_remaining_time() -> None:
    state = given(*ON_ITEM).when(PauseAgendaItem(actor=FAC, at=t(102))).then(PAUSED)
    item = state.agenda.items["i1"]
    assert (item.status, item.deadline, item.remaining_s) == ("paused", None, 500.0)


def test_agenda_pause_when_paused() -> None:
    given(*ON_ITEM, PAUSED).when(PauseAgendaItem(actor=FAC, at=t(103))).raises("item_not_running")


def test_agenda_pause_without_running_item() -> None:
    given(*LIVE).when(PauseAgendaItem(actor=FAC, at=t(5))).raises("no_current_item")


def test_agenda_pause_forbidden_for_participant() -> None:
    given(*ON_ITEM).when(PauseAgendaItem(actor=P1, at=t(5))).raises("forbidden")


def test_agenda_resume_moves_deadline_by_pause() -> None:
    state = (
        given(*ON_ITEM, PAUSED)
        .when(ResumeAgendaItem(actor=FAC, at=t(202)))
        .then(AgendaItemResumed(at=t(202), item="i1", deadline=t(702)))
    )
    item = state.agenda.items["i1"]
    assert (item.status, item.paused_s, item.remaining_s) == ("running", 100.0, None)


def test_agenda_resume_when_running() -> None:
    given(*ON_ITEM).when(ResumeAgendaItem(actor=FAC, at=t(5))).raises("item_not_paused")


def test_agenda_resume_forbidden_for_participant() -> None:
    given(*ON_ITEM, PAUSED).when(ResumeAgendaItem(actor=P1, at=t(5))).raises("forbidden")


def test_agenda_extend_running_item() -> None:
    state = (
        given(*ON_ITEM)
        .when(ExtendAgendaItem(actor=FAC, at=t(5), seconds=60))
        .then(AgendaItemExtended(at=t(5), item="i1", seconds=60))
    )
    assert state.agenda.items["i1"].deadline == t(662)
    assert state.agenda.items["i1"].extended_s == 60


def test_agenda_extend_paused_item_adds_to_remaining() -> None:
    state = (
        given(*ON_ITEM, PAUSED)
        .when(ExtendAgendaItem(actor=FAC, at=t(5), seconds=60))
        .then(AgendaItemExtended(at=t(5), item="i1", seconds=60))
    )
    assert state.agenda.items["i1"].remaining_s == 560.0


def test_agenda_extend_after_overrun_rearms_the_timer() -> None:
    over = AgendaItemOverran(at=t(602), item="i1")
    state = (
        given(*ON_ITEM, over)
        .when(ExtendAgendaItem(actor=FAC, at=t(610), seconds=60))
        .then(AgendaItemExtended(at=t(610), item="i1", seconds=60))
    )
    assert not state.agenda.items["i1"].overrun


def test_agenda_extend_too_little_to_catch_up_stays_overrun() -> None:
    over = AgendaItemOverran(at=t(602), item="i1")
    state = (
        given(*ON_ITEM, over)
        .when(ExtendAgendaItem(actor=FAC, at=t(700), seconds=5))
        .then(AgendaItemExtended(at=t(700), item="i1", seconds=5))
    )
    assert state.agenda.items["i1"].overrun


def test_agenda_extend_paused_overrun_item() -> None:
    paused_late = AgendaItemPaused(at=t(700), item="i1", remaining_s=-98.0)
    over = AgendaItemOverran(at=t(602), item="i1")
    state = (
        given(*ON_ITEM, over, paused_late)
        .when(ExtendAgendaItem(actor=FAC, at=t(701), seconds=60))
        .then(AgendaItemExtended(at=t(701), item="i1", seconds=60))
    )
    assert state.agenda.items["i1"].overrun


def test_agenda_extend_invalid_seconds() -> None:
    given(*ON_ITEM).when(ExtendAgendaItem(actor=FAC, at=t(5), seconds=0)).raises("invalid_data")


def test_agenda_extend_forbidden_for_participant() -> None:
    given(*ON_ITEM).when(ExtendAgendaItem(actor=P1, at=t(5), seconds=5)).raises("forbidden")


def test_agenda_complete_running_item_records_actual_time() -> None:
    state = (
        given(*ON_ITEM)
        .when(CompleteAgendaItem(actor=FAC, at=t(302)))
        .then(AgendaItemCompleted(at=t(302), item="i1"))
    )
    item = state.agenda.items["i1"]
    assert (item.status, item.actual_s, state.agenda.current) == ("done", 300.0, None)


def test_agenda_complete_paused_item_excludes_pause() -> None:
    state = (
        given(*ON_ITEM, PAUSED)
        .when(CompleteAgendaItem(actor=FAC, at=t(202)))
        .then(AgendaItemCompleted(at=t(202), item="i1"))
    )
    assert state.agenda.items["i1"].actual_s == 100.0


def test_agenda_complete_pending_item_skips_it() -> None:
    state = (
        given(*ON_ITEM)
        .when(CompleteAgendaItem(actor=FAC, at=t(5), item="i2"))
        .then(AgendaItemCompleted(at=t(5), item="i2"))
    )
    assert state.agenda.items["i2"].actual_s is None
    assert state.agenda.current == "i1"


def test_agenda_complete_done_item() -> None:
    given(*ON_ITEM, AgendaItemCompleted(at=t(3), item="i1")).when(
        CompleteAgendaItem(actor=FAC, at=t(5), item="i1")
    ).raises("item_done")


def test_agenda_complete_without_running_item() -> None:
    given(*LIVE).when(CompleteAgendaItem(actor=FAC, at=t(5))).raises("item_not_found")


def test_agenda_complete_forbidden_for_participant() -> None:
    given(*ON_ITEM).when(CompleteAgendaItem(actor=P1, at=t(5))).raises("forbidden")


def test_agenda_timer_marks_overrun_once() -> None:
    timer = TimerExpired(at=t(602), kind="agenda", ref="i1")
    state = given(*ON_ITEM).when(timer).then(AgendaItemOverran(at=t(602), item="i1"))
    assert state.agenda.items["i1"].overrun
    given(*ON_ITEM, AgendaItemOverran(at=t(602), item="i1")).when(timer).then()


def test_agenda_timer_early_late_or_unknown_is_harmless() -> None:
    given(*ON_ITEM).when(TimerExpired(at=t(601), kind="agenda", ref="i1")).then()
    given(*ON_ITEM).when(TimerExpired(at=t(700), kind="agenda", ref="i2")).then()
    given(*ON_ITEM, PAUSED).when(TimerExpired(at=t(700), kind="agenda", ref="i1")).then()
    given(*ON_ITEM).when(TimerExpired(at=t(700), kind="agenda", ref="zz")).then()


def test_agenda_estimated_end() -> None:
    assert estimated_end(initial_state("r")) is None
    assert estimated_end(state_of(*LIVE, ITEM_ADDED)) == t(601)
    assert estimated_end(state_of(*ON_ITEM)) == t(902)
    assert estimated_end(state_of(*ON_ITEM, PAUSED)) == t(902)
    late = AgendaItemPaused(at=t(700), item="i1", remaining_s=-98.0)
    assert estimated_end(state_of(*ON_ITEM, late)) == t(1000)
    over = AgendaItemOverran(at=t(800), item="i1")
    assert estimated_end(state_of(*ON_ITEM, over)) == t(1100)


# --- documents of an item (SPEC §9): titles and http(s) URLs -----------------------------

BUDGET = Document(title=" Budget 2027 ", url=" https://city.example/budget.pdf ")
BUDGET_TRIMMED = Document(title="Budget 2027", url="https://city.example/budget.pdf")


def test_agenda_add_with_documents_trims_them() -> None:
    add = AddAgendaItem(
        actor=FAC, at=t(5), item="i1", title="B", duration_s=60, documents=(BUDGET,)
    )
    state = (
        given(*LIVE)
        .when(add)
        .then(
            AgendaItemAdded(
                at=t(5), item="i1", title="B", duration_s=60, description="",
                documents=(BUDGET_TRIMMED,),
            )
        )
    )  # fmt: skip
    assert state.agenda.items["i1"].documents == (BUDGET_TRIMMED,)
    assert item_view(state.agenda.items["i1"])["documents"] == [
        {"title": "Budget 2027", "url": "https://city.example/budget.pdf"}
    ]


def test_agenda_update_replaces_documents_or_keeps_them() -> None:
    plan = Document(title="Plan", url="http://city.example/plan")
    with_docs = AgendaItemAdded(
        at=t(1), item="i1", title="B", duration_s=60, description="", documents=(BUDGET_TRIMMED,)
    )
    state = (
        given(*LIVE, with_docs)
        .when(UpdateAgendaItem(actor=FAC, at=t(5), item="i1", documents=(plan,)))
        .then(
            AgendaItemUpdated(
                at=t(5), item="i1", title="B", duration_s=60, description="", documents=(plan,)
            )
        )
    )
    assert state.agenda.items["i1"].documents == (plan,)
    given(*LIVE, with_docs).when(UpdateAgendaItem(actor=FAC, at=t(5), item="i1", title="C")).then(
        AgendaItemUpdated(
            at=t(5), item="i1", title="C", duration_s=60, description="",
            documents=(BUDGET_TRIMMED,),
        )
    )  # fmt: skip


def test_agenda_documents_are_refused_past_the_limits() -> None:
    def add(*docs: Document) -> AddAgendaItem:
        return AddAgendaItem(
            actor=FAC, at=t(5), item="i1", title="B", duration_s=60, documents=docs
        )

    too_many = (BUDGET,) * (MAX_DOCUMENTS + 1)
    given(*LIVE).when(add(*too_many)).raises("invalid_data")
    given(*LIVE).when(add(Document(title=" ", url="https://a.example"))).raises("invalid_data")
    given(*LIVE).when(add(Document(title="x" * 201, url="https://a.example"))).raises(
        "invalid_data"
    )
    long_url = "https://a.example/" + "x" * MAX_URL
    given(*LIVE).when(add(Document(title="T", url=long_url))).raises("invalid_data")
    given(*LIVE).when(add(Document(title="T", url="javascript:alert(1)"))).raises("invalid_data")
    given(*LIVE, ITEM_ADDED).when(
        UpdateAgendaItem(
            actor=FAC, at=t(5), item="i1", documents=(Document(title="T", url="/relative"),)
        )
    ).raises("invalid_data")


def test_is_web_url_admits_only_absolute_http_and_https_addresses() -> None:
    for good in ("https://a.example", "HTTP://a.example/x?y=1#z", "https://a.example:8443/p"):
        assert is_web_url(good), good
    for bad in (
        "javascript:alert(1)", "data:text/html,x", "/api/x", "a.example", "ftp://a.example",
        "https://", "https:///path", "https://a.example/a b", "https://a.example/\x00",
        "https://a.example/\x7f", "https://a.example/\t", "//a.example", "https:a.example",
    ):  # fmt: skip
        assert not is_web_url(bad), bad

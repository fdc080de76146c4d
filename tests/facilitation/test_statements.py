from __future__ import annotations

from facilitation.floor import FloorGranted
from facilitation.moderation import ParticipantMuted, SettingsChanged
from facilitation.statements import HideStatement, PostStatement, StatementHidden, StatementPosted
from tests.facilitation.dsl import FAC, LIVE, OBS, ON_ITEM, P1, P2, PEOPLE, given, state_of, t


def settings(statements: bool = True, slow: int = 0) -> SettingsChanged:
    return SettingsChanged(
        at=t(1),
        by="f1",
        queue_policy="fifo",
        turn_s=120,
        auto_advance=False,
        max_turns_per_item=0,
        slow_mode_s=slow,
        statements=statements,
        questions=True,
        lobby=False,
    )


def posted(
    sid: str, who: str, seconds: float, turn: int | None = None, item: str | None = "i1"
) -> StatementPosted:
    return StatementPosted(
        at=t(seconds), statement=sid, participant=who, text="Hi", turn=turn, item=item
    )


def post(actor: object, sid: str, seconds: float, text: str = "Hi") -> PostStatement:
    return PostStatement(actor=actor, at=t(seconds), statement=sid, text=text)  # type: ignore[arg-type]


def test_statement_post_attaches_to_item() -> None:
    state = given(*ON_ITEM).when(post(P1, "s1", 5)).then(posted("s1", "p1", 5))
    assert state.statements["s1"].item == "i1"
    assert state.people.by_id["p1"].last_statement == t(5)


def test_statement_post_before_first_item_attaches_to_session() -> None:
    given(*LIVE).when(post(P1, "s1", 5)).then(posted("s1", "p1", 5, item=None))


def test_statement_post_by_speaker_attaches_to_turn() -> None:
    grant = FloorGranted(
        at=t(3), turn=1, participant="p1", item="i1", kind="speak", deadline=t(123), by="f1"
    )
    given(*ON_ITEM, grant).when(post(P1, "s1", 5)).then(posted("s1", "p1", 5, turn=1))
    given(*ON_ITEM, grant).when(post(P2, "s2", 5)).then(posted("s2", "p2", 5))


def test_statement_post_korean_text() -> None:
    given(*ON_ITEM).when(post(P1, "s1", 5, "안녕하세요")).then(
        StatementPosted(
            at=t(5), statement="s1", participant="p1", text="안녕하세요", turn=None, item="i1"
        )
    )


def test_statement_post_too_long() -> None:
    given(*ON_ITEM).when(post(P1, "s1", 5, "x" * 2001)).raises("text_too_long")


def test_statement_post_empty() -> None:
    given(*ON_ITEM).when(post(P1, "s1", 5, " ")).raises("text_empty")


def test_statement_post_duplicate_id() -> None:
    given(*ON_ITEM, posted("s1", "p2", 3)).when(post(P1, "s1", 5)).raises("duplicate_id")


def test_statement_post_statements_off() -> None:
    given(*ON_ITEM, settings(statements=False)).when(post(P1, "s1", 5)).raises("statements_off")


def test_statement_post_facilitator_ignores_off_and_slow_mode() -> None:
    events = (*ON_ITEM, settings(statements=False, slow=60), posted("s0", "f1", 4))
    given(*events).when(post(FAC, "s1", 5)).then(posted("s1", "f1", 5))


def test_statement_post_slow_mode() -> None:
    events = (*ON_ITEM, settings(slow=30), posted("s0", "p1", 4))
    given(*events).when(post(P1, "s1", 20)).raises("rate_limited")
    given(*events).when(post(P1, "s1", 34)).then(posted("s1", "p1", 34))


def test_statement_post_muted() -> None:
    given(*ON_ITEM, ParticipantMuted(at=t(3), participant="p1", by="f1")).when(
        post(P1, "s1", 5)
    ).raises("muted")


def test_statement_post_before_session() -> None:
    given(*PEOPLE).when(post(P1, "s1", 5)).raises("session_not_live")


def test_statement_post_forbidden_for_observer() -> None:
    given(*ON_ITEM).when(post(OBS, "s1", 5)).raises("forbidden")


def test_statement_hide_with_reason_is_logged() -> None:
    state = (
        given(*ON_ITEM, posted("s1", "p1", 3))
        .when(HideStatement(actor=FAC, at=t(5), statement="s1", reason=" insult "))
        .then(StatementHidden(at=t(5), statement="s1", reason="insult", by="f1"))
    )
    assert state.statements["s1"].hidden
    assert state.statements["s1"].hidden_reason == "insult"
    assert (state.statements["s1"].hidden_by, state.statements["s1"].hidden_at) == ("f1", t(5))
    entry = state.moderation[-1]
    assert (entry.action, entry.actor, entry.target, entry.reason) == (
        "statement.hide",
        "f1",
        "p1",
        "insult",
    )


def test_statement_hide_twice() -> None:
    given(
        *ON_ITEM,
        posted("s1", "p1", 3),
        StatementHidden(at=t(4), statement="s1", reason="x", by="f1"),
    ).when(HideStatement(actor=FAC, at=t(5), statement="s1", reason="y")).raises("already_hidden")


def test_statement_hide_unknown() -> None:
    given(*ON_ITEM).when(HideStatement(actor=FAC, at=t(5), statement="zz", reason="y")).raises(
        "statement_not_found"
    )


def test_statement_hide_needs_reason() -> None:
    given(*ON_ITEM, posted("s1", "p1", 3)).when(
        HideStatement(actor=FAC, at=t(5), statement="s1", reason=" ")
    ).raises("invalid_data")


def test_statement_hide_forbidden_for_participant() -> None:
    given(*ON_ITEM, posted("s1", "p1", 3)).when(
        HideStatement(actor=P2, at=t(5), statement="s1", reason="y")
    ).raises("forbidden")


def test_statement_events_for_unknown_ids_change_nothing() -> None:
    base = state_of(*ON_ITEM)
    hidden = state_of(*ON_ITEM, StatementHidden(at=t(4), statement="zz", reason="x", by="f1"))
    assert hidden.statements == base.statements
    ghost = state_of(*ON_ITEM, posted("s1", "ghost", 3))
    assert "ghost" not in ghost.people.by_id

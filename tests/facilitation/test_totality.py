"""`evolve` is total: events naming objects that do not exist change nothing."""

from __future__ import annotations

from facilitation.agenda_timing import AgendaItemCompleted
from facilitation.polls import PollClosed
from facilitation.queue import HandMoved
from tests.facilitation.dsl import ON_ITEM, state_of, t


def test_agenda_event_for_unknown_item() -> None:
    assert (
        state_of(*ON_ITEM, AgendaItemCompleted(at=t(3), item="zz")).agenda
        == state_of(*ON_ITEM).agenda
    )


def test_poll_event_for_unknown_poll() -> None:
    assert state_of(*ON_ITEM, PollClosed(at=t(3), poll="zz")).polls == {}


def test_hand_moved_without_hand() -> None:
    moved = state_of(*ON_ITEM, HandMoved(at=t(3), participant="p1", item="i1", position=0))
    assert moved.queues == state_of(*ON_ITEM).queues


def test_agenda_update_for_unknown_item() -> None:
    from facilitation.agenda import AgendaItemUpdated

    update = AgendaItemUpdated(at=t(3), item="zz", title="x", duration_s=5, description="")
    assert state_of(*ON_ITEM, update).agenda == state_of(*ON_ITEM).agenda


def test_ballot_with_unknown_option_counts_for_nothing() -> None:
    from facilitation.tally import contribution, count

    assert contribution("single", 2, 5) == [0, 0]
    assert contribution("score", 2, (1, 2, 3)) == [1, 2]
    assert count("multiple", 2, [(0, 7)], quorum=0).counts == (1, 0)

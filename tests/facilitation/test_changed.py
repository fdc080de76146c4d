"""``changed``: the fold's fast ``dataclasses.replace`` for the state's big frozen classes."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import UTC, datetime

import pytest

from facilitation.base import changed
from facilitation.participants import People
from facilitation.room import RoomState, initial_state


def test_changed_is_replace_and_leaves_the_original_alone() -> None:
    state = initial_state("r")
    at = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    new = changed(state, clock=at, seq=5, people=changed(state.people, present=3))
    assert new == replace(state, clock=at, seq=5, people=replace(state.people, present=3))
    assert type(new) is RoomState
    assert (state.seq, state.clock, state.people.present) == (0, None, 0)
    assert [f.name for f in fields(new)] == [f.name for f in fields(state)]
    with pytest.raises(AttributeError):
        new.seq = 6  # type: ignore[misc]  # still frozen


def test_an_unknown_field_is_refused_as_replace_refuses_it() -> None:
    with pytest.raises(TypeError, match="People has no field presnet"):
        changed(People(), presnet=1)


def test_the_classes_it_serves_have_no_post_init() -> None:
    # changed() skips __init__: safe only while these classes do nothing in it.
    for cls in (RoomState, People):
        assert not hasattr(cls, "__post_init__")
        assert "__slots__" not in vars(cls)

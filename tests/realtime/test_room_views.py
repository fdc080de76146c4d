"""Audiences that share a view get each event rendered and encoded once between them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from realtime.log import NewEvent, Record
from realtime.replica import Replica
from tests.realtime.toy import Recording, ToyDomain, ToyState


class SharedView(ToyDomain):
    """Observers see what participants see (as townhall's "public" view)."""

    def __init__(self) -> None:
        self.renders: list[tuple[str, str]] = []

    def view(self, audience: str) -> str:
        return "facilitator" if audience == "facilitator" else "public"

    def render(self, state: ToyState, event: NewEvent, audience: str) -> dict[str, Any] | None:
        self.renders.append((event.name, audience))
        return super().render(state, event, audience)


def test_participants_and_observers_share_one_rendering() -> None:
    domain = SharedView()
    room = Replica("main", domain, window=100)
    room.reset("e1")
    boxes = {audience: Recording() for audience in ("participant", "observer", "facilitator")}
    for audience, box in boxes.items():
        room.fanout.add(audience, box)
    seen = {audience: box.pushed for audience, box in boxes.items()}
    records = [
        Record(
            1,
            "counter.added",
            {"total": 1, "by": "p1"},
            datetime(2026, 11, 25, 15, tzinfo=UTC),
            None,
        ),
        Record(
            2, "note.added", {"text": "staff"}, datetime(2026, 11, 25, 15, 0, 1, tzinfo=UTC), None
        ),
    ]
    room.apply(records)
    # One render per record per view, not per audience.
    assert sorted(domain.renders) == [
        ("counter.added", "facilitator"),
        ("counter.added", "public"),
        ("note.added", "facilitator"),
        ("note.added", "public"),
    ]
    assert seen["participant"] == seen["observer"]
    assert seen["participant"][0] is seen["observer"][0]  # the same text object
    assert [json.loads(t)["seq"] for t in seen["participant"]] == [1]  # the note is not public
    assert len(json.loads("[" + seen["facilitator"][0] + "]")) == 2
    # A resume replays from the same per-view cache: no new renders.
    assert room.replay(0, "observer") == seen["participant"]
    assert len(domain.renders) == 4

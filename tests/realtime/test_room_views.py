"""Audiences that share a view get each event rendered and encoded once between them."""

from __future__ import annotations

import json
from typing import Any

from realtime.log import Record
from realtime.replica import Replica
from tests.realtime.toy import Recording, ToyDomain, ToyState


class SharedView(ToyDomain):
    """Observers see what participants see (as townhall's "public" view)."""

    def __init__(self) -> None:
        self.renders: list[tuple[int, str]] = []

    def view(self, audience: str) -> str:
        return "facilitator" if audience == "facilitator" else "public"

    def render(self, state: ToyState, record: Record, audience: str) -> dict[str, Any] | None:
        self.renders.append((record.seq, audience))
        return super().render(state, record, audience)


def test_participants_and_observers_share_one_rendering() -> None:
    domain = SharedView()
    room = Replica("main", domain, window=100)
    room.reset("e1")
    boxes = {audience: Recording() for audience in ("participant", "observer", "facilitator")}
    for audience, box in boxes.items():
        room.fanout.add(audience, box)
    seen = {audience: box.pushed for audience, box in boxes.items()}
    records = [
        Record(1, "counter.added", {"total": 1, "by": "p1"}, "2026-11-25T15:00:00.000Z", None),
        Record(2, "note.added", {"text": "staff"}, "2026-11-25T15:00:01.000Z", None),
    ]
    room.apply(records)
    # One render per record per view, not per audience.
    assert sorted(domain.renders) == [
        (1, "facilitator"),
        (1, "public"),
        (2, "facilitator"),
        (2, "public"),
    ]
    assert seen["participant"] == seen["observer"]
    assert seen["participant"][0] is seen["observer"][0]  # the same text object
    assert [json.loads(t)["seq"] for t in seen["participant"]] == [1]  # the note is not public
    assert len(json.loads("[" + seen["facilitator"][0] + "]")) == 2
    # A resume replays from the same per-view cache: no new renders.
    assert room.replay(0, "observer") == seen["participant"]
    assert len(domain.renders) == 4

"""Display names that cannot pass for staff or for nobody (issue 12)."""

from __future__ import annotations

from facilitation.base import Actor, Role
from facilitation.names import name_problem, visible
from facilitation.participants import JoinRoom, ParticipantJoined
from tests.facilitation.dsl import LIVE, given, joined, t

NEW = Actor("p9", Role.PARTICIPANT)


def test_names_visible_drops_fillers_and_invisible_characters() -> None:
    assert visible("\u3164") == ""
    assert visible("A\u200bn\u200dn\u3164a") == "Anna"
    wide = "".join(chr(ord(c) + 0xFEE0) for c in "Facilitator")  # full width
    assert visible(wide) == "Facilitator"  # folds to ASCII


def test_names_problem() -> None:
    assert name_problem("\u3164\u115f ", []) == "invalid_name"
    assert name_problem("\u200b", []) == "invalid_name"
    assert name_problem("FACILITATOR", []) == "name_reserved"
    assert name_problem("sys\u200btem", []) == "name_reserved"
    assert name_problem("진행자", []) == "name_reserved"
    assert name_problem("Dana Kim", ["dana kim"]) == "name_reserved"
    assert name_problem("Dana", ["Dana Kim"]) is None
    assert name_problem("김민준", []) is None


def test_participant_join_refuses_staff_names() -> None:
    chair = Actor("f9", Role.FACILITATOR)
    arrival = joined(chair)
    events = (*LIVE, arrival)
    staff_name = arrival.display_name
    for name, code in (("Facilitator", "name_reserved"), (staff_name, "name_reserved"),
                       ("\u3164", "invalid_name")):  # fmt: skip
        given(*events).when(JoinRoom(actor=NEW, at=t(9), display_name=name)).raises(code)
    # Facilitators themselves may use a staff word; participants any other name.
    chair2 = Actor("f8", Role.FACILITATOR)
    given(*events).when(JoinRoom(actor=chair2, at=t(9), display_name="Facilitator")).then(
        ParticipantJoined(at=t(9), participant="f8", display_name="Facilitator", role="facilitator")
    )

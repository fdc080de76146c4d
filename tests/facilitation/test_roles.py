from __future__ import annotations

from facilitation.base import Role
from facilitation.codec import SERVER_SPECS, SPECS
from facilitation.roles import can


def test_observers_may_only_ping() -> None:
    assert [name for name in {**SPECS, **SERVER_SPECS} if can(Role.OBSERVER, name)] == ["ping"]


def test_facilitators_may_do_everything_participants_may() -> None:
    for name in SPECS:
        if can(Role.PARTICIPANT, name):
            assert can(Role.FACILITATOR, name)


def test_participant_commands_match_spec() -> None:
    allowed = {n for n in SPECS if can(Role.PARTICIPANT, n)}
    assert allowed == {
        "hand.raise",
        "hand.lower",
        "floor.yield",
        "statement.post",
        "question.ask",
        "question.upvote",
        "reaction.send",
        "poll.vote",
        "proposal.submit",
        "proposal.support",
        "proposal.unsupport",
        "cheer.send",
        "ping",
    }


def test_organiser_sets_up_and_starts() -> None:
    assert can(Role.ORGANISER, "agenda.add")
    assert can(Role.ORGANISER, "session.start")
    assert not can(Role.ORGANISER, "floor.grant")
    assert not can(Role.FACILITATOR, "room.configure")


def test_captioners_only_append_transcript() -> None:
    allowed = {n for n in {**SPECS, **SERVER_SPECS} if can(Role.CAPTIONER, n)}
    assert allowed == {"transcript.append", "ping"}

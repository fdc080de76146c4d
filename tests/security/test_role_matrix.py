"""Attack class: a role doing what it may not. Every client command against every role,
through the codec and the rules (the real-server version of this matrix is
tests/townhall/test_commands_roles.py): observers may only ping, participants only what
SPEC §1 gives them, and each refusal is ``forbidden`` whatever the data."""

from __future__ import annotations

from typing import Any

import pytest

from facilitation.base import Actor, DomainError, Role
from facilitation.codec import SPECS, command_from_wire
from facilitation.roles import can
from facilitation.room import decide
from tests.facilitation.dsl import LIVE, OBS, P1, state_of, t
from tests.townhall.test_commands_roles import SAMPLE

# What SPEC §1 and §10 give a participant (and an observer: nothing but ping).
PARTICIPANT_MAY = {
    "hand.raise", "hand.lower", "floor.yield", "statement.post", "question.ask",
    "question.upvote", "reaction.send", "poll.vote", "proposal.submit", "proposal.support",
    "proposal.unsupport", "cheer.send", "ping",
}  # fmt: skip
STATE = state_of(*LIVE)


def _sample(command: str) -> dict[str, Any]:
    return dict(SAMPLE.get(command, {}))


@pytest.mark.parametrize("command", sorted(SPECS))
def test_the_table_gives_each_role_what_the_spec_does(command: str) -> None:
    assert can(Role.OBSERVER, command) is (command == "ping")
    assert can(Role.PARTICIPANT, command) is (command in PARTICIPANT_MAY)
    assert can(Role.FACILITATOR, command)


@pytest.mark.parametrize("command", sorted(c for c in SPECS if c not in PARTICIPANT_MAY))
@pytest.mark.parametrize("actor", [P1, OBS], ids=["participant", "observer"])
def test_a_command_beyond_the_role_is_forbidden(command: str, actor: Actor) -> None:
    parsed = command_from_wire(
        command, _sample(command), actor=actor, at=t(9), new_id="n1", ballot_secret=b"k"
    )
    with pytest.raises(DomainError) as refused:
        decide(parsed, STATE)
    assert refused.value.code == "forbidden"

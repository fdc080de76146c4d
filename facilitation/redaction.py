"""Text withdrawn from the room: one rule for every feature that hides or dismisses.

A hidden statement, a dismissed or hidden question, a hidden proposal keep their place,
but the public views (participants, observers, the projector) never see their text
again: not in a snapshot, and not in a replay of the event that first carried it (a
client resuming from seq 0 used to receive the original ``statement.posted`` with the
full text, then ``statement.hidden``). Facilitators keep seeing it, as their snapshot
does (they moderate it); the archive keeps it for the record.

A feature joins by naming its withdrawing events (``WITHDRAWING``), the events that
carry text about a subject (``CARRIES``) and how to tell that a subject is withdrawn now
(``_SUBJECTS``). ``RoomState.withdrawn`` holds the seq of the last withdrawal, so a
replay knows at a glance whether an old event may need it (``needs_redaction``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facilitation.room import RoomState

__all__ = ["CARRIES", "WITHDRAWING", "needs_redaction", "redact", "withdrawn"]

WITHDRAWING = frozenset(
    {"statement.hidden", "question.dismissed", "question.hidden", "proposal.hidden"}
)

# event name -> (the data key naming its subject, the text fields it carries)
CARRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "statement.posted": ("statement", ("text",)),
    "question.asked": ("question", ("text",)),
    "proposal.submitted": ("proposal", ("text",)),
}


def _statement(state: RoomState, ident: str) -> bool:
    found = state.statements.get(ident)
    return found is not None and found.hidden


def _question(state: RoomState, ident: str) -> bool:
    found = state.questions.get(ident)
    return found is not None and not found.text_public


def _proposal(state: RoomState, ident: str) -> bool:
    found = state.proposals.get(ident)
    return found is not None and found.status == "hidden"


_SUBJECTS: dict[str, Callable[[RoomState, str], bool]] = {
    "statement": _statement,
    "question": _question,
    "proposal": _proposal,
}


def withdrawn(state: RoomState, subject: str, ident: str) -> bool:
    """Whether the text of ``subject`` ``ident`` is withdrawn in ``state``."""
    return _SUBJECTS[subject](state, ident)


def needs_redaction(rendered: RoomState, now: RoomState) -> bool:
    """Whether an event rendered at ``rendered`` may carry text withdrawn by ``now``."""
    return now.withdrawn > rendered.seq


def redact(name: str, data: dict[str, Any], now: RoomState, staff: bool) -> dict[str, Any]:
    """An event's data as a public view may be shown it in ``now``: withdrawn text
    becomes null (``staff``: a facilitators' view, shown everything)."""
    carried = CARRIES.get(name)
    if carried is None or staff:
        return data
    subject, fields = carried
    ident = data.get(subject)
    if not isinstance(ident, str) or not withdrawn(now, subject, ident):
        return data
    return {**data, **dict.fromkeys(fields), "withdrawn": True}

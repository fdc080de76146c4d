"""The permission table: which role may send which command, in one place.

Deciders refine it (e.g. a participant lowers only their own hand; the organiser edits
the agenda only before the start); `decide` refuses anything outside it as `forbidden`.
"""

from __future__ import annotations

from facilitation.base import Role

PARTICIPANT = frozenset(
    {
        "participant.join",
        "participant.leave",
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
)

FACILITATOR = PARTICIPANT | frozenset(
    {
        "floor.grant",
        "floor.end",
        "floor.extend",
        "queue.close",
        "queue.open",
        "queue.move",
        "queue.clear",
        "agenda.add",
        "agenda.update",
        "agenda.remove",
        "agenda.reorder",
        "agenda.start",
        "agenda.pause",
        "agenda.resume",
        "agenda.extend",
        "agenda.complete",
        "poll.create",
        "poll.open",
        "poll.close",
        "poll.publish",
        "statement.hide",
        "transcript.append",
        "question.answer",
        "question.dismiss",
        "question.to_queue",
        "question.approve",
        "question.hide",
        "proposal.merge",
        "proposal.hide",
        "cheer.reveal",
        "decision.record",
        "participant.mute",
        "participant.unmute",
        "participant.remove",
        "participant.admit",
        "room.lock",
        "room.unlock",
        "room.settings",
        "session.start",
        "session.end",
        "presence.update",
        "attendance.record",
    }
)

ORGANISER = frozenset(
    {
        "agenda.add",
        "agenda.update",
        "agenda.remove",
        "agenda.reorder",
        "room.settings",
        "room.configure",
        "room.access",
        "roll.add",
        "proxy.record",
        "proxy.revoke",
        "session.start",
        "session.end",
        "ping",
    }
)

# Observers watch; `ping` is the only thing they send, and it changes nothing.
OBSERVER = frozenset({"ping"})

# A captioner (a person typing or a speech-to-text bot) only adds transcript text.
CAPTIONER = frozenset({"transcript.append", "ping"})

TABLE: dict[Role, frozenset[str]] = {
    Role.ORGANISER: ORGANISER,
    Role.FACILITATOR: FACILITATOR,
    Role.PARTICIPANT: PARTICIPANT,
    Role.OBSERVER: OBSERVER,
    Role.CAPTIONER: CAPTIONER,
}


def can(role: Role, command: str) -> bool:
    return command in TABLE[role]

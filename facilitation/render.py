"""JSON shapes of the room's parts, shared by snapshots and event projections."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from facilitation.event_codec import to_iso
from facilitation.queue import current

if TYPE_CHECKING:
    from facilitation.agenda import Item
    from facilitation.decisions import Decision
    from facilitation.floor import Turn
    from facilitation.moderation_log import ModerationEntry
    from facilitation.polls import Poll
    from facilitation.proposals import Proposal
    from facilitation.questions import Question
    from facilitation.room import RoomState
    from facilitation.tally import Choice, Tally

Json = dict[str, Any]


def iso(at: datetime | None) -> str | None:
    return None if at is None else to_iso(at)


def item_view(item: Item) -> Json:
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "duration_s": item.duration_s,
        "status": item.status,
        "started": iso(item.started),
        "ended": iso(item.ended),
        "deadline": iso(item.deadline),
        "remaining_s": item.remaining_s,
        "paused_s": item.paused_s,
        "extended_s": item.extended_s,
        "overrun": item.overrun,
        "actual_s": item.actual_s,
        "presenters": list(item.presenters),
        "documents": [{"title": d.title, "url": d.url} for d in item.documents],
    }


def queue_view(state: RoomState) -> Json:
    queue = current(state)
    hands = [
        {"participant": h.participant, "kind": h.kind, "raised": iso(h.raised), "position": i}
        for i, h in enumerate(queue.hands)
    ]
    return {
        "item": state.agenda.current,
        "closed": queue.closed,
        "moved": queue.moved,
        "hands": hands,
    }


def turn_view(turn: Turn) -> Json:
    return {
        "turn": turn.number,
        "participant": turn.participant,
        "item": turn.item,
        "kind": turn.kind,
        "started": iso(turn.started),
        "deadline": iso(turn.deadline),
        "ended": iso(turn.ended),
        "end_reason": turn.end_reason,
        "overrun": turn.overrun,
        "duration_s": turn.duration_s,
        "overrun_s": turn.overrun_s,
        "transcript": list(turn.transcript),
    }


def tally_view(tally: Tally) -> Json:
    view: Json = {
        "turnout": tally.turnout,
        "in_person": tally.in_person,
        "by_proxy": tally.by_proxy,
        "counts": list(tally.counts),
        "winner": tally.winner,
        "quorum_met": tally.quorum_met,
        "rounds": [
            {"counts": list(r.counts), "eliminated": r.eliminated, "exhausted": r.exhausted}
            for r in tally.rounds
        ],
    }
    if tally.voters:
        view["voters"] = list(tally.voters)
    return view


def battle_view(poll: Poll, full: bool = True) -> Json:
    """A battle's movement: opening shares (each voter's first position) and every change
    between positions (`moves`); `full` adds the net switches from first to current
    position (a pass over every ballot) and the counts over time."""
    n = len(poll.options)
    view: Json = {
        "opening": list(poll.first_totals) or [0] * n,
        "moves": [list(row) for row in poll.moves] or [[0] * n for _ in range(n)],
    }
    if full:
        view["switches"] = [list(row) for row in poll.switches()]
        view["timeline"] = [{"at": iso(p.at), "counts": list(p.counts)} for p in poll.timeline]
    return view


def _choice(choice: Choice) -> int | list[int]:
    return choice if isinstance(choice, int) else list(choice)


def results_visible(poll: Poll, staff: bool) -> bool:
    return poll.results_public() or (staff and poll.status in ("closed", "published"))


def poll_view(poll: Poll, staff: bool, mine: Choice | None = None) -> Json:
    visible = results_visible(poll, staff)
    view: Json = {
        "id": poll.id,
        "question": poll.question,
        "kind": poll.kind,
        "options": list(poll.options),
        "max_choices": poll.max_choices,
        "secret": poll.secret,
        "results": poll.results,
        "status": poll.status,
        "item": poll.item,
        "quorum": poll.quorum,
        "quorum_share": poll.quorum_share,
        "quorum_needed": poll.needed,
        "electorate": poll.electorate,
        "duration_s": poll.duration_s,
        "opened": iso(poll.opened),
        "closes": iso(poll.closes),
        "closed": iso(poll.closed),
        "eligible": len(poll.eligible),
        "proxies": len(poll.proxies),
        "turnout": poll.turnout,
        "tally": tally_view(poll.result or poll.tally()) if visible else None,
        "mine": None if mine is None else _choice(mine),
        "final": poll.final,
        "votes_per_person": poll.votes_per_person or None,
        "max_per_option": poll.max_per_option or None,
        "proposals": list(poll.proposals),
        "repeat_of": poll.repeat_of,
    }
    if poll.kind == "battle" and visible:
        view["battle"] = battle_view(poll)
    if not poll.secret and visible:
        view["ballots"] = {k: _choice(v) for k, v in poll.ballots.items()}
    return view


def decision_view(decision: Decision, tally_shown: bool = True) -> Json:
    """``tally_shown``: whether this viewer may see the linked poll's results yet (an
    on_close poll's copy stays hidden from the public until the poll is published)."""
    result = decision.result
    return {
        "id": decision.id,
        "item": decision.item,
        "text": decision.text,
        "dissent": decision.dissent,
        "at": iso(decision.at),
        "by": decision.by,
        "result": None
        if result is None
        else {
            "poll": result.poll,
            "question": result.question,
            "kind": result.kind,
            "options": list(result.options),
            "secret": result.secret,
            "tally": tally_view(result.tally) if tally_shown else None,
        },
    }


def proposal_view(proposal: Proposal, staff: bool, viewer: str | None) -> Json:
    hidden = proposal.status == "hidden"
    return {
        "id": proposal.id,
        "participant": proposal.participant,
        "text": proposal.text if staff or not hidden else None,
        "at": iso(proposal.at),
        "item": proposal.item,
        "support": len(proposal.supporters),
        "supported": viewer in proposal.supporters,
        "status": proposal.status,
        "merged_into": proposal.merged_into,
        "polls": list(proposal.polls),
        "hidden_reason": proposal.hidden_reason,
    }


def moderation_view(entry: ModerationEntry) -> Json:
    return {
        "at": iso(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "reason": entry.reason,
        "detail": None if entry.detail is None else dict(entry.detail),
    }


def question_view(question: Question, staff: bool, viewer: str | None) -> Json:
    """An anonymous question names its asker to facilitators and the asker only; a
    dismissed, hidden or pending question's text is for facilitators (and its asker)."""
    mine = viewer is not None and question.participant == viewer
    return {
        "id": question.id,
        "participant": question.participant if staff or mine or not question.anonymous else None,
        "anonymous": question.anonymous,
        "mine": mine,
        "text": question.text if staff or mine or question.text_public else None,
        "at": iso(question.at),
        "item": question.item,
        "votes": len(question.votes),
        "status": question.status,
        "upvoted": viewer in question.votes,
        "hidden_reason": question.hidden_reason,
    }

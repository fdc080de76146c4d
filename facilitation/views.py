"""What each viewer may see: `snapshot(state, viewer)` and `project(event, state, audience)`.

Both are pure functions of the state, so a snapshot at seq n followed by the events after
n is the snapshot at the end. Secret ballots never appear: polls show tallies (when their
visibility allows) and turnout; a viewer additionally sees their own current choice.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from facilitation.agenda_timing import advance_at, estimated_end, plan_offsets, planned_starts
from facilitation.base import Event, Role
from facilitation.equity import Equity, of_room
from facilitation.event_codec import event_to_wire
from facilitation.participants import AttendanceRecorded, Person
from facilitation.polls import Poll, ballot_key
from facilitation.queue import current, key
from facilitation.reactions import current_of
from facilitation.render import (
    Json,
    battle_view,
    decision_view,
    iso,
    item_view,
    moderation_view,
    poll_view,
    proposal_view,
    question_view,
    queue_view,
    results_visible,
    tally_view,
    turn_view,
)

if TYPE_CHECKING:
    from facilitation.decisions import Decision
    from facilitation.room import RoomState
    from facilitation.statements import Statement
    from facilitation.tally import Choice


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Viewer:
    participant: str | None
    role: Role
    ballot_secret: bytes | None = None


def _staff(role: Role) -> bool:
    return role in (Role.FACILITATOR, Role.ORGANISER)


# ``memo(name, sources, build)``: ``build()``, or what it gave before for the same
# ``sources`` (compared by identity: the state's parts are immutable and an event that
# does not touch a part keeps it). A server welcoming thousands passes one that
# remembers the latest value under each name (names start with the room's id); ``wire``
# may also hand back the value already encoded (it goes out as is).
Memo = Callable[[str, tuple[object, ...], Callable[[], Any]], Any]


def fresh(name: str, sources: tuple[object, ...], build: Callable[[], Any]) -> Any:
    """The ``Memo`` that remembers nothing."""
    return build()


def snapshot(state: RoomState, viewer: Viewer, memo: Memo = fresh, wire: Memo = fresh) -> Json:
    staff = _staff(viewer.role)
    s = state.session
    # Facilitators list everyone, the lobby included. The public gets the people whose
    # names the rest of the snapshot shows (turns, hands, statements, questions,
    # moderation), the facilitators and the viewer, not the whole crowd: a welcome costs
    # the same in a room of 50 and of 5,000. Events that bring someone into view later
    # carry their name (`project`); `present` counts.
    people = list(state.people.by_id.values()) if staff else _named(state, viewer, memo)
    audience = "staff" if staff else "public"
    return {
        "room": state.room,
        "clock": iso(state.clock),
        "session": {
            "status": s.status,
            "title": s.title,
            "description": s.description,
            "language": s.language,
            "started": iso(s.started),
            "ended": iso(s.ended),
        },
        "settings": {
            **vars(state.settings),
            "max_turns_per_item": state.settings.max_turns_per_item or None,
        },
        "locked": state.locked,
        "access": state.roll.access,
        "roll": roll_view(state) if staff else None,
        "participants": [
            {
                "id": p.id,
                "name": p.name,
                "role": str(p.role),
                "status": p.status,
                "muted": p.muted,
                "banned": p.banned,
                **({"stays": [[iso(x.joined), iso(x.left)] for x in p.stays]} if staff else {}),
            }
            for p in people
        ],
        "present": state.people.present,
        "observers": state.people.observers,
        "observers_peak": state.people.observers_peak,
        "agenda": agenda_view(state),
        "cheers": cheers_view(state),
        "caption": caption_view(state),
        "queue": queue_view(state),
        "floor": None if (t := state.floor.current_turn()) is None else turn_view(t),
        "turns": wire(
            f"{state.room}/turns",
            (state.floor.turns,),
            lambda: [turn_view(t) for t in state.floor.turns],
        ),
        "polls": [
            poll_view(p, staff, _mine(p, viewer))
            for p in state.polls.values()
            if staff or p.status != "draft"
        ],
        "statements": wire(
            f"{state.room}/statements:{audience}",
            (state.statements,),
            lambda: [statement_view(x, staff) for x in state.statements.values()],
        ),
        "questions": [
            question_view(q, staff, viewer.participant)
            for q in sorted(state.questions.values(), key=lambda q: (-len(q.votes), q.at))
            if staff or q.status != "pending" or q.participant == viewer.participant
        ],
        "reactions": {k: dict(v) for k, v in state.reactions.items()},
        "temperature": temperature(state),
        "decisions": [
            decision_view(d, _decision_tally_shown(state, d, staff))
            for d in state.decisions.values()
        ],
        "proposals": [
            proposal_view(x, staff, viewer.participant)
            for x in sorted(state.proposals.values(), key=lambda x: (-len(x.supporters), x.at))
        ],
        "moderation": wire(
            f"{state.room}/moderation",
            (state.moderation,),
            lambda: [moderation_view(m) for m in state.moderation],
        ),
        "you": you_view(state, viewer),
        **({"equity": equity_view(of_room(state))} if staff else {}),
        # The hash chain's head after event `seq` (SPEC §8): people note it and check
        # the published minutes later.
        "record": {"seq": state.seq, "head": state.head},
    }


def roll_view(state: RoomState) -> Json:
    """The roll for facilitators: members in roll order, each with the holder of their
    proxy (or null)."""
    proxies = state.roll.proxies
    return {
        "members": [
            {"participant": p, "name": name, "proxy": proxies.get(p)}
            for p, name in state.roll.members.items()
        ],
    }


def public_ids(state: RoomState) -> set[str]:
    """Whom the public knows by name: the facilitators and everyone the public snapshot
    refers to (speakers, hands in any queue, authors of statements and questions,
    moderation). Not the crowd: its arrivals and departures reach the public as counts."""
    ids: set[str] = set(state.people.staff)
    for queue in state.queues.by_item.values():
        ids.update(h.participant for h in queue.hands)
    ids.update(t.participant for t in state.floor.turns)
    ids.update(x.participant for x in state.statements.values())
    ids.update(q.participant for q in state.questions.values())
    for m in state.moderation:
        ids.add(m.actor)
        if m.target is not None:
            ids.add(m.target)
    return ids


def statement_view(x: Statement, staff: bool) -> Json:
    return {
        "id": x.id,
        "participant": x.participant,
        "at": iso(x.at),
        "turn": x.turn,
        "item": x.item,
        "hidden": x.hidden,
        "hidden_reason": x.hidden_reason,
        "text": x.text if staff or not x.hidden else None,
    }


def _named(state: RoomState, viewer: Viewer, memo: Memo = fresh) -> list[Person]:
    """The people of a public snapshot: `public_ids` and the viewer, never the lobby."""

    def first_seen(p: Person) -> datetime:
        return p.stays[0].joined if p.stays else state.clock or _EPOCH

    def public() -> tuple[set[str], list[Person]]:
        ids = public_ids(state)
        by_id = state.people.by_id
        found = (by_id.get(i) for i in ids)
        named = [p for p in found if p is not None and p.status != "waiting"]
        return ids, sorted(named, key=first_seen)

    s = state
    sources = (s.people, s.queues, s.floor, s.statements, s.questions, s.moderation, s.clock)
    ids: set[str]
    named: list[Person]
    ids, named = memo(f"{state.room}/named", sources, public)
    me = state.people.by_id.get(viewer.participant or "")
    if me is None or me.id in ids or me.status == "waiting":
        return named
    at = bisect_right(named, first_seen(me), key=first_seen)
    return [*named[:at], me, *named[at:]]


def _mine(poll: Poll, viewer: Viewer) -> Choice | None:
    if viewer.participant is None:
        return None
    if not poll.secret:
        return poll.ballots.get(viewer.participant)
    if viewer.ballot_secret is None:
        return None
    return poll.ballots.get(ballot_key(viewer.ballot_secret, poll.id, viewer.participant))


def you_view(state: RoomState, viewer: Viewer) -> Json | None:
    person = state.people.by_id.get(viewer.participant or "")
    if person is None:
        return None
    hand = None
    for position, h in enumerate(current(state).hands):
        if h.participant == person.id:
            hand = {"position": position, "kind": h.kind, "wait_s": estimated_wait(state, position)}
    turn = state.floor.current_turn()
    roll = state.roll
    return {
        "participant": person.id,
        "name": person.name,
        "role": str(person.role),
        "status": person.status,
        "muted": person.muted,
        "hand": hand,
        "speaking": turn is not None and turn.participant == person.id,
        "member": person.id in roll.members,
        # Proxies are fixed before the start: who votes for this member, and for whom
        # this member's ballot also counts.
        "proxy_holder": roll.proxies.get(person.id),
        "proxies_held": roll.held_by(person.id),
        # Their names from the roll: they need not be in the room (nor in this snapshot).
        "proxy_names": {
            p: roll.members.get(p, p)
            for p in (
                *roll.held_by(person.id),
                *([roll.proxies[person.id]] if person.id in roll.proxies else []),
            )
        },
        "reaction": current_of(state, state.agenda.current, person.id),
    }


def present(state: RoomState) -> int:
    """People in the room now (participants and facilitators; not observers), kept by
    the state itself: a welcome or a reaction in a room of 5,000 does not count them."""
    return state.people.present


def temperature(state: RoomState) -> Json:
    """The running item's reactions as a share of the people present."""
    item = state.agenda.current
    counts = dict(state.reactions.get(key(item), {}))
    people = present(state)
    shares = {k: round(v / people, 4) if people else 0.0 for k, v in counts.items()}
    return {"item": item, "present": people, "counts": counts, "shares": shares}


def _decision_tally_shown(state: RoomState, decision: Decision, staff: bool) -> bool:
    poll = state.polls.get(decision.result.poll) if decision.result else None
    return poll is None or results_visible(poll, staff)


def estimated_wait(state: RoomState, position: int) -> float:
    """The rest of the current turn plus a full turn for each hand ahead."""
    wait = float(state.settings.turn_s * position)
    turn = state.floor.current_turn()
    if turn is not None and state.clock is not None:
        wait += max(0.0, (turn.deadline - state.clock).total_seconds())
    return wait


def project(event: Event, state_after: RoomState, audience: str) -> Json | None:
    """The `data` of this event for clients of `audience` ("public" or "facilitator")."""
    staff = audience == "facilitator"
    name, data = event_to_wire(event)
    if name in _STAFF_ONLY and not staff:
        return None
    poll = state_after.polls.get(str(data.get("poll")))
    if name in ("vote.counted", "poll.closed", "poll.published") and poll is not None:
        visible = results_visible(poll, staff)
        shown = {
            "poll": poll.id,
            "turnout": poll.turnout,
            "tally": tally_view(poll.result or poll.tally()) if visible else None,
        }
        if poll.kind == "battle" and visible:
            # A vote's new timeline point is its own time and tally; the net switches
            # (a pass over every ballot) come with the snapshot and the close.
            shown["battle"] = battle_view(poll, full=name != "vote.counted")
        return shown if name == "vote.counted" else {**shown, "status": poll.status}
    if name == "poll.opened" and poll is not None:
        return poll_view(poll, staff)
    if isinstance(event, AttendanceRecorded):
        return _attendance(event, state_after, staff)
    if not staff and name in _NAMED:
        # The public snapshot names only the people it refers to: an event that brings
        # someone into view carries their name.
        person = state_after.people.by_id.get(str(data["participant"]))
        if person is not None:
            data["display_name"] = person.name
            data["role"] = str(person.role)
    if name == "participant.admitted":
        # The public never saw them wait, so this is where it learns their name.
        person = state_after.people.by_id.get(str(data["participant"]))
        data["display_name"] = None if person is None else person.name
        data["role"] = None if person is None else str(person.role)
    if name == "question.upvoted":
        question = state_after.questions.get(str(data["question"]))
        data["votes"] = 0 if question is None else len(question.votes)
    if name in ("question.asked", "question.approved") and not staff:
        question = state_after.questions.get(str(data["question"]))
        if question is None or question.status == "pending":
            return None  # premoderated: nobody but facilitators sees it yet
        # Approval is where the public first sees a premoderated question; who approved
        # it is on the public moderation log (`by`, as for every other act).
        shown = {**question_view(question, False, None), "question": question.id}
        asker = state_after.people.by_id.get(str(shown["participant"]))
        if asker is not None:  # named (not anonymous): the public may not know them yet
            shown |= {"display_name": asker.name, "role": str(asker.role)}
        return {**shown, **{k: data[k] for k in ("by",) if k in data}}
    if name == "decision.recorded":
        decision = state_after.decisions.get(str(data["decision"]))
        if decision is None:
            data["result"] = None
        else:
            visible = _decision_tally_shown(state_after, decision, staff)
            data["result"] = decision_view(decision, visible)["result"]
    if name in ("proposal.supported", "proposal.unsupported", "proposal.merged"):
        ref = data["into"] if name == "proposal.merged" else data["proposal"]
        proposal = state_after.proposals.get(str(ref))
        data["support"] = 0 if proposal is None else len(proposal.supporters)
    if name == "reaction.sent":
        del data["participant"]  # counts only: nobody's reaction is shown
        data["counts"] = dict(state_after.reactions.get(key(event_item(data)), {}))
        data["present"] = present(state_after)
    if name in ("participant.left", "participant.removed"):
        # Leaving withdraws one's reaction on the running item.
        data["temperature"] = temperature(state_after)
    if name in ("participant.joined", "participant.left"):
        data["present"] = present(state_after)
        if not staff and data["participant"] not in public_ids(state_after):
            # Someone of the crowd: the public hears of them as a count.
            return {k: v for k, v in data.items() if k in ("present", "temperature")}
    # Queue order follows the policy; clients take it from here instead of recomputing it.
    if name in _QUEUE_CHANGES:
        data["queue"] = queue_view(state_after)
    if name.startswith("agenda."):
        data["estimated_end"] = iso(estimated_end(state_after))
        data["plan"] = plan_view(state_after)
    if name == "cheer.sent":
        del data["participant"]  # a cheer came, for the animation: no count, nobody named
    if name == "cheer.revealed":
        data["counts"] = dict(state_after.cheers.of(str(data["item"])))
    if staff and name in _EQUITY_CHANGES:
        data["equity"] = equity_view(of_room(state_after))
    return data


def agenda_view(state: RoomState) -> Json:
    starts = planned_starts(state)
    return {
        "current": state.agenda.current,
        "estimated_end": iso(estimated_end(state)),
        "items": [
            {**item_view(state.agenda.items[i]), "planned_start": iso(starts.get(i))}
            for i in state.agenda.order
        ],
        "plan": plan_view(state),
    }


def plan_view(state: RoomState) -> Json:
    """What a client needs to re-plan the agenda every second, without another event:
    each pending item starts `offsets[item]` seconds after the running item ends, which
    is its deadline, or now while it runs over (at most `advance_at`, when the agenda
    runs itself), or now + its remaining time while paused."""
    return {"offsets": plan_offsets(state), "advance_at": iso(advance_at(state))}


def cheers_view(state: RoomState) -> Json:
    """Per item with presenters: its presenters, and the counts once revealed (to
    everyone alike: facilitators do not see them earlier)."""
    shown: Json = {}
    for i in state.agenda.order:
        item = state.agenda.items[i]
        counts = state.cheers.of(i)
        if item.presenters or counts:
            revealed = i in state.cheers.revealed
            shown[i] = {
                "presenters": list(item.presenters),
                "revealed": revealed,
                "counts": {
                    p: counts.get(p, 0) for p in {**dict.fromkeys(item.presenters), **counts}
                }
                if revealed
                else None,
            }
    return shown


def caption_view(state: RoomState) -> Json | None:
    """The latest transcript line (the projector's caption), from a turn or an item."""
    found: tuple[datetime, Json] | None = None
    for turn in reversed(state.floor.turns):
        if turn.segments:
            seg = turn.segments[-1]
            found = (seg.at, {"text": seg.text, "turn": turn.number, "item": turn.item})
            break
    loose = state.captions.get(len(state.captions))
    if loose is not None and (found is None or loose.at >= found[0]):
        found = (loose.at, {"text": loose.text, "turn": None, "item": loose.item})
    return None if found is None else {**found[1], "at": iso(found[0])}


def equity_view(report: Equity) -> Json:
    return {
        "total_s": report.total_s,
        "people": [
            {
                "participant": p.participant,
                "speaking_s": p.speaking_s,
                "turns": p.turns,
                "share": p.share,
                "hands": p.hands,
                "uncalled": p.uncalled,
            }
            for p in report.people
        ],
        "items": [
            {"item": i.item, "speakers": i.speakers, "first_time": i.first_time, "share": i.share}
            for i in report.items
        ],
    }


def _attendance(event: AttendanceRecorded, state_after: RoomState, staff: bool) -> Json:
    """Facilitators get every change; the public the changes of the people it knows by
    name (`public_ids`) and the counts: the crowd's names reach it with what they do."""
    known = set() if staff else public_ids(state_after)
    changes = [
        c for c in event.changes if staff or (c.participant in known and c.status != "waiting")
    ]
    shown: Json = {
        "changes": [vars(c) for c in changes],
        "joined": sum(c.status == "present" for c in event.changes),
        "left": sum(c.status == "left" for c in event.changes),
        "present": present(state_after),
    }
    if shown["left"]:
        shown["temperature"] = temperature(state_after)  # leaving withdraws a reaction
    return shown


def event_item(data: Json) -> str | None:
    item = data.get("item")
    return item if isinstance(item, str) else None


_STAFF_ONLY = {
    "poll.created",
    "participant.waiting",
    "roll.members_added",
    "proxy.recorded",
    "proxy.revoked",
}
# Facilitators' live voice-equity report comes with every change of hands and turns.
_EQUITY_CHANGES = {
    "hand.raised",
    "hand.lowered",
    "queue.cleared",
    "floor.granted",
    "floor.ended",
    "agenda.started",
    "session.ended",
}
# Events about a participant that may be the first the public hears of them.
_NAMED = {
    "hand.raised",
    "hand.moved",
    "floor.granted",
    "statement.posted",
    "question.asked",
    "participant.muted",
    "participant.unmuted",
    "participant.removed",
}
_QUEUE_CHANGES = {
    "hand.raised",
    "hand.lowered",
    "hand.moved",
    "queue.cleared",
    "queue.closed",
    "queue.opened",
    "floor.granted",
    "participant.muted",
    "participant.removed",
    "question.queued",
    "room.settings_changed",
    "agenda.started",
    "agenda.completed",
}

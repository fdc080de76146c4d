"""From the folded room state (facilitation) and its raw log to an ``ArchiveBundle``.

The state holds nearly everything; the log adds what the state does not keep: when
each transcript segment and poll publication happened. Who voted in a secret poll is
recovered with the room's ballot secret: participant ``p`` voted iff
``ballot_key(secret, poll, p)`` is among the ballot keys. Without the secret (already
destroyed) the list stays empty rather than guessed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from facilitation import equity
from facilitation.agenda import Item
from facilitation.decisions import PollResult
from facilitation.polls import Poll as StatePoll
from facilitation.polls import ballot_key
from facilitation.room import RoomState
from facilitation.tally import Choice as StateChoice
from facilitation.tally import Tally
from realtime.log import Record
from realtime.wire import timestamp
from townhall.archive.bundle import (
    AgendaItem,
    ArchiveBundle,
    Attendance,
    Ballot,
    BattleShift,
    CheerTotal,
    Choice,
    Decision,
    HandCount,
    IrvCount,
    IrvRound,
    ItemDocument,
    LogEntry,
    ModerationEntry,
    Participant,
    Poll,
    Proposal,
    Proxy,
    Question,
    ReactionCount,
    RollMember,
    Session,
    SharePoint,
    Statement,
    TallyEntry,
    TranscriptSegment,
    Turn,
)
from townhall.archive.bundle import Record as ArchiveRecord

__all__ = ["bundle_from_state"]


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def _choice(choice: int | tuple[int, ...]) -> Choice:
    return choice if isinstance(choice, int) else list(choice)


def _tally(poll: StatePoll, result: Tally) -> tuple[TallyEntry, ...]:
    if poll.kind == "score":  # every ballot scores every option: counts are score sums
        return tuple(
            TallyEntry(option=i, votes=result.turnout, score=total)
            for i, total in enumerate(result.counts)
        )
    return tuple(TallyEntry(option=i, votes=v) for i, v in enumerate(result.counts))


def _rounds(result: Tally) -> tuple[IrvRound, ...]:
    return tuple(
        IrvRound(
            round=n,
            counts=tuple(
                IrvCount(option=i, votes=votes, eliminated=r.eliminated == i)
                for i, votes in enumerate(r.counts)
                if votes is not None
            ),
            exhausted=r.exhausted,
        )
        for n, r in enumerate(result.rounds, 1)
    )


def _battle(poll: StatePoll, result: Tally) -> BattleShift | None:
    """A battle's shift: counts only (first and last positions, the timeline)."""
    if poll.kind != "battle":
        return None
    n = len(poll.options)
    return BattleShift(
        opening=tuple(poll.first_totals) or (0,) * n,
        closing=tuple(result.counts) or (0,) * n,
        switches=poll.switches() if poll.first else tuple((0,) * n for _ in range(n)),
        moves=sum(sum(row) for row in poll.moves),
        timeline=tuple(SharePoint(at=x.at, counts=tuple(x.counts)) for x in poll.timeline),
    )


def _dot_voters(poll: StatePoll) -> tuple[int, ...]:
    """Dot polls: how many voters put dots on each option (a ballot carrying proxies
    counts for each giver too)."""
    if poll.kind != "dot":
        return ()
    voters = [0] * len(poll.options)
    for key, choice in poll.ballots.items():
        if isinstance(choice, int):
            continue
        for i, dots in enumerate(choice[: len(voters)]):
            if dots > 0:
                voters[i] += 1 + poll.proxied.get(key, 0)
    return tuple(voters)


def _poll(
    poll: StatePoll, state: RoomState, secret: bytes | None, published: datetime | None
) -> Poll:
    result = poll.result or poll.tally()
    quorum = bool(poll.quorum) or poll.quorum_share is not None
    proxies = tuple(Proxy(giver=g, holder=h) for g, h in sorted(poll.proxies.items()))
    if poll.secret:
        # Candidates: everyone eligible at opening, plus anyone else the room knew.
        keys = set(poll.ballots)
        people = sorted(set(poll.eligible) | set(state.people.by_id) | set(state.roll.members))
        voters = [p for p in people if secret and ballot_key(secret, poll.id, p) in keys]
        # A holder's ballot counts once more per proxy: as many anonymous copies.
        ballots = tuple(
            Ballot(participant=None, choice=_choice(c))
            for key, c in poll.ballots.items()
            for _ in range(1 + poll.proxied.get(key, 0))
        )
    else:
        voters = sorted(poll.ballots)
        own: list[tuple[str, StateChoice, str | None]] = [
            (p, c, None) for p, c in poll.ballots.items()
        ]
        by_proxy: list[tuple[str, StateChoice, str | None]] = [
            (g, poll.ballots[h], h) for g, h in poll.proxies.items() if h in poll.ballots
        ]
        ballots = tuple(
            Ballot(participant=p, choice=_choice(c), holder=h) for p, c, h in sorted(own + by_proxy)
        )
    return Poll(
        id=poll.id, item=poll.item, question=poll.question, kind=poll.kind,
        options=tuple(poll.options), secret=poll.secret, results=poll.results,
        max_choices=poll.max_choices, quorum=poll.quorum or None, status=poll.status,
        eligible=len(poll.eligible), turnout=result.turnout,
        quorum_met=result.quorum_met if quorum else None, winner=result.winner,
        opened_at=poll.opened, closed_at=poll.closed, published_at=published,
        ballots=ballots, voters=tuple(voters), tally=_tally(poll, result),
        irv_rounds=_rounds(result), by_proxy=result.by_proxy, electorate=poll.electorate,
        quorum_share=poll.quorum_share,
        quorum_needed=poll.needed if quorum else None,
        eligible_list=tuple(sorted(poll.eligible)), proxies=proxies,
        final=poll.final, votes_per_person=poll.votes_per_person,
        max_per_option=poll.max_per_option, dot_voters=_dot_voters(poll),
        repeat_of=poll.repeat_of, proposals=tuple(poll.proposals),
        battle=_battle(poll, result),
    )  # fmt: skip


def _poll_result(result: PollResult) -> dict[str, Any]:
    tally = result.tally
    return {
        "poll": result.poll, "question": result.question, "kind": result.kind,
        "options": list(result.options), "secret": result.secret, "turnout": tally.turnout,
        "counts": list(tally.counts), "winner": tally.winner, "quorum_met": tally.quorum_met,
        "rounds": [
            {"counts": list(r.counts), "eliminated": r.eliminated, "exhausted": r.exhausted}
            for r in tally.rounds
        ],
    }  # fmt: skip


def _item(item: Item) -> AgendaItem:
    actual = _seconds(item.started, item.ended)
    return AgendaItem(
        id=item.id, title=item.title, planned_s=item.duration_s, description=item.description,
        status=item.status, started_at=item.started, completed_at=item.ended,
        actual_s=None if actual is None else actual - item.paused_s,
        documents=tuple(ItemDocument(title=d.title, url=d.url) for d in item.documents),
    )  # fmt: skip


def bundle_from_state(
    state: RoomState,
    records: Sequence[Record],
    *,
    epoch: str,
    ballot_secret: bytes | None,
    townhall: Any = None,
    record: ArchiveRecord | None = None,
) -> ArchiveBundle:
    """The archive of a finished session. ``townhall`` (the ``townhall`` table row, if
    any) supplies what the log does not know: visibility and creation time."""
    s = state.session
    session = Session(
        room=state.room, title=s.title or getattr(townhall, "title", ""),
        description=s.description, language=s.language,
        visibility=getattr(townhall, "visibility", "private"),
        created_at=getattr(townhall, "created_at", None), started_at=s.started,
        ended_at=s.ended, settings=asdict(state.settings),
        peak_observers=state.people.observers_peak, access=state.roll.access,
    )  # fmt: skip
    people = [p for p in state.people.by_id.values() if p.role != "observer"]
    attendance = sorted(
        (Attendance(participant=p.id, joined_at=st.joined, left_at=st.left)
         for p in people for st in p.stays),
        key=lambda a: (a.joined_at, a.participant),
    )  # fmt: skip
    turns = state.floor.turns
    index = {t.number: n for n, t in enumerate(turns)}
    # Captions under their turn, and those appended while nobody had the floor under
    # their item (turn None), in the order they were appended.
    transcript = sorted(
        [
            *(TranscriptSegment(author=seg.by, speaker=t.participant, item=t.item,
                                text=seg.text, at=seg.at, turn=n)
              for n, t in enumerate(turns) for seg in t.segments),
            *(TranscriptSegment(author=c.by, speaker=None, item=c.item, text=c.text, at=c.at)
              for c in state.captions.values()),
        ],
        key=lambda seg: seg.at,
    )  # fmt: skip
    report = equity.of_room(state)
    statements = sorted(state.statements.values(), key=lambda x: (x.at, x.id))
    questions = sorted(state.questions.values(), key=lambda x: (x.at, x.id))
    polls = sorted(state.polls.values(), key=lambda x: (x.created, x.id))
    decisions = sorted(state.decisions.values(), key=lambda x: (x.at, x.id))
    return ArchiveBundle(
        session=session,
        participants=tuple(
            Participant(id=p.id, name=p.name, role=str(p.role), banned=p.banned, muted=p.muted)
            for p in sorted(people, key=lambda p: p.id)
        ),
        attendance=tuple(attendance),
        items=tuple(_item(state.agenda.items[i]) for i in state.agenda.order),
        turns=tuple(
            Turn(participant=t.participant, item=t.item, kind=t.kind, started_at=t.started,
                 ended_at=t.ended, limit_s=(t.deadline - t.started).total_seconds(),
                 duration_s=_seconds(t.started, t.ended), overrun=t.overrun)
            for t in turns
        ),
        statements=tuple(
            Statement(id=x.id, participant=x.participant, item=x.item, text=x.text, at=x.at,
                      turn=index.get(x.turn) if x.turn is not None else None, hidden=x.hidden,
                      hidden_reason=x.hidden_reason,
                      hidden_by=x.hidden_by, hidden_at=x.hidden_at)
            for x in statements
        ),
        transcript=tuple(transcript),
        questions=tuple(
            Question(id=q.id, participant=q.participant, item=q.item, text=q.text,
                     asked_at=q.at, upvotes=len(q.votes), status=q.status, closed_at=q.closed,
                     anonymous=q.anonymous, hidden_reason=q.hidden_reason)
            for q in questions
        ),
        polls=tuple(_poll(p, state, ballot_secret, p.published) for p in polls),
        decisions=tuple(
            Decision(id=d.id, item=d.item, text=d.text, recorded_by=d.by, at=d.at,
                     poll=d.result.poll if d.result else None,
                     poll_result=_poll_result(d.result) if d.result else None,
                     dissent=d.dissent or None)
            for d in decisions
        ),
        reactions=tuple(
            ReactionCount(item=item or None, kind=kind, count=count)
            for item, counts in sorted(state.reactions.items())
            for kind, count in sorted(counts.items())
        ),
        moderation=tuple(
            ModerationEntry(at=m.at, actor=m.actor, action=m.action, target=m.target,
                            reason=m.reason, detail=dict(m.detail or {}))
            for m in state.moderation
        ),
        proposals=tuple(
            Proposal(id=x.id, participant=x.participant, item=x.item, text=x.text, at=x.at,
                     supporters=len(x.supporters), status=x.status, merged_into=x.merged_into,
                     polls=tuple(x.polls), hidden_reason=x.hidden_reason, closed_at=x.closed)
            for x in sorted(state.proposals.values(), key=lambda x: (x.at, x.id))
        ),
        cheers=tuple(
            CheerTotal(item=item, presenter=presenter, count=count,
                       revealed=item in state.cheers.revealed)
            for item in _cheer_items(state)
            for presenter, count in _by_presenter(state, item)
        ),
        hands=tuple(
            HandCount(participant=e.participant, raised=e.hands, uncalled=e.uncalled)
            for e in sorted(report.people, key=lambda e: e.participant)
            if e.hands
        ),
        roll=tuple(RollMember(participant=p, name=n) for p, n in state.roll.members.items()),
        proxies=tuple(Proxy(giver=g, holder=h) for g, h in sorted(state.roll.proxies.items())),
        record=record,
        log=_redacted_log(state, records, epoch),
    )  # fmt: skip


def _cheer_items(state: RoomState) -> list[str]:
    """Items with cheers, in agenda order (then any item no longer on the agenda)."""
    cheered = set(state.cheers.counts)
    ordered = [i for i in state.agenda.order if i in cheered]
    return ordered + sorted(cheered - set(ordered))


def _by_presenter(state: RoomState, item: str) -> list[tuple[str, int]]:
    """An item's cheer totals in the order its presenters are listed."""
    found = state.agenda.items.get(item)
    order = list(found.presenters) if found is not None else []
    rank = {name: n for n, name in enumerate(order)}
    counts = state.cheers.of(item)
    return sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def _canonical(choice: int | tuple[int, ...]) -> str:
    return json.dumps(_choice(choice))


def _final_ballots(poll: StatePoll, places: int) -> list[tuple[StateChoice, int]]:
    """A secret poll's final ballots for the archived log: (choice, proxies carried).

    A proxy holder's ballot counts once more per proxy; here it becomes that many
    anonymous ballots, so no rewritten record carries a weight that points at a holder.
    Only when there are more of them than vote records to hold them (a holder who voted
    once stands for two ballots) are equal choices merged into one record that carries
    the others as proxies: its weight then tells only how many chose that option, which
    the tally says anyway."""
    units = sorted(
        (c for key, c in poll.ballots.items() for _ in range(1 + poll.proxied.get(key, 0))),
        key=_canonical,
    )
    if len(units) <= places:
        return [(c, 0) for c in units]
    merged: dict[str, tuple[StateChoice, int]] = {}
    for c in units:
        key = _canonical(c)
        merged[key] = (c, merged[key][1] + 1) if key in merged else (c, 0)
    return [merged[key] for key in sorted(merged)]


def _redacted_log(state: RoomState, records: Sequence[Record], epoch: str) -> tuple[LogEntry, ...]:
    """The raw log as the archive keeps it: a secret poll's votes lose what could link
    them to a voter. Its vote records keep their places (seq and time: a vote arrived
    then, which everyone in the room saw as the turnout rising) but are rewritten with
    the final ballots in a canonical order (sorted by choice), opaque keys ``b1, b2, …``
    and no cause; the places of changed votes repeat the last ballot unchanged. Folding
    the archived log gives the same final ballots and tallies; the arrival order, the
    ballot keys and the command keys are gone."""
    slots: dict[str, list[int]] = {}
    for n, r in enumerate(records):
        if r.name == "vote.counted" and r.data.get("participant") is None:
            slots.setdefault(str(r.data.get("poll")), []).append(n)
    rewritten: dict[int, dict[str, Any]] = {}
    for poll_id, places in slots.items():
        poll = state.polls.get(poll_id)
        final = _final_ballots(poll, len(places)) if poll is not None else []
        for i, n in enumerate(places):
            k = min(i, len(final) - 1)
            choice, carried = final[k] if final else (None, 0)
            rewritten[n] = {"poll": poll_id, "ballot": f"b{k + 1}", "participant": None,
                            "choice": _choice(choice) if choice is not None else None,
                            "proxies": carried}  # fmt: skip
    return tuple(
        LogEntry(
            epoch=epoch, seq=r.seq, name=r.name, data=rewritten[n], at=timestamp(r.at), cause=None
        )
        if n in rewritten
        else LogEntry(
            epoch=epoch, seq=r.seq, name=r.name, data=r.data, at=timestamp(r.at), cause=r.cause
        )
        for n, r in enumerate(records)
    )

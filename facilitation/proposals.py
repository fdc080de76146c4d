"""Proposals: participants' and groups' own options, supported by the room, merged or
hidden by facilitators, and turned into a poll's options (`poll.create` with
`from_proposals`). Submitting and supporting work before the start too.

A proposal's fate: `open` (left as it was), `promoted` (made an option of one or more
polls), `merged` (into another proposal, whose supporters it joins) or `hidden` (with a
reason, on the moderation log; the public never sees its text again).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from facilitation.base import Command, Event, refuse
from facilitation.guards import member, speaker
from facilitation.limits import MAX_PROPOSAL, MAX_REASON
from facilitation.moderation_log import log

if TYPE_CHECKING:
    from facilitation.room import RoomState


@dataclass(frozen=True, kw_only=True)
class Proposal:
    id: str
    participant: str
    text: str
    at: datetime
    item: str | None
    supporters: frozenset[str] = frozenset()
    status: str = "open"  # open | promoted | merged | hidden
    merged_into: str | None = None
    polls: tuple[str, ...] = ()  # the polls it became an option of
    hidden_reason: str | None = None
    closed: datetime | None = None  # when it was merged or hidden


@dataclass(frozen=True, kw_only=True)
class SubmitProposal(Command):
    name: ClassVar[str] = "proposal.submit"
    proposal: str
    text: str


@dataclass(frozen=True, kw_only=True)
class SupportProposal(Command):
    name: ClassVar[str] = "proposal.support"
    proposal: str


@dataclass(frozen=True, kw_only=True)
class UnsupportProposal(Command):
    name: ClassVar[str] = "proposal.unsupport"
    proposal: str


@dataclass(frozen=True, kw_only=True)
class MergeProposal(Command):
    name: ClassVar[str] = "proposal.merge"
    proposal: str
    into: str


@dataclass(frozen=True, kw_only=True)
class HideProposal(Command):
    name: ClassVar[str] = "proposal.hide"
    proposal: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ProposalSubmitted(Event):
    name: ClassVar[str] = "proposal.submitted"
    proposal: str
    participant: str
    text: str
    item: str | None


@dataclass(frozen=True, kw_only=True)
class ProposalSupported(Event):
    name: ClassVar[str] = "proposal.supported"
    proposal: str
    participant: str


@dataclass(frozen=True, kw_only=True)
class ProposalUnsupported(Event):
    name: ClassVar[str] = "proposal.unsupported"
    proposal: str
    participant: str


@dataclass(frozen=True, kw_only=True)
class ProposalMerged(Event):
    name: ClassVar[str] = "proposal.merged"
    proposal: str
    into: str
    by: str


@dataclass(frozen=True, kw_only=True)
class ProposalHidden(Event):
    name: ClassVar[str] = "proposal.hidden"
    proposal: str
    reason: str
    by: str


LIVE_STATUSES = ("open", "promoted")  # may still be supported, merged into, promoted


def get(room: RoomState, proposal: str) -> Proposal:
    found = room.proposals.get(proposal)
    if found is None:
        raise refuse("proposal_not_found", proposal)
    return found


def _alive(room: RoomState, proposal: str) -> Proposal:
    found = get(room, proposal)
    if found.status not in LIVE_STATUSES:
        raise refuse("proposal_closed", proposal)
    return found


def check_proposal_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise refuse("text_empty")
    if len(text) > MAX_PROPOSAL:
        raise refuse("text_too_long", f"at most {MAX_PROPOSAL} characters")
    return text


def decide(command: Command, room: RoomState) -> list[Event]:
    # No require_live: proposals are collected before the start too (SPEC §9, §10).
    at = command.at
    if isinstance(command, SubmitProposal):
        person = speaker(room, command.actor)
        if command.proposal in room.proposals:
            raise refuse("duplicate_id", command.proposal)
        text = check_proposal_text(command.text)
        return [
            ProposalSubmitted(
                at=at,
                proposal=command.proposal,
                participant=person.id,
                text=text,
                item=room.agenda.current,
            )
        ]
    if isinstance(command, SupportProposal | UnsupportProposal):
        person = speaker(room, command.actor)
        proposal = _alive(room, command.proposal)
        if isinstance(command, UnsupportProposal):
            if person.id not in proposal.supporters:
                raise refuse("not_supported")
            return [ProposalUnsupported(at=at, proposal=proposal.id, participant=person.id)]
        if proposal.participant == person.id:
            raise refuse("own_proposal")
        if person.id in proposal.supporters:
            raise refuse("already_supported")
        return [ProposalSupported(at=at, proposal=proposal.id, participant=person.id)]
    member(room, command.actor)
    by = command.actor.participant
    if isinstance(command, MergeProposal):
        source = _alive(room, command.proposal)
        target = _alive(room, command.into)
        if source.id == target.id:
            raise refuse("invalid_data", "a proposal cannot be merged into itself")
        return [ProposalMerged(at=at, proposal=source.id, into=target.id, by=by)]
    assert isinstance(command, HideProposal)
    proposal = get(room, command.proposal)
    if proposal.status == "hidden":
        raise refuse("already_hidden")
    reason = command.reason.strip()
    if not 0 < len(reason) <= MAX_REASON:
        raise refuse("invalid_data", "reason")
    return [ProposalHidden(at=at, proposal=proposal.id, reason=reason, by=by)]


def promote(room: RoomState, proposals: tuple[str, ...], poll: str) -> RoomState:
    """Marks the proposals that became the options of `poll` (poll.created)."""
    found = room.proposals
    for ref in proposals:
        proposal = found.get(ref)
        if proposal is not None:
            status = "promoted" if proposal.status == "open" else proposal.status
            found = found.set(ref, replace(proposal, status=status, polls=(*proposal.polls, poll)))
    return replace(room, proposals=found)


def evolve(room: RoomState, event: Event) -> RoomState:
    if isinstance(event, ProposalSubmitted):
        proposal = Proposal(
            id=event.proposal,
            participant=event.participant,
            text=event.text,
            at=event.at,
            item=event.item,
        )
        return replace(room, proposals=room.proposals.set(proposal.id, proposal))
    assert isinstance(event, _PROPOSAL_EVENTS)
    found = room.proposals.get(event.proposal)
    if found is None:
        return room
    proposals = room.proposals
    if isinstance(event, ProposalSupported):
        proposal = replace(found, supporters=found.supporters | {event.participant})
    elif isinstance(event, ProposalUnsupported):
        proposal = replace(found, supporters=found.supporters - {event.participant})
    elif isinstance(event, ProposalMerged):
        proposal = replace(found, status="merged", merged_into=event.into, closed=event.at)
        target = proposals.get(event.into)
        if target is not None:
            # The merged proposal's supporters, and its author, now back the target.
            joined = (found.supporters | {found.participant}) - {target.participant}
            proposals = proposals.set(
                target.id, replace(target, supporters=target.supporters | joined)
            )
        detail = {"proposal": found.id, "into": event.into}
        room = log(room, event.at, event.by, "proposal.merge", None, None, detail)
    else:
        proposal = replace(found, status="hidden", hidden_reason=event.reason, closed=event.at)
        detail = {"proposal": found.id}
        room = log(
            room, event.at, event.by, "proposal.hide", found.participant, event.reason, detail
        )
    return replace(room, proposals=proposals.set(proposal.id, proposal))


_PROPOSAL_EVENTS = (ProposalSupported, ProposalUnsupported, ProposalMerged, ProposalHidden)
COMMANDS = (SubmitProposal, SupportProposal, UnsupportProposal, MergeProposal, HideProposal)
EVENTS = (ProposalSubmitted, *_PROPOSAL_EVENTS)

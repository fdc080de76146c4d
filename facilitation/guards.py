"""Checks shared by every feature's decider: session phase and who the actor is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from facilitation.base import Actor, Role, refuse

if TYPE_CHECKING:
    from facilitation.participants import Person
    from facilitation.room import RoomState


def require_live(room: RoomState) -> None:
    if room.session.status == "scheduled":
        raise refuse("session_not_live")


def require_scheduled(room: RoomState) -> None:
    if room.session.status != "scheduled":
        raise refuse("session_not_scheduled")


def member(room: RoomState, actor: Actor) -> Person:
    """The actor's person record, if they may act in the room at all (mute aside)."""
    person = room.people.by_id.get(actor.participant)
    if person is None or person.status == "left":
        raise refuse("not_present")
    if person.status == "removed":
        raise refuse("removed")
    if person.status == "waiting":
        raise refuse("not_admitted")
    return person


def speaker(room: RoomState, actor: Actor) -> Person:
    """A member who may change the room: not muted (muted people change nothing)."""
    person = member(room, actor)
    if person.muted:
        raise refuse("muted")
    return person


def organiser_or_member(room: RoomState, actor: Actor) -> None:
    """Set-up commands: the organiser before the start, or a present facilitator."""
    if actor.role == Role.ORGANISER:
        require_scheduled(room)
    else:
        member(room, actor)


def target(room: RoomState, participant: str) -> Person:
    person = room.people.by_id.get(participant)
    if person is None:
        raise refuse("not_present", participant)
    return person

"""The record's hash chain (SPEC §8): canonical JSON, sealed text, public data."""

from __future__ import annotations

import hashlib
from dataclasses import fields

from facilitation.polls import PollClosed, PollOpened, VoteCounted
from facilitation.record import (
    GENESIS,
    PRIVATE,
    canonical,
    link,
    public_data,
    sealed,
    text_hash,
)
from facilitation.room import EVENTS, RoomState, initial_state
from tests.facilitation.dsl import LIVE, state_of, t
from tests.facilitation.test_polls import EVERYONE, created


def test_genesis_is_the_initial_head() -> None:
    assert initial_state("r").head == GENESIS == "0" * 64


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_unicode() -> None:
    value = {"b": [1, 2.5, None, True], "a": {"z": '가\n"', "y": 3.0}, "c": (1,)}
    assert canonical(value) == '{"a":{"y":3,"z":"가\\n\\""},"b":[1,2.5,null,true],"c":[1]}'.encode()


def test_canonical_json_keeps_a_flat_object_as_is() -> None:
    assert canonical({"n": 1, "s": "x"}) == b'{"n":1,"s":"x"}'


def test_sealed_replaces_text_by_its_hash() -> None:
    data = {"statement": "s1", "text": "안녕"}
    assert sealed(data) == {"statement": "s1", "text_sha256": text_hash("안녕")}
    assert text_hash("안녕") == hashlib.sha256("안녕".encode()).hexdigest()
    already = {"statement": "s1", "text_sha256": "ab"}
    assert sealed(already) is already
    assert sealed({"text": None}) == {"text": None}


def test_link_hashes_the_previous_head_and_the_canonical_event() -> None:
    data = {"statement": "s1", "text": "hi"}
    body = (
        '{"at":"2026-11-25T15:00:01.000Z","data":{"statement":"s1","text_sha256":"'
        + text_hash("hi")
        + '"},"name":"statement.posted","seq":1}'
    )
    expected = hashlib.sha256(GENESIS.encode() + body.encode()).hexdigest()
    assert link(GENESIS, 1, "statement.posted", data, "2026-11-25T15:00:01.000Z") == expected
    # A hidden statement published as its hash links to the same value.
    assert link(GENESIS, 1, "statement.posted", sealed(data), "2026-11-25T15:00:01.000Z") == (
        expected
    )


def _voted(secret: bool) -> RoomState:
    opened = PollOpened(at=t(3), poll="q1", eligible=EVERYONE, closes=None)
    vote = VoteCounted(
        at=t(4), poll="q1", ballot="k" if secret else "p1",
        participant=None if secret else "p1", choice=1,
    )  # fmt: skip
    return state_of(*LIVE, created(secret=secret), opened, vote)


def test_public_data_of_a_secret_vote_is_only_the_turnout() -> None:
    stored = {"poll": "q1", "ballot": "k", "participant": None, "choice": 1, "proxies": 0}
    assert public_data("vote.counted", stored, _voted(True)) == {"poll": "q1", "turnout": 1}
    unknown = {**stored, "poll": "nope"}
    assert public_data("vote.counted", unknown, _voted(True)) == {"poll": "nope", "turnout": 0}


def test_public_data_of_a_named_vote_is_the_vote() -> None:
    stored = {"poll": "q1", "ballot": "p1", "participant": "p1", "choice": 1, "proxies": 0}
    assert public_data("vote.counted", stored, _voted(False)) is stored


def test_public_data_of_a_closing_carries_the_tally() -> None:
    state = state_of(*LIVE, created(), PollOpened(at=t(3), poll="q1", eligible=EVERYONE,
                     closes=None), PollClosed(at=t(5), poll="q1"))  # fmt: skip
    shown = public_data("poll.closed", {"poll": "q1"}, state)
    assert shown["poll"] == "q1"
    assert shown["tally"]["turnout"] == 0
    assert shown["tally"]["counts"] == [0, 0, 0]
    assert public_data("poll.closed", {"poll": "x"}, state) == {"poll": "x"}


def test_public_data_of_other_events_is_the_stored_data() -> None:
    data = {"participant": "p1", "kind": "speak", "item": None}
    assert public_data("hand.raised", data, initial_state("r")) is data


# Every event's stored fields as they were when facilitation.record.PRIVATE was last
# reviewed. A new event or field fails this test: decide whether the published record
# may show it (add it to PRIVATE if not), then add it here.
REVIEWED: dict[str, tuple[str, ...]] = {
    "participant.joined": ("participant", "display_name", "role"),
    "participant.waiting": ("participant", "display_name"),
    "participant.left": ("participant",),
    "presence.updated": ("observers",),
    "attendance.recorded": ("changes",),
    "hand.raised": ("participant", "kind", "item"),
    "hand.lowered": ("participant", "item", "by"),
    "hand.moved": ("participant", "item", "position", "by"),
    "queue.cleared": ("item", "by"),
    "queue.closed": ("item",),
    "queue.opened": ("item",),
    "floor.granted": ("turn", "participant", "item", "kind", "deadline", "by"),
    "floor.ended": ("turn", "reason", "by"),
    "floor.extended": ("turn", "seconds", "deadline"),
    "turn.overran": ("turn",),
    "transcript.appended": ("turn", "text", "by", "item"),
    "agenda.added": ("item", "title", "duration_s", "description", "presenters", "documents"),
    "agenda.updated": ("item", "title", "duration_s", "description", "presenters", "documents"),
    "agenda.removed": ("item",),
    "agenda.reordered": ("items",),
    "agenda.started": ("item", "deadline"),
    "agenda.paused": ("item", "remaining_s"),
    "agenda.resumed": ("item", "deadline"),
    "agenda.extended": ("item", "seconds"),
    "agenda.completed": ("item",),
    "agenda.overran": ("item",),
    "poll.created": (
        "poll",
        "question",
        "kind",
        "options",
        "max_choices",
        "secret",
        "results",
        "duration_s",
        "quorum",
        "item",
        "eligible",
        "quorum_share",
        "final",
        "votes_per_person",
        "max_per_option",
        "proposals",
        "repeat_of",
    ),
    "poll.opened": ("poll", "eligible", "closes", "givers", "holders"),
    "vote.counted": ("poll", "ballot", "participant", "choice", "proxies"),
    "poll.closed": ("poll",),
    "poll.published": ("poll",),
    "proposal.submitted": ("proposal", "participant", "text", "item"),
    "proposal.supported": ("proposal", "participant"),
    "proposal.unsupported": ("proposal", "participant"),
    "proposal.merged": ("proposal", "into", "by"),
    "proposal.hidden": ("proposal", "reason", "by"),
    "statement.posted": ("statement", "participant", "text", "turn", "item"),
    "statement.hidden": ("statement", "reason", "by"),
    "question.asked": ("question", "participant", "text", "item", "anonymous", "pending"),
    "question.upvoted": ("question", "participant"),
    "question.answered": ("question", "by"),
    "question.dismissed": ("question", "by"),
    "question.queued": ("question", "by"),
    "question.approved": ("question", "by"),
    "question.hidden": ("question", "reason", "by"),
    "reaction.sent": ("kind", "item", "participant"),
    "decision.recorded": ("decision", "item", "text", "poll", "dissent", "by"),
    "cheer.sent": ("item", "presenter", "participant"),
    "cheer.revealed": ("item", "by"),
    "participant.muted": ("participant", "by"),
    "participant.unmuted": ("participant", "by"),
    "participant.removed": ("participant", "ban", "reason", "by"),
    "participant.admitted": ("participant", "by"),
    "room.locked": ("by",),
    "room.unlocked": ("by",),
    "room.settings_changed": (
        "by",
        "queue_policy",
        "turn_s",
        "auto_advance",
        "max_turns_per_item",
        "slow_mode_s",
        "statements",
        "questions",
        "lobby",
        "auto_advance_items",
        "item_grace_s",
        "questions_premoderated",
        "max_participants",
    ),
    "room.access_changed": ("access",),
    "roll.members_added": ("participants", "names"),
    "proxy.recorded": ("giver", "holder"),
    "proxy.revoked": ("giver",),
    "session.started": (),
    "session.ended": (),
    "room.configured": ("title", "description", "language"),
}


def test_every_event_field_was_reviewed_for_the_record() -> None:
    now = {cls.name: tuple(f.name for f in fields(cls) if f.name != "at") for cls in EVENTS}
    assert now == REVIEWED, "review facilitation.record.PRIVATE for the new events or fields"
    for name, private in PRIVATE.items():
        assert private <= set(REVIEWED[name])


def test_public_data_leaves_out_who_reacted_cheered_or_asked_anonymously() -> None:
    state = initial_state("r")
    reaction = {"kind": "agree", "item": "i1", "participant": "p1"}
    assert public_data("reaction.sent", reaction, state) == {"kind": "agree", "item": "i1"}
    cheer = {"item": "i1", "presenter": "Kim", "participant": "p1"}
    assert public_data("cheer.sent", cheer, state) == {"item": "i1", "presenter": "Kim"}
    asked = {"question": "q1", "participant": "p1", "text": "?", "item": None,
             "anonymous": True, "pending": False}  # fmt: skip
    assert "participant" not in public_data("question.asked", asked, state)
    named = {**asked, "anonymous": False}
    assert public_data("question.asked", named, state) is named
    waiting = {"participant": "p9", "display_name": "Guest"}
    assert public_data("participant.waiting", waiting, state) == {"participant": "p9"}
    batch = {"changes": [
        {"participant": "p1", "status": "present", "display_name": "Ana", "role": "participant"},
        {"participant": "p9", "status": "waiting", "display_name": "Guest", "role": ""},
    ]}  # fmt: skip
    assert public_data("attendance.recorded", batch, state) == {"changes": [
        batch["changes"][0], {"participant": "p9", "status": "waiting", "role": ""},
    ]}  # fmt: skip
    assert public_data("attendance.recorded", {}, state) == {"changes": []}

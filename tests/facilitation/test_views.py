from __future__ import annotations

import json
from typing import Any

from facilitation.base import Role
from facilitation.decisions import DecisionRecorded
from facilitation.floor import FloorGranted
from facilitation.moderation import ParticipantMuted, RoomLocked
from facilitation.participants import (
    AttendanceChange,
    AttendanceRecorded,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantWaiting,
)
from facilitation.polls import (
    PollClosed,
    PollCreated,
    PollOpened,
    PollPublished,
    VoteCounted,
    ballot_key,
)
from facilitation.questions import QuestionAsked, QuestionUpvoted
from facilitation.queue import HandRaised
from facilitation.reactions import ReactionSent
from facilitation.statements import StatementHidden, StatementPosted
from facilitation.views import Viewer, estimated_wait, project, snapshot
from tests.facilitation.dsl import ON_ITEM, state_of, t

SECRET = b"room-secret"
PUBLIC = Viewer(None, Role.OBSERVER, None)
STAFF = Viewer("f1", Role.FACILITATOR, SECRET)
ALICE = Viewer("p1", Role.PARTICIPANT, SECRET)
BOB = Viewer("p2", Role.PARTICIPANT, SECRET)


def poll(pid: str, results: str = "live", secret: bool = True) -> PollCreated:
    return PollCreated(
        at=t(2),
        poll=pid,
        question="Q",
        kind="single",
        options=("A", "B"),
        max_choices=1,
        secret=secret,
        results=results,
        duration_s=None,
        quorum=0,
        item="i1",
    )


def opened(pid: str) -> PollOpened:
    return PollOpened(at=t(3), poll=pid, eligible=("f1", "f2", "p1", "p2", "p3"), closes=None)


def secret_vote(pid: str, who: str, choice: int) -> VoteCounted:
    return VoteCounted(
        at=t(4), poll=pid, ballot=ballot_key(SECRET, pid, who), participant=None, choice=choice
    )


EVENTS = (
    *ON_ITEM,
    FloorGranted(
        at=t(10), turn=1, participant="p3", item="i1", kind="speak", deadline=t(130), by="f1"
    ),
    HandRaised(at=t(11), participant="p2", kind="speak", item="i1"),
    HandRaised(at=t(12), participant="p1", kind="speak", item="i1"),
    poll("live"),
    opened("live"),
    secret_vote("live", "p1", 1),
    secret_vote("live", "p2", 0),
    poll("hidden", results="on_close"),
    opened("hidden"),
    secret_vote("hidden", "p1", 1),
    poll("draft"),
    poll("named", secret=False),
    opened("named"),
    VoteCounted(at=t(4), poll="named", ballot="p2", participant="p2", choice=1),
    StatementPosted(at=t(20), statement="s1", participant="p1", text="rude", turn=None, item="i1"),
    StatementHidden(at=t(21), statement="s1", reason="insult", by="f1"),
    QuestionAsked(at=t(22), question="qa", participant="p1", text="Why?", item="i1"),
    QuestionAsked(at=t(23), question="qb", participant="p2", text="How?", item="i1"),
    QuestionUpvoted(at=t(24), question="qb", participant="p1"),
    ReactionSent(at=t(25), kind="agree", item="i1"),
    ParticipantWaiting(at=t(26), participant="p9", display_name="Nine"),
    DecisionRecorded(at=t(30), decision="d1", item="i1", text="ok", poll=None, dissent="", by="f1"),
)
STATE = state_of(*EVENTS)


def polls_by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in view["polls"]}


def test_snapshot_is_json_ready() -> None:
    for viewer in (PUBLIC, STAFF, ALICE):
        view = snapshot(STATE, viewer)
        assert json.loads(json.dumps(view)) == view


def test_snapshot_hides_drafts_and_hidden_results_from_public() -> None:
    public = polls_by_id(snapshot(STATE, PUBLIC))
    assert set(public) == {"live", "hidden", "named"}
    assert public["live"]["tally"]["counts"] == [1, 1]
    assert public["hidden"]["tally"] is None
    assert public["hidden"]["turnout"] == 1
    staff = polls_by_id(snapshot(STATE, STAFF))
    assert "draft" in staff
    assert staff["hidden"]["tally"] is None  # on_close: nobody sees it while open


def test_snapshot_never_contains_secret_ballots() -> None:
    for viewer in (PUBLIC, STAFF, ALICE, BOB):
        text = json.dumps(snapshot(STATE, viewer))
        for who in ("p1", "p2"):
            for pid in ("live", "hidden"):
                assert ballot_key(SECRET, pid, who) not in text
        assert "ballots" not in polls_by_id(snapshot(STATE, viewer))["live"]


def test_snapshot_shows_own_choice() -> None:
    mine = polls_by_id(snapshot(STATE, ALICE))
    assert (mine["live"]["mine"], mine["hidden"]["mine"], mine["named"]["mine"]) == (1, 1, None)
    assert polls_by_id(snapshot(STATE, BOB))["named"]["mine"] == 1
    assert polls_by_id(snapshot(STATE, PUBLIC))["live"]["mine"] is None
    no_secret = Viewer("p1", Role.PARTICIPANT, None)
    assert polls_by_id(snapshot(STATE, no_secret))["live"]["mine"] is None


def test_snapshot_named_poll_shows_ballots_when_results_visible() -> None:
    assert polls_by_id(snapshot(STATE, PUBLIC))["named"]["ballots"] == {"p2": 1}


def test_snapshot_hidden_statement_text_only_for_staff() -> None:
    public = snapshot(STATE, PUBLIC)["statements"][0]
    assert (public["hidden"], public["hidden_reason"], public["text"]) == (True, "insult", None)
    assert snapshot(STATE, STAFF)["statements"][0]["text"] == "rude"


def test_snapshot_participant_sees_position_and_wait() -> None:
    you = snapshot(STATE, ALICE)["you"]
    assert you["hand"] == {"position": 1, "kind": "speak", "wait_s": 120.0 + 100.0}
    assert not you["speaking"]
    assert snapshot(STATE, BOB)["you"]["hand"]["position"] == 0
    assert snapshot(STATE, PUBLIC)["you"] is None
    assert snapshot(STATE, Viewer("p3", Role.PARTICIPANT))["you"]["speaking"]


def test_estimated_wait_without_speaker() -> None:
    assert estimated_wait(state_of(*ON_ITEM), 2) == 240.0


def test_snapshot_lobby_only_for_staff() -> None:
    public_ids = [p["id"] for p in snapshot(STATE, PUBLIC)["participants"]]
    staff = {p["id"]: p for p in snapshot(STATE, STAFF)["participants"]}
    assert "p9" not in public_ids
    assert staff["p9"]["status"] == "waiting"
    assert "stays" in staff["f1"]


def test_snapshot_questions_sorted_by_votes() -> None:
    view = snapshot(STATE, ALICE)["questions"]
    assert [(q["id"], q["votes"], q["upvoted"]) for q in view] == [
        ("qb", 1, True),
        ("qa", 0, False),
    ]


def test_snapshot_shows_queue_floor_agenda() -> None:
    view = snapshot(STATE, PUBLIC)
    assert [h["participant"] for h in view["queue"]["hands"]] == ["p2", "p1"]
    assert view["floor"]["participant"] == "p3"
    assert view["agenda"]["current"] == "i1"
    assert view["reactions"] == {"i1": {"agree": 1}}
    assert view["decisions"][0]["result"] is None


def test_project_vote_gives_only_turnout_and_visible_tally() -> None:
    vote = secret_vote("live", "p1", 1)
    assert project(vote, STATE, "public") == {
        "poll": "live",
        "turnout": 2,
        "tally": {
            "turnout": 2,
            "in_person": 2,
            "by_proxy": 0,
            "counts": [1, 1],
            "winner": None,
            "quorum_met": True,
            "rounds": [],
        },
    }
    hidden = project(secret_vote("hidden", "p1", 1), STATE, "facilitator")
    assert hidden == {"poll": "hidden", "turnout": 1, "tally": None}


def test_project_poll_lifecycle() -> None:
    assert project(poll("draft"), STATE, "public") is None
    assert project(poll("draft"), STATE, "facilitator") is not None
    opened_view = project(opened("live"), STATE, "public")
    assert opened_view is not None
    assert opened_view["options"] == ["A", "B"]
    closed = state_of(*EVENTS, PollClosed(at=t(40), poll="hidden"))
    public = project(PollClosed(at=t(40), poll="hidden"), closed, "public")
    staff = project(PollClosed(at=t(40), poll="hidden"), closed, "facilitator")
    assert public is not None
    assert public["tally"] is None
    assert public["status"] == "closed"
    assert staff is not None
    assert staff["tally"]["counts"] == [0, 1]
    published = state_of(
        *EVENTS, PollClosed(at=t(40), poll="hidden"), PollPublished(at=t(41), poll="hidden")
    )
    shown = project(PollPublished(at=t(41), poll="hidden"), published, "public")
    assert shown is not None
    assert shown["tally"]["counts"] == [0, 1]


def test_project_other_events() -> None:
    assert (
        project(ParticipantWaiting(at=t(1), participant="p9", display_name="N"), STATE, "public")
        is None
    )
    up = project(QuestionUpvoted(at=t(24), question="qb", participant="p1"), STATE, "public")
    assert up == {"question": "qb", "participant": "p1", "votes": 1}
    gone = project(QuestionUpvoted(at=t(24), question="zz", participant="p1"), STATE, "public")
    assert gone is not None
    assert gone["votes"] == 0
    react = project(ReactionSent(at=t(25), kind="agree", item="i1"), STATE, "public")
    assert react == {"kind": "agree", "item": "i1", "counts": {"agree": 1}, "present": 5}
    decision = DecisionRecorded(
        at=t(30), decision="d1", item="i1", text="ok", poll=None, dissent="", by="f1"
    )
    assert project(decision, STATE, "public") == {
        "decision": "d1",
        "item": "i1",
        "text": "ok",
        "poll": None,
        "dissent": "",
        "by": "f1",
        "result": None,
    }
    unknown = DecisionRecorded(
        at=t(30), decision="zz", item="i1", text="ok", poll=None, dissent="", by="f1"
    )
    assert project(unknown, STATE, "public")["result"] is None  # type: ignore[index]
    orphan = project(PollClosed(at=t(9), poll="nope"), STATE, "public")
    assert orphan == {"poll": "nope"}


def test_project_queue_changes_carry_the_queue_in_policy_order() -> None:
    hand = HandRaised(at=t(12), participant="p1", kind="speak", item="i1")
    shown = project(hand, STATE, "public")
    assert shown is not None
    assert [h["participant"] for h in shown["queue"]["hands"]] == ["p2", "p1"]


def test_project_agenda_events_carry_estimated_end() -> None:
    started = ON_ITEM[-1]
    shown = project(started, STATE, "public")
    assert shown is not None
    assert shown["estimated_end"] == snapshot(STATE, PUBLIC)["agenda"]["estimated_end"]


def test_project_admitted_tells_the_public_who() -> None:
    from facilitation.moderation import ParticipantAdmitted

    admitted = ParticipantAdmitted(at=t(27), participant="p9", by="f1")
    after = state_of(*EVENTS, admitted)
    assert project(admitted, after, "public") == {
        "participant": "p9",
        "by": "f1",
        "display_name": "Nine",
        "role": "participant",
    }
    ghost = ParticipantAdmitted(at=t(27), participant="zz", by="f1")
    assert project(ghost, after, "public") == {
        "participant": "zz",
        "by": "f1",
        "display_name": None,
        "role": None,
    }


def test_snapshot_public_names_only_the_people_it_shows() -> None:
    silent = ParticipantJoined(at=t(27), participant="p7", display_name="Seven", role="participant")
    state = state_of(*EVENTS, silent)
    public = {p["id"] for p in snapshot(state, PUBLIC)["participants"]}
    assert public == {"f1", "f2", "p1", "p2", "p3"}  # staff, speaker, hands, authors
    mine = {
        p["id"] for p in snapshot(state, Viewer("p7", Role.PARTICIPANT, SECRET))["participants"]
    }
    assert mine == public | {"p7"}
    staff = {p["id"] for p in snapshot(state, STAFF)["participants"]}
    assert staff == public | {"p7", "p9"}
    for viewer in (PUBLIC, STAFF):
        assert snapshot(state, viewer)["present"] == 6  # everyone but p9, in the lobby


def test_snapshot_public_names_moderation_targets() -> None:
    muted = ParticipantMuted(at=t(27), participant="p7", by="f1")
    joined = ParticipantJoined(at=t(26), participant="p7", display_name="Seven", role="participant")
    locked = RoomLocked(at=t(28), by="f2")  # a moderation act without a target
    after = state_of(*ON_ITEM, joined, muted, locked)
    public = {p["id"] for p in snapshot(after, PUBLIC)["participants"]}
    assert public == {"f1", "f2", "p7"}


def test_project_names_the_participant_for_the_public() -> None:
    hand = HandRaised(at=t(12), participant="p1", kind="speak", item="i1")
    public = project(hand, STATE, "public")
    staff = project(hand, STATE, "facilitator")
    assert public is not None
    assert staff is not None
    assert (public["display_name"], public["role"]) == ("P1", "participant")
    assert "display_name" not in staff
    nobody = HandRaised(at=t(12), participant="zz", kind="speak", item="i1")
    assert "display_name" not in (project(nobody, STATE, "public") or {})


def test_project_attendance_staff_see_everyone_the_public_counts() -> None:
    recorded = AttendanceRecorded(
        at=t(30),
        changes=(
            AttendanceChange(
                participant="p7", status="present", display_name="S", role="participant"
            ),
            AttendanceChange(
                participant="f3", status="present", display_name="F", role="facilitator"
            ),
            AttendanceChange(
                participant="p8", status="waiting", display_name="W", role="participant"
            ),
            AttendanceChange(participant="p1", status="left", role="participant"),
        ),
    )
    after = state_of(*EVENTS, recorded)
    staff = project(recorded, after, "facilitator")
    public = project(recorded, after, "public")
    assert staff is not None
    assert public is not None
    assert [c["participant"] for c in staff["changes"]] == ["p7", "f3", "p8", "p1"]
    # The crowd's arrivals are counts; the public hears of the facilitators and of the
    # people it knows by name (p1 has a hand up and wrote a statement).
    assert public["changes"] == [
        {"participant": "f3", "status": "present", "display_name": "F", "role": "facilitator"},
        {"participant": "p1", "status": "left", "display_name": "", "role": "participant"},
    ]
    for shown in (staff, public):
        assert (shown["joined"], shown["left"], shown["present"]) == (2, 1, 6)


def test_project_single_joins_and_leaves_of_the_crowd_are_counts_for_the_public() -> None:
    crowd = ParticipantJoined(at=t(27), participant="p7", display_name="Seven", role="participant")
    after = state_of(*EVENTS, crowd)
    assert project(crowd, after, "public") == {"present": 6}
    assert project(crowd, after, "facilitator") == {
        "participant": "p7",
        "display_name": "Seven",
        "role": "participant",
        "present": 6,
    }
    speaker = ParticipantLeft(at=t(28), participant="p3")
    gone = state_of(*EVENTS, crowd, speaker)
    shown = project(speaker, gone, "public")
    assert shown is not None
    assert (shown["participant"], shown["present"]) == ("p3", 5)
    assert shown["temperature"]["present"] == 5
    left = ParticipantLeft(at=t(29), participant="p7")
    assert set(project(left, state_of(*EVENTS, crowd, left), "public") or {}) == {
        "present",
        "temperature",
    }


def test_project_attendance_without_departures_leaves_the_temperature_alone() -> None:
    arrivals = AttendanceRecorded(
        at=t(30),
        changes=(
            AttendanceChange(
                participant="p7", status="present", display_name="S", role="participant"
            ),
        ),
    )
    shown = project(arrivals, state_of(*EVENTS, arrivals), "public")
    assert shown == {"changes": [], "joined": 1, "left": 0, "present": 6}

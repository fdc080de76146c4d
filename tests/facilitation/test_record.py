"""The record's hash chain (SPEC §8): canonical JSON, sealed text, public data."""

from __future__ import annotations

import hashlib

from facilitation.polls import PollClosed, PollOpened, VoteCounted
from facilitation.record import GENESIS, canonical, link, public_data, sealed, text_hash
from facilitation.room import RoomState, initial_state
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

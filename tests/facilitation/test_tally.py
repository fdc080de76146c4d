from __future__ import annotations

from facilitation.tally import Round, count, instant_runoff

MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = range(4)


def test_irv_tennessee_capital_example() -> None:
    """Wikipedia, "Instant-runoff voting", worked example (Tennessee's capital): of 100
    voters, 42 rank Memphis > Nashville > Chattanooga > Knoxville, 26 Nashville >
    Chattanooga > Knoxville > Memphis, 15 Chattanooga > Knoxville > Nashville > Memphis,
    17 Knoxville > Chattanooga > Nashville > Memphis. Chattanooga is eliminated in round 1,
    Nashville in round 2, and Knoxville wins round 3 with 58 to 42."""
    ballots = (
        [(MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE)] * 42
        + [(NASHVILLE, CHATTANOOGA, KNOXVILLE, MEMPHIS)] * 26
        + [(CHATTANOOGA, KNOXVILLE, NASHVILLE, MEMPHIS)] * 15
        + [(KNOXVILLE, CHATTANOOGA, NASHVILLE, MEMPHIS)] * 17
    )
    tally = count("ranked", 4, ballots, quorum=0)
    assert tally.rounds == (
        Round((42, 26, 15, 17), CHATTANOOGA, 0),
        Round((42, 26, None, 32), NASHVILLE, 0),
        Round((42, None, None, 58), None, 0),
    )
    assert tally.winner == KNOXVILLE
    assert tally.counts == (42, 26, 15, 17)
    assert tally.turnout == 100


def test_irv_tie_for_fewest_broken_by_previous_round() -> None:
    # Round 1: A 3, B 2, C 2, D 1 → D out; its ballot goes to C. Round 2: A 3, B 2, C 3.
    ballots: list[tuple[int, ...]] = [(0,)] * 3 + [(1,)] * 2 + [(2,)] * 2 + [(3, 2)]
    rounds = instant_runoff(4, ballots)
    assert [r.eliminated for r in rounds] == [3, 1, None]
    # Round 2 has B and C... tied cases: A 2, B 1, C 1 in round 1 → tie for fewest with
    # equal history: the later-listed option (C) goes.
    assert instant_runoff(3, [(0,), (0,), (1,), (2,)])[0].eliminated == 2


def test_irv_backward_tie_break_uses_earlier_round() -> None:
    # Round 1: A 4, B 2, C 3, D 1 → D out, its ballot moves to B: A 4, B 3, C 3.
    # B and C tie for fewest; C had more in round 1, so B is eliminated.
    ballots: list[tuple[int, ...]] = [(0,)] * 4 + [(1,)] * 2 + [(2,)] * 3 + [(3, 1)]
    rounds = instant_runoff(4, ballots)
    assert rounds[1].counts == (4, 3, 3, None)
    assert rounds[1].eliminated == 1


def test_irv_exhausted_ballots_and_full_tie() -> None:
    rounds = instant_runoff(3, [(0,), (1,), (2,)])
    assert rounds == (Round((1, 1, 1), None, 0),)
    assert count("ranked", 3, [(0,), (1,), (2,)], quorum=0).winner is None
    exhausting = instant_runoff(3, [(0,), (0,), (1,), (2,), (2,)])
    assert exhausting[-1].counts == (2, None, 2)
    assert exhausting[-1].exhausted == 1


def test_irv_no_ballots() -> None:
    tally = count("ranked", 3, [], quorum=1)
    assert (tally.rounds, tally.winner, tally.counts, tally.quorum_met) == (
        (),
        None,
        (0, 0, 0),
        False,
    )


def test_count_single_multiple_score() -> None:
    assert count("single", 3, [0, 0, 2], quorum=3).counts == (2, 0, 1)
    assert count("single", 3, [0, 0, 2], quorum=3).quorum_met
    assert count("single", 2, [0, 1], quorum=0).winner is None
    assert count("single", 2, [], quorum=0).winner is None
    assert count("multiple", 3, [(0, 1), (1,)], quorum=0).counts == (1, 2, 0)
    score = count("score", 3, [(5, 0, 3), (4, 1, 3)], quorum=0)
    assert (score.counts, score.winner) == ((9, 1, 6), 0)

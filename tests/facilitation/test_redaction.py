"""Withdrawn text (hidden statements, dismissed or hidden questions, hidden proposals) is
shown to no public view again: not in snapshots, and not when an old event that carried
it is replayed. Facilitators, who moderate it, still see it."""

from __future__ import annotations

from facilitation.base import Role
from facilitation.proposals import ProposalHidden, ProposalSubmitted
from facilitation.questions import QuestionAsked, QuestionDismissed
from facilitation.redaction import needs_redaction, redact, withdrawn
from facilitation.room import fold
from facilitation.statements import StatementHidden, StatementPosted
from facilitation.views import Viewer, snapshot
from tests.facilitation.dsl import FAC, LIVE, P1, P2, t

TEXT = "home address 12"
POSTED = StatementPosted(at=t(2), statement="s1", participant="p1", text=TEXT, turn=None,
                         item=None)  # fmt: skip
ASKED = QuestionAsked(at=t(3), question="q1", participant="p1", text="slur?", item=None)
HIDDEN = StatementHidden(at=t(4), statement="s1", reason="doxxing", by=FAC.participant)
DISMISSED = QuestionDismissed(at=t(5), question="q1", by=FAC.participant)


def test_redaction_counts_the_last_withdrawal() -> None:
    before = fold([*LIVE, POSTED, ASKED])
    after = fold([*LIVE, POSTED, ASKED, HIDDEN])
    assert before.withdrawn == 0
    assert after.withdrawn == after.seq
    assert needs_redaction(before, after)
    assert not needs_redaction(after, after)
    assert not needs_redaction(after, fold([*LIVE, POSTED, ASKED, HIDDEN, POSTED]))


def test_redaction_blanks_withdrawn_text_for_the_public_views() -> None:
    now = fold([*LIVE, POSTED, ASKED, HIDDEN, DISMISSED])
    assert withdrawn(now, "statement", "s1")
    assert withdrawn(now, "question", "q1")
    assert not withdrawn(now, "statement", "nope")
    posted = {"statement": "s1", "participant": "p1", "text": TEXT, "turn": None}
    public = redact("statement.posted", posted, now, staff=False)
    assert public == {**posted, "text": None, "withdrawn": True}
    assert redact("statement.posted", posted, now, staff=True) is posted
    asked = {"question": "q1", "participant": "p1", "text": "slur?"}
    assert redact("question.asked", asked, now, staff=False)["text"] is None
    other = {**posted, "statement": "s2"}
    assert redact("statement.posted", other, now, staff=False)["text"] == TEXT
    assert redact("statement.posted", {"text": "no id"}, now, staff=False) == {"text": "no id"}
    raised = {"participant": "p1"}
    assert redact("hand.raised", raised, now, staff=False) == raised
    for role, who in ((Role.PARTICIPANT, P2.participant), (Role.OBSERVER, None)):
        view = snapshot(now, Viewer(who, role))
        assert TEXT not in str(view)
        assert "slur?" not in str(view)
    live = fold([*LIVE, POSTED, ASKED])
    assert redact("statement.posted", posted, live, staff=False) is posted


def test_redaction_covers_hidden_proposals() -> None:
    submitted = ProposalSubmitted(at=t(2), proposal="x1", participant=P1.participant,
                                  text="bike lanes", item=None)  # fmt: skip
    hidden = ProposalHidden(at=t(3), proposal="x1", reason="spam", by=FAC.participant)
    now = fold([*LIVE, submitted, hidden])
    assert now.withdrawn == now.seq
    data = {"proposal": "x1", "participant": "p1", "text": "bike lanes"}
    assert redact("proposal.submitted", data, now, staff=False)["text"] is None
    assert not withdrawn(now, "proposal", "x2")

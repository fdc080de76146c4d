"""The observer view is read-only: every control that could change the room is absent
(not merely disabled), and a command forged on the page's own socket is refused."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Browser, expect

from e2e.staging import stage
from e2e.support import Room

pytestmark = pytest.mark.browser

ROOM_CONTROLS = [
    "Raise hand",
    "Lower hand",
    "Yield the floor",
    "Grant floor to next",
    "End turn",
    "Start session",
    "Start item",
    "Open poll",
    "Close poll",
    "Vote",
    "Post statement",
    "Ask question",
    "End session",
    "Export minutes",
    "Agree",
    "Disagree",
    "Applause",
    "Unclear",
    "Record decision",
    "Create poll",
    "Add item",
    "Upvote",
    "Mute",
    "Remove",
]


def test_observer_has_no_control_and_cannot_send(browser: Browser, room: Room) -> None:
    staged = stage(browser, room, "en")
    obs = staged.observer
    # What the room shows is there: the poll, the queue, the statement, the question.
    expect(obs.locator(".poll")).to_contain_text("Which repair comes first?")
    expect(obs.locator(".hands li")).to_have_count(1)
    expect(obs.locator(".question-list")).to_contain_text("budget")
    # Nothing to type or press inside the room; only the language switch in the header
    # and the viewer's own "Show live captions" (it changes this page, not the room).
    controls = ":is(button, input, select, textarea, form):not([data-k='captions-toggle'])"
    assert obs.locator("main").locator(controls).count() == 0
    assert obs.get_by_role("checkbox", name="Show live captions").count() == 1
    for name in ROOM_CONTROLS:
        assert obs.get_by_role("button", name=name).count() == 0, name
    assert obs.locator("main [draggable='true']").count() == 0

    # A hand-crafted command on the page's own WebSocket is refused by the server.
    reply = obs.evaluate(
        """() => new Promise((resolve) => {
            const ws = window.townhall.conn.ws;
            const answers = [];
            ws.addEventListener('message', (m) => {
              for (const msg of [].concat(JSON.parse(m.data))) {
                if (msg.id === 'forged-1' || msg.id === 'forged-2') answers.push(msg);
                if (answers.length === 2) resolve(JSON.stringify(answers));
              }
            });
            ws.send(JSON.stringify({type: 'hand.raise', id: 'forged-1', data: {kind: 'speak'}}));
            ws.send(JSON.stringify({type: 'statement.post', id: 'forged-2',
                                    data: {text: 'I should not be able to say this'}}));
        })"""
    )
    answers = json.loads(reply)
    assert [a["type"] for a in answers] == ["error", "error"]
    assert {a["code"] for a in answers} == {"forbidden"}
    # ... and the room did not change for anyone.
    expect(staged.facilitator.locator(".hands li")).to_have_count(1)
    assert "I should not be able" not in staged.facilitator.locator(".feed-list").inner_text()

"""Attack class: forged and stolen tokens. Resume tokens are signed; changing the role,
room or participant of a real one, signing one with another key, guessing a link,
replaying a rotated link or a resume token made from it: each is ``bad_token``, and
nothing of the room is seen."""

from __future__ import annotations

import base64
import json

import pytest

from realtime.client import ClientError
from tests import services
from tests.townhall.scripted import call, close_all, connect, create_town, rest
from townhall.tokens import MEMBER_PREFIX, RESUME_PREFIX, ResumeClaim, sign_resume


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _tampered(token: str, **change: object) -> str:
    """The same token, its claim edited and its signature kept."""
    body, _, mac = token[len(RESUME_PREFIX) :].partition(".")
    fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    keys = ["room", "participant", "role", "name", "link_version"]
    claim = dict(zip(keys, fields, strict=True))
    claim.update(change)
    edited = _b64(json.dumps([claim[k] for k in keys], separators=(",", ":")).encode())
    return f"{RESUME_PREFIX}{edited}.{mac}"


def _one_off(token: str) -> str:
    """``token`` with its last character changed (a random token may end with "x")."""
    return token[:-1] + ("y" if token.endswith("x") else "x")


async def _refused(url: str, token: str) -> str:
    with pytest.raises(ClientError) as refused:
        await connect(url, token, "Mallory")
    return refused.value.code


async def test_forged_tokens_are_refused(server: services.Worker) -> None:
    town = await create_town(server.url, "Forgery")
    other = await create_town(server.url, "Other room")
    p = await connect(server.ws_url, town.token("participant"), "Ann")
    real = p.resume_token
    assert real is not None
    await p.close()
    forged = [
        _tampered(real, role="facilitator"),  # promote oneself
        _tampered(real, room=other.id),  # walk into another room
        _tampered(real, participant="p000000000000"),  # become someone else
        _tampered(real, link_version=99),
        real[:-2] + ("AA" if not real.endswith("AA") else "BB"),  # a broken signature
        sign_resume(b"not the server key", ResumeClaim(town.id, "p1", "facilitator", "x", 1)),
        RESUME_PREFIX + "x.y",
        MEMBER_PREFIX + "guessed-member-token",
        _one_off(town.token("participant")),  # a link one character off
        "",
        "x" * 4000,
    ]
    for token in forged:
        code = await _refused(server.ws_url, token) if token else "bad_hello"
        assert code in ("bad_token", "bad_hello"), token[:40]


async def test_rotated_links_and_their_resume_tokens_stop_working(
    server: services.Worker,
) -> None:
    town = await create_town(server.url, "Rotation")
    f = await connect(server.ws_url, town.token("facilitator"))
    p = await connect(server.ws_url, town.token("participant"), "Bo")
    resume = p.resume_token
    assert resume is not None
    try:
        await call(f, "session.start")
        rotated = await rest(server.url, "POST", f"/api/townhalls/{town.id}/links/rotate",
                             json={"roles": ["participant"]})  # fmt: skip
        assert rotated.status_code == 200
        assert await _refused(server.ws_url, town.token("participant")) == "bad_token"
        assert await _refused(server.ws_url, resume) == "bad_token"
        # The organiser API takes no link token, and no guess of a key.
        denied = await rest(server.url, "GET", "/api/townhalls", auth=False)
        assert denied.status_code == 401
    finally:
        await close_all([f, p])

"""Signing in to the organiser console with an organiser key.

``POST /api/console/session`` takes the key in a JSON body (never in a URL, so never in
a log), checks it, and sets a cookie that holds a random session id: ``HttpOnly`` (no
script reads it), ``SameSite=Strict`` (no other site's page sends it), ``Secure`` when
the server is reached over HTTPS, 12 hours. The database keeps only the id's hash, the
key's id and a CSRF token. Every change made with the cookie (POST, PATCH, DELETE) must
also carry that token in ``X-CSRF-Token``, which only the console's own page can read
(``GET /api/console/session``): a forged cross-site request has the cookie at most, never
the token. Signing out deletes the row; revoking the key ends its sessions at once.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from townhall import rooms
from townhall.api.errors import ApiError, read_body
from townhall.db import SessionFactory
from townhall.db.models import ConsoleSessionRow, metadata
from townhall.tokens import digest

__all__ = ["COOKIE", "CSRF_HEADER", "csrf_ok", "session_of", "sign_in", "sign_out", "whoami"]

COOKIE = "townhall_console"
CSRF_HEADER = "x-csrf-token"
LIFETIME = timedelta(hours=12)
_sessions = metadata.tables["console_session"]
_keys = metadata.tables["api_key"]


class SignIn(BaseModel):
    key: str = Field(min_length=1, max_length=200, description="An organiser key.")


class ConsoleSession(BaseModel):
    signed_in: bool
    csrf: str | None = None
    admin: bool = False
    key_id: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


async def session_of(sessions: SessionFactory, cookie: str) -> ConsoleSessionRow | None:
    """The live session of a cookie value: not expired, its key not revoked."""
    if not cookie or len(cookie) > 200:
        return None
    revoked = (
        sa.select(_keys.c.id)
        .where(_keys.c.id == _sessions.c.key_id, _keys.c.revoked_at.is_not(None))
        .exists()
    )
    query = sa.select(ConsoleSessionRow).where(
        _sessions.c.id_hash == digest(cookie), _sessions.c.expires_at > _now(), ~revoked
    )
    async with sessions() as session:
        return (await session.execute(query)).scalar_one_or_none()


def csrf_ok(request: Request, found: ConsoleSessionRow) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    return bool(sent) and hmac.compare_digest(sent.encode(), found.csrf.encode())


def _same_origin(request: Request, base_url: str) -> bool:
    # Browsers send Origin on every POST; a sign-in from another site's page is refused
    # (it could sign the victim in to the attacker's key otherwise).
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser (curl, tests): nothing to forge
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin.rstrip("/") in {own, base_url.rstrip("/")}


def _cookie(response: Response, value: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )


async def sign_in(
    sessions: SessionFactory, request: Request, *, env_key: str | None, base_url: str
) -> Response:
    if not _same_origin(request, base_url):
        raise ApiError("forbidden", "sign in from this server's own console")
    body = await read_body(request, SignIn)
    who = await rooms.identify_api_key(sessions, body.key.strip(), env_key=env_key)
    if who is None:
        raise ApiError("unauthorized", "this organiser key is not valid")
    value = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    async with sessions.begin() as session:
        session.add(
            ConsoleSessionRow(
                id_hash=digest(value),
                key_id=who[0],
                admin=who[1],
                csrf=csrf,
                created_at=now,
                expires_at=now + LIFETIME,
            )
        )
        # Expired sessions go as new ones come: the table stays small.
        await session.execute(sa.delete(_sessions).where(_sessions.c.expires_at <= now))
    answer = ConsoleSession(signed_in=True, csrf=csrf, admin=who[1], key_id=who[0])
    response = JSONResponse(answer.model_dump(), headers={"cache-control": "no-store"})
    _cookie(
        response, value, secure=base_url.startswith("https:"), max_age=int(LIFETIME.total_seconds())
    )
    return response


async def whoami(sessions: SessionFactory, request: Request) -> Response:
    found = await session_of(sessions, request.cookies.get(COOKIE, ""))
    answer = (
        ConsoleSession(signed_in=True, csrf=found.csrf, admin=found.admin, key_id=found.key_id)
        if found
        else ConsoleSession(signed_in=False)
    )
    return JSONResponse(answer.model_dump(), headers={"cache-control": "no-store"})


async def sign_out(sessions: SessionFactory, request: Request, *, base_url: str) -> Response:
    cookie = request.cookies.get(COOKIE, "")
    found = await session_of(sessions, cookie)
    if found is not None:
        if not csrf_ok(request, found):
            raise ApiError("csrf_failed")
        async with sessions.begin() as session:
            await session.execute(sa.delete(_sessions).where(_sessions.c.id_hash == found.id_hash))
    response = Response(status_code=204)
    _cookie(response, "", secure=base_url.startswith("https:"), max_age=0)
    return response

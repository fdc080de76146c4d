"""Captions (SPEC §10): the organiser makes a captioner link, and whoever holds it (a
person typing, a speech-to-text bot) posts what is said over HTTP.

``POST /api/townhalls/{id}/captions`` takes the captioner link's token as
``Authorization: Bearer TOKEN`` and runs ``transcript.append`` in the live room through
the same decide/append path as a WebSocket command (``RoomCommands``), so any worker
accepts it and every client sees it at once. Its rate is limited per town hall and
worker, like the join limits (townhall.joins).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from townhall import rooms
from townhall.api.context import CAPTION_BURST, CAPTION_RATE_PER_S, Api, bearer_key
from townhall.api.errors import ApiError, read_body
from townhall.api.models import CaptionAccepted, CaptionerLink, CaptionerLinkIn, CaptionIn
from townhall.api.townhalls import owned_row
from townhall.ports import CAPTIONER_ID, CommandRefused

__all__ = ["CAPTIONER_ID", "captioner_link", "post_caption"]

MAX_IDEMPOTENCY_KEY = 100
# The room refuses a caption's text with these; over HTTP they are the body's fault.
_BAD_TEXT = frozenset({"text_empty", "text_too_long", "invalid_data"})


def captions_url(api: Api, room: str) -> str:
    return f"{api.base_url.rstrip('/')}/api/townhalls/{room}/captions"


async def captioner_link(api: Api, request: Request) -> Response:
    """Makes (or shows again) the town hall's captioner link."""
    body = await read_body(request, CaptionerLinkIn, optional=True)
    row = await owned_row(api, request)
    token, url, made = await rooms.captioner_link(
        api.sessions, row.id, base_url=api.base_url, secret=api.secret, rotate=body.rotate
    )
    if made:  # a captioner connected by the replaced link goes now, on every worker
        await api.room_commands.disconnect(row.id, frozenset({rooms.CAPTIONER}))
    link = CaptionerLink(url=url, token=token, captions_url=captions_url(api, row.id), made=made)
    return JSONResponse(link.model_dump(mode="json"))


async def post_caption(api: Api, request: Request) -> Response:
    room = request.path_params["id"]
    token = bearer_key(request)
    if token is None:
        raise ApiError(
            "unauthorized", "a captioner link's token is required (Authorization: Bearer TOKEN)"
        )
    grant = await rooms.resolve_link(api.sessions, token)
    if grant is None:
        raise ApiError("unauthorized", "this token is not a valid link, or it was replaced")
    if grant.room != room:
        raise ApiError("forbidden", "this link belongs to another town hall")
    if grant.role != rooms.CAPTIONER:
        raise ApiError("forbidden", "only the captioner link may post captions")
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise ApiError("invalid_request", f"Idempotency-Key: 1 to {MAX_IDEMPOTENCY_KEY} characters")
    body = await read_body(request, CaptionIn)
    row = await rooms.get_townhall(api.sessions, room)
    if row is None:
        raise ApiError("not_found", "no such town hall")
    if row.status in ("ended", "archived"):
        raise ApiError("session_ended", "the session has ended; captions are closed")
    if not api.caption_limits.take(room):
        raise ApiError(
            "rate_limited",
            f"at most {CAPTION_RATE_PER_S:g} captions a second (bursts of {CAPTION_BURST})",
        )
    try:
        seq = await api.room_commands.run_as_captioner(room, CAPTIONER_ID, body.text, key)
    except CommandRefused as exc:
        status = 422 if exc.code in _BAD_TEXT else 409
        raise ApiError(exc.code, exc.message, status=status) from None
    accepted = CaptionAccepted(seq=seq)
    return JSONResponse(accepted.model_dump(mode="json"), status_code=201)

"""What a link opens, asked by the page itself with the token in a POST body: the town
hall's title, status, start time and zone, stream and join code (``POST /api/link``), and
once it is archived its minutes (``POST /api/link/minutes``, the public edition as HTML,
for the read-only view every link opens after the end). ``GET /j/{code}`` is the short
join link: it redirects to the participant link while that link lives.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from townhall import access, rooms
from townhall import links as derived
from townhall.api.context import Api
from townhall.api.errors import ApiError, read_body
from townhall.api.models import JoinCode, LinkInfo, LinkQuery, Stream
from townhall.minutes import MinutesNotFound

__all__ = ["link_info", "link_minutes", "short_link"]


async def _grant(api: Api, request: Request) -> access.RoomAccess:
    body = await read_body(request, LinkQuery)
    found = await access.link_access(api.sessions, body.token)
    if found is None:
        # A roll member's personal link opens the same views as the participant link
        # (the waiting view, the room, and after the end the read-only minutes).
        member = await access.member_access(api.sessions, body.token)
        found = None if member is None else member.room
    if found is None:
        raise ApiError("not_found", "this link is not valid, expired or was replaced")
    return found


async def _join(api: Api, room: str) -> JoinCode | None:
    if api.secret is None:
        return None
    found = (await rooms.live_links(api.sessions, api.secret, room)).get("participant")
    if found is None:
        return None
    token, version = found
    short = derived.short_url(api.base_url, derived.short_code(api.secret, room, version))
    return JoinCode(
        url=rooms.link_url(api.base_url, token), short_url=short, qr=derived.qr_data_uri(short)
    )


async def link_info(api: Api, request: Request) -> Response:
    grant = await _grant(api, request)
    row = await rooms.get_townhall(api.sessions, grant.room)
    if row is None:
        raise ApiError("not_found", "this link is not valid, expired or was replaced")
    info = LinkInfo(
        room=row.id,
        role=grant.role,
        title=row.title,
        description=row.description,
        language=row.language,
        status=row.status,
        starts_at=row.starts_at,
        timezone=row.timezone,
        started_at=row.started_at,
        ended_at=row.ended_at,
        stream=Stream.of(row.stream_url),
        join=await _join(api, row.id) if row.status in ("scheduled", "live") else None,
    )
    return JSONResponse(info.model_dump(mode="json"), headers={"cache-control": "no-store"})


async def link_minutes(api: Api, request: Request) -> Response:
    grant = await _grant(api, request)
    try:
        content = await api.exporter(grant.room, "html", True)
    except MinutesNotFound:
        raise ApiError("not_archived") from None
    return Response(content, media_type="text/html; charset=utf-8")


async def short_link(api: Api, request: Request) -> Response:
    code = request.path_params["code"]
    token = None
    if api.secret is not None and len(code) == derived.SHORT_LENGTH:
        token = await rooms.resolve_short(api.sessions, api.secret, code)
    if token is None:
        return PlainTextResponse("This join link does not work any more.", status_code=404)
    return RedirectResponse(rooms.link_url(api.base_url, token), status_code=303)

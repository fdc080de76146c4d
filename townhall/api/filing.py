"""Filing the minutes over the API: the versions, approving the latest, correcting an
approved version with a new one (townhall/minutes/filing.py keeps every version)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from townhall.api.context import Api
from townhall.api.errors import ApiError, read_body
from townhall.api.models import ApproveMinutes, CorrectMinutes, MinutesVersion, MinutesVersions
from townhall.api.townhalls import owned_row
from townhall.db.models import MinutesVersionRow
from townhall.minutes import filing

__all__ = ["approve", "correct", "list_versions"]


def _view(row: MinutesVersionRow) -> MinutesVersion:
    return MinutesVersion.model_validate(row, from_attributes=True)


async def _archived(api: Api, request: Request) -> str:
    row = await owned_row(api, request)
    if row.status != "archived":
        raise ApiError("not_archived")
    return row.id


async def list_versions(api: Api, request: Request) -> Response:
    room = await _archived(api, request)
    rows = await filing.versions(api.sessions, room)
    body = MinutesVersions(versions=[_view(r) for r in rows])
    return JSONResponse(body.model_dump(mode="json"))


async def approve(api: Api, request: Request) -> Response:
    body = await read_body(request, ApproveMinutes)
    room = await _archived(api, request)
    try:
        row = await filing.approve(api.sessions, room, body.approved_by)
    except filing.AlreadyApproved:
        raise ApiError("already_approved") from None
    return JSONResponse(_view(row).model_dump(mode="json"))


async def correct(api: Api, request: Request) -> Response:
    body = await read_body(request, CorrectMinutes)
    room = await _archived(api, request)
    try:
        row = await filing.correct(
            api.sessions,
            room,
            body.corrections,
            place=body.place,
            chair=body.chair,
            secretary=body.secretary,
        )
    except filing.NotApproved:
        raise ApiError("not_approved") from None
    return JSONResponse(_view(row).model_dump(mode="json"), status_code=201)

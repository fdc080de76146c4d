"""The organiser endpoints: create, read, edit before start, delete, rotate links.

The town hall row and its links live in SQL; the agenda, settings, title and status of
the room live in its log. Everything that changes the room goes through
``RoomCommands`` so the log stays the one record of what happened.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from townhall import links as derived
from townhall import rooms
from townhall.api import roll
from townhall.api.context import Api, organiser
from townhall.api.errors import ApiError, read_body
from townhall.api.models import (
    AgendaItemIn,
    Links,
    LinkView,
    RotatedLinks,
    RotateLinks,
    TownHall,
    TownHallCreate,
    TownHallCreated,
    TownHallLinks,
    TownHallList,
    TownHallPatch,
)
from townhall.db.models import TownHallRow
from townhall.domain import ACCESS, CONFIGURE
from townhall.ports import CommandRefused

__all__ = [
    "create", "delete", "get", "links", "list_all", "owned_row", "patch", "qr", "rotate",
]  # fmt: skip


def _json(model: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status, headers=headers)


async def owned_row(api: Api, request: Request) -> TownHallRow:
    """The town hall of the path, if the caller owns it (or is an admin). Another key's
    town hall answers 404 like a missing one: its id reveals nothing."""
    row = await rooms.get_townhall(api.sessions, request.path_params["id"])
    who = organiser(request)
    if row is None or (who is not None and not who.owns(row.owner)):
        raise ApiError("not_found", "no such town hall")
    return row


async def _add_agenda(api: Api, room: str, items: list[AgendaItemIn], key: str | None) -> None:
    for n, item in enumerate(items):
        await api.room_commands.run_as_organiser(
            room, "agenda.add", item.command_data(), key=f"{key}:agenda:{n}" if key else None
        )


async def create(api: Api, request: Request) -> Response:
    body = await read_body(request, TownHallCreate)
    settings = body.settings.command_data() if body.settings else {}
    row, links = await rooms.create_townhall(
        api.sessions,
        title=body.title,
        description=body.description,
        language=body.language,
        visibility=body.visibility,
        settings=settings,
        base_url=api.base_url,
        expires_at=body.expires_at,
        access=body.access,
        secret=api.secret,
        owner=who.key_id if (who := organiser(request)) else None,
        fields=body.meeting_fields(),
    )
    commands = api.room_commands
    personal = None
    try:
        configure = {"title": body.title, "description": body.description}
        await commands.run_as_organiser(
            row.id, CONFIGURE, {**configure, "language": body.language}, key="create:configure"
        )
        await _add_agenda(api, row.id, body.agenda, "create")
        if settings:
            await commands.run_as_organiser(
                row.id, "room.settings", settings, key="create:settings"
            )
        if body.access != "open":
            await commands.run_as_organiser(
                row.id, ACCESS, {"access": body.access}, key="create:access"
            )
        if body.roll:
            personal = await roll.enrol(api, row.id, body.roll, "create")
        if body.proxies:
            await roll.record_proxies(api, row.id, body.proxies, "create")
    except BaseException:
        # A half-made town hall would be worse than none: the caller retries as a whole.
        await rooms.delete_townhall(api.sessions, row.id)
        await commands.drop(row.id)
        await rooms.delete_townhall(api.sessions, row.id)  # the trim's new-epoch row
        raise
    created = TownHallCreated(id=row.id, links=Links(**links, personal=personal))
    return JSONResponse(
        created.model_dump(mode="json", exclude_none=True),
        status_code=201,
        headers={"location": f"/api/townhalls/{row.id}"},
    )


async def list_all(api: Api, request: Request) -> Response:
    who = organiser(request)
    owner = None if who is None or who.admin else who.key_id
    rows = await rooms.list_townhalls(api.sessions, owner=owner)
    return _json(TownHallList(townhalls=[TownHall.of(row) for row in rows]))


async def _room_view(api: Api, row: TownHallRow) -> dict[str, Any] | None:
    # After the archive the minutes are the record; the live log may be gone.
    if row.status == "archived":
        return None
    return await api.room_commands.room_view(row.id)


async def get(api: Api, request: Request) -> Response:
    row = await owned_row(api, request)
    return _json(TownHall.of(row, await _room_view(api, row)))


async def patch(api: Api, request: Request) -> Response:
    body = await read_body(request, TownHallPatch)
    row = await owned_row(api, request)
    view = await _room_view(api, row)
    live_status = (view or {}).get("session", {}).get("status", row.status)
    if row.status != "scheduled" or live_status != "scheduled":
        raise ApiError("already_started")
    meeting = body.meeting_fields()
    changes = body.model_dump(
        exclude_unset=True, exclude={"agenda", "settings", *body.meeting_fields().keys()}
    )
    if any(value is None for value in changes.values()):
        raise ApiError(
            "invalid_request",
            fields=[
                {"field": name, "message": "may not be null", "type": "null"}
                for name, value in changes.items()
                if value is None
            ],
        )
    commands = api.room_commands
    try:
        if {"title", "description", "language"} & changes.keys():
            data = {
                "title": changes.get("title", row.title),
                "description": changes.get("description", row.description),
                "language": changes.get("language", row.language),
            }
            await commands.run_as_organiser(row.id, CONFIGURE, data)
        if body.agenda is not None:
            items = (view or {}).get("agenda", {}).get("items", [])
            for item in items:
                await commands.run_as_organiser(row.id, "agenda.remove", {"item": item["id"]})
            await _add_agenda(api, row.id, body.agenda, None)
        if body.settings is not None:
            settings = body.settings.command_data()
            if settings:
                await commands.run_as_organiser(row.id, "room.settings", settings)
            changes["settings"] = {**row.settings, **settings}
        if "access" in changes:
            await commands.run_as_organiser(row.id, ACCESS, {"access": changes["access"]})
    except CommandRefused as exc:
        if exc.code == "session_not_scheduled":
            raise ApiError("already_started") from None
        raise
    changes.update(meeting)
    try:
        updated = await rooms.update_townhall(api.sessions, row.id, changes)
    except rooms.AlreadyStarted:
        raise ApiError("already_started") from None
    if updated is None:
        raise ApiError("not_found", "no such town hall")
    return _json(TownHall.of(updated, await _room_view(api, updated)))


async def delete(api: Api, request: Request) -> Response:
    row = await owned_row(api, request)
    # Links stop resolving first, so nobody reconnects into the room being dropped.
    await rooms.delete_townhall(api.sessions, row.id)
    await api.room_commands.disconnect(row.id, frozenset((*rooms.ROLES, rooms.CAPTIONER)))
    await api.room_commands.drop(row.id)
    # Trimming an embedded log records its new epoch in SQL: that row goes as well.
    await rooms.delete_townhall(api.sessions, row.id)
    return Response(status_code=204)


async def rotate(api: Api, request: Request) -> Response:
    body = await read_body(request, RotateLinks, optional=True)
    row = await owned_row(api, request)
    links = await rooms.rotate_links(
        api.sessions,
        row.id,
        body.roles,
        base_url=api.base_url,
        expires_at=body.expires_at,
        secret=api.secret,
    )
    # Old resume tokens are refused at the next hello; open sockets must go now.
    await api.room_commands.disconnect(row.id, frozenset(body.roles))
    return _json(RotatedLinks(links=links))


async def _views(api: Api, row: TownHallRow) -> dict[str, LinkView]:
    if api.secret is None:
        return {}
    found = await rooms.live_links(api.sessions, api.secret, row.id)
    views: dict[str, LinkView] = {}
    for role, (token, version) in found.items():
        url = rooms.link_url(api.base_url, token)
        short = None
        if role == "participant":
            short = derived.short_url(api.base_url, derived.short_code(api.secret, row.id, version))
        views[role] = LinkView(url=url, short_url=short, qr=derived.qr_data_uri(short or url))
    return views


async def links(api: Api, request: Request) -> Response:
    """Every live link of the town hall, again: for "Copy link", QR codes and handouts."""
    row = await owned_row(api, request)
    return _json(TownHallLinks.model_validate({"links": await _views(api, row)}))


async def qr(api: Api, request: Request) -> Response:
    """The QR code of one role's link as an SVG image (of the short URL for participants)."""
    row = await owned_row(api, request)
    role = request.path_params["role"]
    view = (await _views(api, row)).get(role)
    if view is None:
        raise ApiError("not_found", "no link of this role can be shown; rotate it")
    svg = derived.qr_svg(view.short_url or view.url, title=f"{row.title} ({role})")
    return Response(
        svg,
        media_type="image/svg+xml",
        headers={"cache-control": "private, no-store", "content-disposition": "inline"},
    )

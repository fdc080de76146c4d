"""The roll and proxies of a town hall (SPEC §7): members with personal links, and who
holds whose proxy.

Members live in SQL (their refs and the hashes of their personal links) and in the
room's log (``roll.add``: participant id and name), so the rules of the room know who
may join and vote. Proxies live in the log only (``proxy.record``), named by the
members' participant ids; the API speaks in the organiser's refs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from townhall import members, rooms
from townhall.api.context import Api, organiser
from townhall.api.errors import ApiError, read_body
from townhall.api.models import (
    MemberIn,
    PersonalLink,
    PollRecount,
    Proxy,
    ProxyIn,
    ProxyList,
    Recount,
    Roll,
    RollAdd,
    RollAdded,
    RollMember,
)
from townhall.db.models import MemberRow, TownHallRow
from townhall.domain import PROXY, ROLL, UNPROXY
from townhall.links import qr_data_uri
from townhall.minutes import MinutesNotFound
from townhall.recount import recount

__all__ = [
    "add_proxy",
    "enrol",
    "get_recount",
    "get_roll",
    "list_proxies",
    "post_roll",
    "record_proxies",
    "remove_proxy",
]

CHUNK = 500  # members per roll.add event: a big roll is several events, none huge


async def _row(api: Api, request: Request) -> TownHallRow:
    row = await rooms.get_townhall(api.sessions, request.path_params["id"])
    who = organiser(request)
    # Another key's town hall answers 404 like a missing one (as townhalls.owned_row).
    if row is None or (who is not None and not who.owns(row.owner)):
        raise ApiError("not_found", "no such town hall")
    return row


async def enrol(
    api: Api, room: str, entries: Sequence[MemberIn], key: str | None = None
) -> list[PersonalLink]:
    """Add members to the roll (SQL, then the room) and return their personal links. If
    the room refuses them, the SQL rows go again."""
    try:
        made = await members.add_members(
            api.sessions, room, [(m.name, m.ref) for m in entries], base_url=api.base_url
        )
    except members.DuplicateRef as exc:
        raise ApiError("duplicate_ref", f"ref {exc.ref!r} is already on the roll") from None
    try:
        for n in range(0, len(made), CHUNK):
            chunk = made[n : n + CHUNK]
            data = {"members": [{"participant": m.participant, "name": m.name} for m in chunk]}
            await api.room_commands.run_as_organiser(
                room, ROLL, data, key=f"{key}:roll:{n}" if key else None
            )
    except BaseException:
        await members.remove_members(api.sessions, room, [m.participant for m in made])
        raise
    return [PersonalLink(name=m.name, ref=m.ref, url=m.url) for m in made]


def _by_ref(roll: list[MemberRow], ref: str) -> str:
    for member in roll:
        if member.ref == ref:
            return member.participant
    raise ApiError("member_not_found", f"no member with ref {ref!r}", status=404)


async def record_proxies(
    api: Api, room: str, proxies: Sequence[ProxyIn], key: str | None = None
) -> None:
    roll = await members.list_members(api.sessions, room)
    for n, proxy in enumerate(proxies):
        data = {"from": _by_ref(roll, proxy.giver), "to": _by_ref(roll, proxy.holder)}
        await api.room_commands.run_as_organiser(
            room, PROXY, data, key=f"{key}:proxy:{n}" if key else None
        )


async def _holders(api: Api, row: TownHallRow) -> dict[str, str]:
    """giver -> holder (participant ids) as the live room has them."""
    if row.status == "archived":
        return {}
    view: dict[str, Any] = await api.room_commands.room_view(row.id)
    roll = view.get("roll") or {}
    return {m["participant"]: m["proxy"] for m in roll.get("members", []) if m.get("proxy")}


async def get_roll(api: Api, request: Request) -> Response:
    row = await _row(api, request)
    roll = await members.list_members(api.sessions, row.id)
    refs = {m.participant: m.ref for m in roll}
    holders = await _holders(api, row)
    body = Roll(
        access="roll" if row.access == "roll" else "open",
        members=[
            RollMember(
                participant=m.participant,
                name=m.name,
                ref=m.ref,
                proxy=refs.get(holders.get(m.participant, "")),
            )
            for m in roll
        ],
    )
    return JSONResponse(body.model_dump(mode="json"))


async def post_roll(api: Api, request: Request) -> Response:
    body = await read_body(request, RollAdd)
    row = await _row(api, request)
    links = await enrol(api, row.id, body.members)
    if body.qr:  # shown once: the console draws them now, or never
        links = [link.model_copy(update={"qr": qr_data_uri(link.url)}) for link in links]
    answer = RollAdded(personal=links).model_dump(mode="json", exclude_none=True)
    return JSONResponse(answer, status_code=201)


async def list_proxies(api: Api, request: Request) -> Response:
    row = await _row(api, request)
    roll = await members.list_members(api.sessions, row.id)
    refs = {m.participant: m.ref for m in roll}
    holders = await _holders(api, row)
    proxies = [
        Proxy(giver=refs[m.participant], holder=refs.get(holders[m.participant], ""))
        for m in roll
        if m.participant in holders
    ]
    return JSONResponse(ProxyList(proxies=proxies).model_dump(mode="json", by_alias=True))


async def add_proxy(api: Api, request: Request) -> Response:
    body = await read_body(request, ProxyIn)
    row = await _row(api, request)
    await record_proxies(api, row.id, [body])
    proxy = Proxy(giver=body.giver, holder=body.holder)
    return JSONResponse(proxy.model_dump(mode="json", by_alias=True), status_code=201)


async def remove_proxy(api: Api, request: Request) -> Response:
    row = await _row(api, request)
    roll = await members.list_members(api.sessions, row.id)
    giver = _by_ref(roll, request.path_params["ref"])
    await api.room_commands.run_as_organiser(row.id, UNPROXY, {"from": giver})
    return Response(status_code=204)


async def get_recount(api: Api, request: Request) -> Response:
    """Every poll recounted from the archived ballots (SPEC §8)."""
    row = await _row(api, request)
    try:
        polls = await recount(api.sessions, row.id)
    except MinutesNotFound:
        raise ApiError("not_archived") from None
    body = Recount(polls=[PollRecount(**p) for p in polls])
    return JSONResponse(body.model_dump(mode="json"))

"""Minutes downloads (organiser and open data) and the public list of town halls.

A private town hall does not exist for the open-data endpoints: they answer 404, not
401, so its id cannot be probed without a key.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from townhall import rooms
from townhall.api.context import Api, Handler, organiser
from townhall.api.errors import ApiError, read_body
from townhall.api.minutes import FORMATS, Progress, VersionNotFound
from townhall.api.models import MinutesRender, MinutesRendered, PublicTownHall, PublicTownHallList
from townhall.db.models import TownHallRow
from townhall.minutes import FontNotFound, MinutesNotFound, filing
from townhall.minutes.html import style_policy


def html_policy(html: str) -> str:
    """The API's CSP for a minutes page: its own stylesheets by hash, nothing else."""
    return (
        f"default-src 'none'; {style_policy(html)}; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


__all__ = ["document_path", "minutes_handler", "public_get", "public_list", "render"]


def document_path(prefix: str, fmt: str) -> str:
    """``{prefix}/minutes.md`` ... and ``{prefix}/transcript.csv``."""
    return f"{prefix}/transcript.csv" if fmt == "csv" else f"{prefix}/minutes.{fmt}"


async def _row(api: Api, request: Request, *, public: bool) -> TownHallRow:
    row = await rooms.get_townhall(api.sessions, request.path_params["id"])
    if row is None or (public and row.visibility != "public"):
        raise ApiError("not_found", "no such town hall")
    who = None if public else organiser(request)
    if who is not None and not who.owns(row.owner):
        raise ApiError("not_found", "no such town hall")
    return row


def _version(request: Request) -> int | None:
    """``?version=N``: that version of the minutes (the latest without it)."""
    raw = request.query_params.get("version")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 2**31:
        raise ApiError(
            "invalid_request",
            fields=[{"field": "version", "message": "a version number: 1, 2 ...", "type": "int"}],
        )
    return int(raw)


def minutes_handler(fmt: str, *, public: bool) -> Handler:
    """The download of one format; ``public`` serves public town halls without a key."""
    spec = FORMATS[fmt]

    async def download(api: Api, request: Request) -> Response:
        version = _version(request)
        row = await _row(api, request, public=public)
        if row.status != "archived":
            raise ApiError("not_archived")
        try:
            content = await api.exporter(row.id, fmt, public, version)
        except MinutesNotFound:
            raise ApiError("not_archived") from None
        except VersionNotFound:
            raise ApiError("not_found", f"the minutes have no version {version}") from None
        except FontNotFound as exc:
            raise ApiError("minutes_unavailable", str(exc)) from None
        filename = spec.filename.format(room=row.id)
        if version is not None:
            filename = filename.replace("-minutes.", f"-minutes-v{version}.")
        headers = {"content-disposition": f'inline; filename="{filename}"'}
        if fmt == "html":
            headers["content-security-policy"] = html_policy(content.decode())
        return Response(content, media_type=spec.media_type, headers=headers)

    return download


async def render(api: Api, request: Request) -> Response:
    """Start (or follow) the rendering of one document; ``ready`` once it can be
    downloaded at ``url`` without waiting (it is then in the render cache)."""
    body = await read_body(request, MinutesRender)
    row = await _row(api, request, public=False)
    if row.status != "archived":
        raise ApiError("not_archived")
    versions = await filing.versions(api.sessions, row.id)
    chosen = versions[-1].version if body.version is None else body.version
    if chosen not in {v.version for v in versions}:
        raise ApiError("not_found", f"the minutes have no version {chosen}")
    url = document_path(f"{api.base_url}/api/townhalls/{row.id}", body.format)
    url += f"?version={chosen}"
    key = (row.id, chosen, body.format, False)
    done = await filing.cached(api.sessions, row.id, chosen, body.format, False) is not None
    if not done:
        # A job that finished while the cache was being read left its document there:
        # read it again rather than render again (the answer went from 0.94 back to 0,
        # and a second PDF was rendered for nothing). Still missing: an approval dropped
        # it since, and the job below starts over.
        try:
            finished = api.renders.collect(key) is not None
        except FontNotFound as exc:
            raise ApiError("minutes_unavailable", str(exc)) from None
        if finished:
            cached = await filing.cached(api.sessions, row.id, chosen, body.format, False)
            done = cached is not None
    if not done:
        exporter = api.exporter

        async def make(progress: Progress) -> bytes:
            return await exporter(row.id, body.format, False, chosen, progress)

        job = api.renders.start(key, make)
        try:
            done = api.renders.collect(key) is not None
        except FontNotFound as exc:
            raise ApiError("minutes_unavailable", str(exc)) from None
        if not done:
            progress = round(job.progress, 3)
            answer = MinutesRendered(ready=False, progress=progress, version=chosen, url=url)
            return JSONResponse(answer.model_dump(mode="json"), status_code=202)
    answer = MinutesRendered(ready=True, progress=1.0, version=chosen, url=url)
    return JSONResponse(answer.model_dump(mode="json"))


def _public(api: Api, row: TownHallRow) -> PublicTownHall:
    minutes = {}
    if row.status == "archived":
        prefix = f"{api.base_url}/api/public/townhalls/{row.id}"
        minutes = {fmt: document_path(prefix, fmt) for fmt in FORMATS}
    return PublicTownHall(
        id=row.id,
        title=row.title,
        description=row.description,
        language=row.language,
        status=row.status,
        starts_at=row.starts_at,
        timezone=row.timezone,
        created_at=row.created_at,
        started_at=row.started_at,
        ended_at=row.ended_at,
        minutes=minutes,
    )


async def public_list(api: Api, request: Request) -> Response:
    rows = await rooms.list_public(api.sessions)
    body = PublicTownHallList(townhalls=[_public(api, row) for row in rows])
    return JSONResponse(body.model_dump(mode="json"))


async def public_get(api: Api, request: Request) -> Response:
    row = await _row(api, request, public=True)
    return JSONResponse(_public(api, row).model_dump(mode="json"))

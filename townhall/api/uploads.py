"""Files an organiser uploads for an agenda item: PDFs and images (SPEC §9).

``POST /api/townhalls/{id}/uploads?filename=budget.pdf`` takes the file as the raw body.
A file is admitted when its declared ``Content-Type`` is on the allowlist AND its first
bytes are that type's signature (a script renamed ``.pdf`` and sent as
``application/pdf`` is refused), and when it is at most ``upload_max_bytes`` long
(counted while reading, so a chunked body cannot run past it). Files live in the
``upload`` table, so every worker serves them and deleting the town hall removes them.

``GET /api/townhalls/{id}/uploads/{upload}`` serves a file to anyone holding its URL (the
id is 128 random bits, like a link token): participants open an item's documents without
a key. It is always an attachment with the sniffed type, ``nosniff`` and a sandboxing
CSP, so a file can never run as a page of this origin.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import UTC, datetime
from urllib.parse import quote

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from townhall.api.context import Api
from townhall.api.errors import ApiError
from townhall.api.models import Upload, UploadList
from townhall.api.townhalls import owned_row
from townhall.db.models import UploadRow

__all__ = [
    "ALLOWED",
    "content_disposition",
    "delete_upload",
    "get_upload",
    "list_uploads",
    "post_upload",
    "sniff",
]

# media type -> the signatures its files start with
ALLOWED: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),  # and "WEBP" at offset 8, checked below
}
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
}
MAX_FILENAME = 200
_upload = UploadRow.__table__  # type: ignore[attr-defined]


def sniff(data: bytes) -> str | None:
    """The allowed media type these bytes are, by their signature; None for any other."""
    for media, signatures in ALLOWED.items():
        if any(data.startswith(s) for s in signatures):
            if media == "image/webp" and data[8:12] != b"WEBP":
                continue
            return media
    return None


def clean_filename(name: str, media: str) -> str:
    """A file name to show and save: the last path part, no control or separator
    characters, at most MAX_FILENAME characters, with the type's extension."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem[:MAX_FILENAME].strip(" .") or "document"
    return stem + EXTENSIONS[media]


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one as RFC 6266
    ``filename*`` (so quotes, semicolons or Korean cannot break the header)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _url(api: Api, room: str, upload: str) -> str:
    return f"{api.base_url}/api/townhalls/{room}/uploads/{upload}"


def _view(api: Api, row: UploadRow) -> Upload:
    return Upload(
        id=row.id,
        url=_url(api, row.room, row.id),
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        created_at=row.created_at,
    )


async def _read(request: Request, cap: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise ApiError("too_large", f"a file may be at most {cap:,} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise ApiError("too_large", f"a file may be at most {cap:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def post_upload(api: Api, request: Request) -> Response:
    row = await owned_row(api, request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in ALLOWED:
        allowed = ", ".join(ALLOWED)
        raise ApiError("type_not_allowed", f"{media or 'no type'} is not allowed; send {allowed}")
    data = await _read(request, api.settings.upload_max_bytes)
    if not data:
        raise ApiError("invalid_request", "the file is empty")
    found = sniff(data)
    if found != media:
        what = "not a file type that is allowed" if found is None else f"a {found} file"
        raise ApiError("type_not_allowed", f"the file says {media} but its content is {what}")
    upload = UploadRow(
        room=row.id,
        id=secrets.token_urlsafe(16),
        filename=clean_filename(request.query_params.get("filename", ""), media),
        content_type=media,
        size=len(data),
        data=data,
        created_at=datetime.now(UTC),
    )
    async with api.sessions.begin() as session:
        session.add(upload)
    view = _view(api, upload)
    body = view.model_dump(mode="json")
    return JSONResponse(body, status_code=201, headers={"location": view.url})


async def list_uploads(api: Api, request: Request) -> Response:
    row = await owned_row(api, request)
    columns = [c for c in _upload.c if c.name != "data"]
    query = sa.select(*columns).where(_upload.c.room == row.id).order_by(_upload.c.created_at)
    async with api.sessions() as session:
        found = (await session.execute(query)).mappings().all()
    uploads = [_view(api, UploadRow(**dict(r), data=b"")) for r in found]
    return JSONResponse(UploadList(uploads=uploads).model_dump(mode="json"))


async def get_upload(api: Api, request: Request) -> Response:
    room, upload = request.path_params["id"], request.path_params["upload"]
    async with api.sessions() as session:
        row = await session.get(UploadRow, (room, upload))
    if row is None:
        raise ApiError("not_found", "no such file")
    headers = {
        "content-disposition": content_disposition(row.filename),
        "x-content-type-options": "nosniff",
        "content-security-policy": "default-src 'none'; sandbox",
        "cache-control": "private, max-age=86400",
    }
    return Response(row.data, media_type=row.content_type, headers=headers)


async def delete_upload(api: Api, request: Request) -> Response:
    row = await owned_row(api, request)
    upload = request.path_params["upload"]
    async with api.sessions.begin() as session:
        result = await session.execute(
            sa.delete(_upload).where(_upload.c.room == row.id, _upload.c.id == upload)
        )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ApiError("not_found", "no such file")
    return Response(status_code=204)

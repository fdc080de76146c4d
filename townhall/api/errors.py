"""JSON errors with stable codes, and reading a size-limited, validated JSON body.

Every failure of the API answers ``{"code": "...", "message": "..."}``; clients and the
CLI branch on ``code``, never on the message text. Validation failures add ``fields``,
one entry per bad field with its dotted location.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = [
    "CODES",
    "MAX_BODY",
    "ApiError",
    "error_response",
    "read_body",
]

MAX_BODY = 256 * 1024

# code -> (HTTP status, what it means); the room's own refusal codes come on top (409).
CODES: dict[str, tuple[int, str]] = {
    "nested_too_deeply": (400, "the JSON body is nested too deeply"),
    "unauthorized": (401, "a valid organiser key is required (Authorization: Bearer KEY)"),
    "forbidden": (403, "this key may not do that"),
    "csrf_failed": (403, "the console's request lacked its CSRF token; reload the console"),
    "not_found": (404, "no such resource"),
    "method_not_allowed": (405, "this method is not allowed here"),
    "already_started": (409, "the session has started; the town hall can no longer be edited"),
    "not_archived": (409, "the minutes exist once the session has ended and been archived"),
    "already_approved": (409, "this version is approved; record a correction as a new version"),
    "not_approved": (409, "approve the draft first; a correction follows an approved version"),
    "duplicate_ref": (409, "this ref is already on the town hall's roll"),
    "member_not_found": (404, "no member of the roll has this ref"),
    "session_not_live": (409, "the session has not started; captions are taken while it is live"),
    "session_ended": (409, "the session has ended"),
    "text_empty": (422, "the text is empty"),
    "text_too_long": (422, "the text is too long"),
    "rate_limited": (429, "too many requests; wait a moment and retry"),
    "payload_too_large": (413, f"request bodies are limited to {MAX_BODY // 1024} KiB"),
    "unsupported_media_type": (415, "send the body as application/json"),
    "too_large": (413, "the file is larger than this server accepts (upload_max_bytes)"),
    "type_not_allowed": (415, "only PDF, PNG, JPEG, GIF and WebP files may be uploaded"),
    "invalid_request": (422, "the request is not valid"),
    "internal_error": (500, "the server failed; the error is in its log"),
    "minutes_unavailable": (503, "this format of the minutes cannot be produced here"),
}

Model = TypeVar("Model", bound=BaseModel)


class ApiError(Exception):
    """An error answer: ``code`` decides the status unless ``status`` is given."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        *,
        status: int | None = None,
        fields: list[dict[str, str]] | None = None,
    ) -> None:
        known = CODES.get(code)
        self.code = code
        self.message = message or (known[1] if known else code)
        self.status = status or (known[0] if known else 409)
        self.fields = fields
        super().__init__(f"{self.code}: {self.message}")


def error_response(error: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.fields is not None:
        body["fields"] = error.fields
    headers = {"www-authenticate": "Bearer"} if error.status == 401 else None
    if error.status == 429:
        headers = {"retry-after": "1"}
    return JSONResponse(body, status_code=error.status, headers=headers)


def _fields(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(part) for part in err["loc"]) or "(body)",
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False)
    ]


async def _raw(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError("payload_too_large")
    # A chunked body has no length: count while reading and stop at the limit.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError("payload_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(request: Request, model: type[Model], *, optional: bool = False) -> Model:
    """The request's JSON body validated as ``model``; an empty body is ``{}`` when
    ``optional``."""
    raw = await _raw(request)
    if not raw.strip():
        if not optional:
            raise ApiError("invalid_request", "a JSON body is required")
        raw = b"{}"
    media = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if media not in ("application/json", "") and not media.endswith("+json"):
        raise ApiError("unsupported_media_type")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError("invalid_request", f"the body is not valid JSON: {exc}") from None
    except RecursionError:  # e.g. 100,000 nested arrays: a client error, not a crash
        raise ApiError("nested_too_deeply") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError("invalid_request", fields=_fields(exc)) from None

"""The organiser REST API, open data, ``/metrics`` and the OpenAPI document (SPEC §4).

``api_routes(...)`` returns Starlette routes for the app to mount before its catch-all
static files. The endpoint table below is the one source for both the router and the
OpenAPI document, so every endpoint is documented by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from logging import getLogger

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from townhall.api import (
    calendar,
    captions,
    console_auth,
    documents,
    filing,
    meeting,
    roll,
    townhalls,
    uploads,
)
from townhall.api.context import Api, ApiDeps, Endpoint
from townhall.api.errors import ApiError, error_response
from townhall.api.logging import install_log_filter
from townhall.api.minutes import FORMATS, MinutesExporter, sql_exporter
from townhall.api.models import (
    ApproveMinutes,
    CaptionAccepted,
    CaptionerLink,
    CaptionerLinkIn,
    CaptionIn,
    CorrectMinutes,
    LinkInfo,
    LinkQuery,
    MinutesRender,
    MinutesRendered,
    MinutesVersion,
    MinutesVersions,
    Proxy,
    ProxyIn,
    ProxyList,
    PublicTownHall,
    PublicTownHallList,
    Recount,
    Roll,
    RollAdd,
    RollAdded,
    RotatedLinks,
    RotateLinks,
    TownHall,
    TownHallCreate,
    TownHallCreated,
    TownHallLinks,
    TownHallList,
    TownHallPatch,
    Upload,
    UploadList,
)
from townhall.api.openapi import openapi_document
from townhall.metrics import CONTENT_TYPE, Metrics, default_metrics
from townhall.ports import CommandRefused
from townhall.settings import Settings
from townhall.static import API_HEADERS

__all__ = ["ApiDeps", "MinutesExporter", "api_routes", "endpoints", "sql_exporter"]

log = getLogger("townhall.api")

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
ONE = "/api/townhalls/{id}"
PUBLIC_ONE = "/api/public/townhalls/{id}"


async def _metrics(api: Api, request: Request) -> Response:
    return Response(api.metrics.render(), media_type=CONTENT_TYPE)


async def _openapi(api: Api, request: Request) -> Response:
    document = openapi_document(endpoints(), version=version("townhall"), server=api.base_url)
    return JSONResponse(document)


async def _sign_in(api: Api, request: Request) -> Response:
    return await console_auth.sign_in(
        api.sessions, request, env_key=api.settings.organiser_key, base_url=api.base_url
    )


async def _whoami(api: Api, request: Request) -> Response:
    return await console_auth.whoami(api.sessions, request)


async def _sign_out(api: Api, request: Request) -> Response:
    return await console_auth.sign_out(api.sessions, request, base_url=api.base_url)


def _document(fmt: str) -> str:
    return "transcript" if fmt == "csv" else "minutes"


def _minutes_endpoints(*, public: bool) -> list[Endpoint]:
    prefix = PUBLIC_ONE if public else ONE
    who = "a public town hall (open data, no key)" if public else "a town hall"
    pdf_errors = ("minutes_unavailable",)
    return [
        Endpoint(
            name=f"{'public_' if public else ''}{_document(fmt)}_{fmt}",
            method="GET",
            path=documents.document_path(prefix, fmt),
            handler=documents.minutes_handler(fmt, public=public),
            summary=f"The {_document(fmt)} of {who} as {fmt}",
            tag="open data" if public else "minutes",
            auth=not public,
            facilitator_link=not public,
            media=(spec.media_type.split(";")[0],),
            errors=("not_found", "not_archived", *(pdf_errors if fmt == "pdf" else ())),
        )
        for fmt, spec in FORMATS.items()
    ]


def endpoints() -> list[Endpoint]:
    """Every endpoint of the API, in the order of the documentation."""
    return [
        Endpoint(
            name="create_townhall", method="POST", path="/api/townhalls",
            handler=townhalls.create, summary="Create a town hall and its three links",
            tag="town halls", body=TownHallCreate, status=201, response=TownHallCreated,
        ),
        Endpoint(
            name="list_townhalls", method="GET", path="/api/townhalls",
            handler=townhalls.list_all, summary="Every town hall, newest first",
            tag="town halls", response=TownHallList,
        ),
        Endpoint(
            name="get_townhall", method="GET", path=ONE, handler=townhalls.get,
            summary="A town hall and its live room", tag="town halls", response=TownHall,
            errors=("not_found",),
        ),
        Endpoint(
            name="patch_townhall", method="PATCH", path=ONE, handler=townhalls.patch,
            summary="Edit a town hall before its session starts", tag="town halls",
            body=TownHallPatch, response=TownHall, errors=("not_found", "already_started"),
            description="`agenda`, when given, replaces the whole agenda.",
        ),
        Endpoint(
            name="delete_townhall", method="DELETE", path=ONE, handler=townhalls.delete,
            summary="Delete a town hall, its links, live room and archive", tag="town halls",
            status=204, errors=("not_found",),
        ),
        Endpoint(
            name="rotate_links", method="POST", path=f"{ONE}/links/rotate",
            handler=townhalls.rotate, summary="Replace role links; the old ones stop working",
            tag="town halls", body=RotateLinks, body_required=False, response=RotatedLinks,
            errors=("not_found",),
            description="Open connections that joined through a replaced link are closed.",
        ),
        Endpoint(
            name="captioner_link", method="POST", path=f"{ONE}/links/captioner",
            handler=captions.captioner_link,
            summary="The captioner link (made on the first request, then shown again)",
            tag="captions", body=CaptionerLinkIn, body_required=False, response=CaptionerLink,
            errors=("not_found",),
            description="Its holder may only append transcript text: a person typing in "
            "the page it opens, or a speech-to-text bot posting to `captions_url`. "
            "`rotate: true` replaces it (the old token stops working).",
        ),
        Endpoint(
            name="post_caption", method="POST", path=f"{ONE}/captions",
            handler=captions.post_caption,
            summary="Append a caption to the live room (the captioner link's token as Bearer)",
            tag="captions", auth=False, body=CaptionIn, status=201, response=CaptionAccepted,
            errors=("forbidden", "not_found", "session_not_live", "session_ended",
                    "text_empty", "text_too_long", "rate_limited"),
            description="`Authorization: Bearer TOKEN` with the token of the captioner "
            "link (`POST .../links/captioner`). The caption attaches to the current turn, "
            "or to the running item when nobody holds the floor. An `Idempotency-Key` "
            "header makes a retry count once.",
        ),
        Endpoint(
            name="get_roll", method="GET", path=f"{ONE}/roll", handler=roll.get_roll,
            summary="The roll: members, their refs and proxies", tag="roll",
            response=Roll, errors=("not_found",),
        ),
        Endpoint(
            name="add_to_roll", method="POST", path=f"{ONE}/roll", handler=roll.post_roll,
            summary="Add members to the roll; returns their personal links", tag="roll",
            body=RollAdd, status=201, response=RollAdded,
            errors=("not_found", "duplicate_ref"),
            description="A personal link is shown once: only its hash is kept.",
        ),
        Endpoint(
            name="list_proxies", method="GET", path=f"{ONE}/proxies",
            handler=roll.list_proxies, summary="Who holds whose proxy (refs)", tag="roll",
            response=ProxyList, errors=("not_found",),
        ),
        Endpoint(
            name="add_proxy", method="POST", path=f"{ONE}/proxies", handler=roll.add_proxy,
            summary="Record that member `to` holds member `from`'s proxy (before the start)",
            tag="roll", body=ProxyIn, status=201, response=Proxy,
            errors=("not_found", "member_not_found", "proxy_exists", "proxy_chain",
                    "proxy_self", "session_not_scheduled"),
        ),
        Endpoint(
            name="remove_proxy", method="DELETE", path=f"{ONE}/proxies/{{ref}}",
            handler=roll.remove_proxy, summary="Revoke member `ref`'s proxy (before the start)",
            tag="roll", status=204,
            errors=("not_found", "member_not_found", "proxy_not_found", "session_not_scheduled"),
        ),
        Endpoint(
            name="townhall_links", method="GET", path=f"{ONE}/links", handler=townhalls.links,
            summary="The live links again, with QR codes (for the console)", tag="town halls",
            response=TownHallLinks, errors=("not_found",),
        ),
        Endpoint(
            name="townhall_link_qr", method="GET", path=f"{ONE}/links/{{role}}/qr.svg",
            handler=townhalls.qr, summary="The QR code of one role's link", tag="town halls",
            media=("image/svg+xml",), errors=("not_found",),
        ),
        Endpoint(
            name="upload_file", method="POST", path=f"{ONE}/uploads",
            handler=uploads.post_upload, summary="Upload a PDF or image for an agenda item",
            tag="documents", raw_body=tuple(uploads.ALLOWED), status=201, response=Upload,
            errors=("not_found", "too_large", "type_not_allowed"),
            description="The body is the file itself, its `Content-Type` one of the allowed "
            "types, `?filename=` its name. The content must be of that type (checked by its "
            "first bytes) and at most `upload_max_bytes` long. Put the answer's `url` in an "
            "agenda item's `documents`.",
        ),
        Endpoint(
            name="list_uploads", method="GET", path=f"{ONE}/uploads",
            handler=uploads.list_uploads, summary="The files uploaded for a town hall",
            tag="documents", response=UploadList, errors=("not_found",),
        ),
        Endpoint(
            name="download_upload", method="GET", path=f"{ONE}/uploads/{{upload}}",
            handler=uploads.get_upload, summary="An uploaded file (an attachment, no key)",
            tag="documents", auth=False, media=tuple(uploads.ALLOWED), errors=("not_found",),
            description="Served with `Content-Disposition: attachment` and "
            "`X-Content-Type-Options: nosniff`; the URL itself is the permission.",
        ),
        Endpoint(
            name="delete_upload", method="DELETE", path=f"{ONE}/uploads/{{upload}}",
            handler=uploads.delete_upload, summary="Delete an uploaded file", tag="documents",
            status=204, errors=("not_found",),
        ),
        Endpoint(
            name="recount", method="GET", path=f"{ONE}/recount", handler=roll.get_recount,
            summary="Recount every poll from the archived ballots", tag="minutes",
            response=Recount, errors=("not_found", "not_archived"),
            description="`match` is false for a poll whose ballots no longer give the "
            "recorded result.",
        ),
        *_minutes_endpoints(public=False),
        Endpoint(
            name="minutes_versions", method="GET", path=f"{ONE}/minutes/versions",
            handler=filing.list_versions, summary="The versions of the minutes (draft, approved)",
            tag="minutes", response=MinutesVersions, errors=("not_found", "not_archived"),
        ),
        Endpoint(
            name="render_minutes", method="POST", path=f"{ONE}/minutes/render",
            handler=documents.render, summary="Render a document of the minutes in the "
            "background; poll for its progress", tag="minutes", body=MinutesRender,
            response=MinutesRendered, errors=("not_found", "not_archived", "minutes_unavailable"),
            description="Answers at once: `202` with `progress` (0..1) while the document is "
            "rendered, `200` with `ready: true` once `url` serves it from the render cache. "
            "Ask again (every half second, say) until then.",
        ),
        Endpoint(
            name="approve_minutes", method="POST", path=f"{ONE}/minutes/approve",
            handler=filing.approve, summary="Approve the latest version of the minutes",
            tag="minutes", body=ApproveMinutes, response=MinutesVersion,
            errors=("not_found", "not_archived", "already_approved"),
        ),
        Endpoint(
            name="correct_minutes", method="POST", path=f"{ONE}/minutes/corrections",
            handler=filing.correct, summary="Record corrections as a new version (both kept)",
            tag="minutes", body=CorrectMinutes, status=201, response=MinutesVersion,
            errors=("not_found", "not_archived", "not_approved"),
        ),
        Endpoint(
            name="console_sign_in", method="POST", path="/api/console/session",
            handler=_sign_in, summary="Sign the console in with an organiser key (sets a cookie)",
            tag="console", auth=False, body=console_auth.SignIn,
            response=console_auth.ConsoleSession, errors=("forbidden",),
            description="The cookie is HttpOnly and SameSite=Strict; changes made with it "
            "need the returned `csrf` in `X-CSRF-Token`.",
        ),
        Endpoint(
            name="console_session", method="GET", path="/api/console/session", handler=_whoami,
            summary="Whether this browser's console is signed in, and its CSRF token",
            tag="console", auth=False, response=console_auth.ConsoleSession,
        ),
        Endpoint(
            name="console_sign_out", method="DELETE", path="/api/console/session",
            handler=_sign_out, summary="Sign the console out", tag="console", auth=False,
            status=204, errors=("csrf_failed",),
        ),
        Endpoint(
            name="link_info", method="POST", path="/api/link", handler=meeting.link_info,
            summary="What a link opens: title, status, start, stream, join code",
            tag="links", auth=False, body=LinkQuery, response=LinkInfo, errors=("not_found",),
        ),
        Endpoint(
            name="link_minutes", method="POST", path="/api/link/minutes",
            handler=meeting.link_minutes, summary="The minutes (HTML) a link's holder may read",
            tag="links", auth=False, body=LinkQuery, media=("text/html",),
            errors=("not_found", "not_archived"),
        ),
        Endpoint(
            name="public_calendar", method="GET", path="/api/public/townhalls.ics",
            handler=calendar.calendar, summary="Public town halls as an iCalendar feed",
            tag="open data", auth=False, media=("text/calendar",),
        ),
        Endpoint(
            name="public_event", method="GET", path=f"{PUBLIC_ONE}.ics",
            handler=calendar.calendar_one, summary="One public town hall as iCalendar",
            tag="open data", auth=False, media=("text/calendar",), errors=("not_found",),
        ),
        Endpoint(
            name="public_townhalls", method="GET", path="/api/public/townhalls",
            handler=documents.public_list, summary="Public town halls (open data, no key)",
            tag="open data", auth=False, response=PublicTownHallList,
        ),
        Endpoint(
            name="public_townhall", method="GET", path=PUBLIC_ONE,
            handler=documents.public_get, summary="One public town hall (open data, no key)",
            tag="open data", auth=False, response=PublicTownHall, errors=("not_found",),
        ),
        *_minutes_endpoints(public=True),
        Endpoint(
            name="metrics", method="GET", path="/metrics", handler=_metrics,
            summary="Prometheus metrics of the server (every worker)", tag="operations", auth=False,
            media=("text/plain",),
        ),
        Endpoint(
            name="openapi", method="GET", path="/api/openapi.json", handler=_openapi,
            summary="This document", tag="operations", auth=False,
        ),
    ]  # fmt: skip


def _dispatcher(api: Api, table: dict[str, Endpoint]) -> Callable[[Request], object]:
    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        endpoint = table.get(method)
        try:
            if endpoint is None:
                allowed = ", ".join(sorted(table))
                raise ApiError("method_not_allowed", f"allowed: {allowed}")
            serving = api.serving(request)
            if endpoint.auth:
                await serving.authorize(request, facilitator_link=endpoint.facilitator_link)
            response = await endpoint.handler(serving, request)
        except ApiError as exc:
            response = error_response(exc)
            if exc.code == "method_not_allowed":
                response.headers["allow"] = ", ".join(sorted(table))
        except CommandRefused as exc:
            response = error_response(ApiError(exc.code, exc.message, status=409))
        except Exception:
            # The path only: a query string may hold a token.
            log.exception("%s %s failed", request.method, request.url.path)
            response = error_response(ApiError("internal_error"))
        api.metrics.http_requests.labels(f"{response.status_code // 100}xx").inc()
        # A handler may tighten or adapt its own policy (the minutes' page allows its
        # stylesheet by hash); every other header of API_HEADERS is always set.
        for name, value in API_HEADERS.items():
            if name not in response.headers:
                response.headers[name] = value
        return response

    return dispatch


async def _api_not_found(request: Request) -> Response:
    response = error_response(ApiError("not_found", f"no endpoint {request.url.path}"))
    response.headers.update(API_HEADERS)
    return response


def api_routes(
    settings: Settings,
    deps: ApiDeps | Callable[[Request], ApiDeps],
    *,
    metrics: Metrics | None = None,
) -> list[BaseRoute]:
    """The API's routes: mount them before the static files.

    ``deps`` may be a callable taking the request and returning the services, for apps
    that build them in their lifespan (``request.state``); it is called once per request.
    ``metrics`` defaults to this process's.
    Installs ``townhall.api.logging``'s query-string filter on uvicorn's loggers.
    """
    # The links this API hands out carry tokens in the page URL, so whatever serves it
    # keeps them out of uvicorn's logs (idempotent; once per worker process).
    install_log_filter()
    api = Api(settings, deps, metrics or default_metrics())
    by_path: dict[str, dict[str, Endpoint]] = {}
    for endpoint in endpoints():
        by_path.setdefault(endpoint.path, {})[endpoint.method] = endpoint
    routes: list[BaseRoute] = [
        Route(path, _dispatcher(api, table), methods=METHODS) for path, table in by_path.items()
    ]

    async def short(request: Request) -> Response:
        return await meeting.short_link(api.serving(request), request)

    routes.append(Route("/j/{code}", short, methods=["GET", "HEAD"]))
    # Unknown /api paths answer JSON, instead of falling through to the UI's 404 page.
    routes.append(Route("/api/{rest:path}", _api_not_found, methods=METHODS))
    return routes
